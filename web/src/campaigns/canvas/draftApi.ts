// The canvas's calls about a campaign's working draft and its versions.
import { api, APIError, must, type Schemas } from '../../api/client';

/** Draft is a campaign's working draft (GET /api/campaigns/{name}/draft):
 * revision 0 means none is stored and document is the latest version's. */
export interface Draft {
  name: string;
  document: string;
  revision: number;
  base_version: number;
  updated_at?: string;
  updated_by?: string;
  parses?: boolean;
}

/** CampaignProblem is a validation problem with the activity it concerns. */
export type CampaignProblem = Schemas['Problem'] & { activity?: string };

// The draft endpoints are called by URL: they are newer than some
// servers' schema, and the calls are few.
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? undefined : ((await res.json().catch(() => undefined)) as unknown);
  if (!res.ok) throw Object.assign(new APIError(res.status, data, res.statusText), { details: (data as { error?: { details?: unknown } } | undefined)?.error?.details });
  return data as T;
}

const draftPath = (name: string) => `/api/campaigns/${encodeURIComponent(name)}/draft`;

/** getDraft reads the draft; without the draft endpoint (an older server),
 * the latest version, as a draft of revision 0. */
export async function getDraft(name: string): Promise<Draft> {
  try {
    return await call<Draft>('GET', draftPath(name));
  } catch (err) {
    if (!(err instanceof APIError) || err.status !== 404 || !err.message.startsWith('no such endpoint')) throw err;
    const c = must(await api.GET('/api/campaigns/{name}', { params: { path: { name } } }));
    return { name, document: c.document ?? '', revision: 0, base_version: c.latest_version };
  }
}

export const putDraft = (name: string, document: string, revision: number) => call<Draft>('PUT', draftPath(name), { document, revision });

export const saveDraft = (name: string, revision: number) => call<Schemas['Campaign']>('POST', `${draftPath(name)}/save`, { revision });

export const publish = (name: string) => call<Schemas['Campaign']>('POST', `/api/campaigns/${encodeURIComponent(name)}/publish`);

export const simulate = (name: string) => call<Schemas['Run']>('POST', `/api/campaigns/${encodeURIComponent(name)}/runs`, { mode: 'simulate' });

/** problemsOf reads the problems of a refused call (400 or 422 with
 * details), each with its activity (from its path when not given). */
export function problemsOf(err: unknown): CampaignProblem[] | undefined {
  const details = (err as { details?: unknown } | undefined)?.details;
  if (!Array.isArray(details)) return undefined;
  return (details as CampaignProblem[]).map(withActivity);
}

export function withActivity(p: CampaignProblem): CampaignProblem {
  if (p.activity) return p;
  const m = /^(?:activities|layout)\.([A-Za-z_][A-Za-z0-9_]*)/.exec(p.path ?? '');
  return m ? { ...p, activity: m[1] } : p;
}

/** validate asks the server about a document's text: undefined when valid,
 * else its problems. */
export async function validate(text: string, signal: AbortSignal): Promise<CampaignProblem[]> {
  const res = await fetch('/api/campaigns/validate', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/yaml' }, body: text, signal });
  if (res.ok) return [];
  const body = (await res.json().catch(() => undefined)) as { error?: { details?: unknown; message?: string } } | undefined;
  const details = body?.error?.details;
  if (Array.isArray(details)) return (details as CampaignProblem[]).map(withActivity);
  return [{ path: '', message: body?.error?.message ?? res.statusText }];
}
