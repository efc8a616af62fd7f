import type { Schemas } from '../api/client';

type Reject = Schemas['Reject'];

function field(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** rejectsCsv turns the NDJSON of GET /api/imports/{id}/rejects into a CSV
 * (line, column, value, reason), the header named in the user's language. */
export function rejectsCsv(ndjson: string, header: [string, string, string, string]): string {
  const rows = ndjson
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Reject)
    .map((r) => [r.line, r.column, r.value, r.reason].map(field).join(','));
  return [header.map(field).join(','), ...rows].join('\r\n') + '\r\n';
}

/** download offers text as a file named name. */
export function download(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
