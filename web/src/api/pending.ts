// Calls to the read APIs the h22-apix branch adds (GET /api/entities,
// /api/imports?limit=N, /api/runs?limit=N). Until they are in openapi.json
// they are not in schema.d.ts, so they go through here, untyped, and each
// page reads them tolerantly (an absent endpoint shows "not available").
//
// TODO(h22-apix): once merged, `npm run gen` types them; move these calls
// to the typed client (api.GET('/api/entities'), …) and delete this file.
import { notifyUnauthorized } from './client';

export class HTTPError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJSON<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { credentials: 'same-origin', signal });
  if (res.status === 401) notifyUnauthorized();
  if (!res.ok) {
    let message = res.statusText;
    try {
      const b = (await res.json()) as { error?: { message?: string } };
      message = b.error?.message ?? message;
    } catch {
      // keep the status text
    }
    throw new HTTPError(res.status, message);
  }
  return (await res.json()) as T;
}

export interface EntityCount {
  entity: string;
  rows: number;
}

/** entityCounts reads GET /api/entities, answered as a list of
 * {entity|name, rows|count} or a map of entity to count. */
export async function entityCounts(signal?: AbortSignal): Promise<EntityCount[]> {
  const body = await getJSON<unknown>('/api/entities', signal);
  const list = (body as { entities?: unknown }).entities ?? body;
  if (Array.isArray(list)) {
    return list.map((e: Record<string, unknown>) => ({
      entity: String(e.entity ?? e.name ?? ''),
      rows: Number(e.rows ?? e.count ?? 0),
    }));
  }
  if (list && typeof list === 'object') {
    return Object.entries(list as Record<string, unknown>).map(([entity, rows]) => ({
      entity,
      rows: typeof rows === 'number' ? rows : Number((rows as { rows?: number; count?: number })?.rows ?? (rows as { count?: number })?.count ?? 0),
    }));
  }
  return [];
}

/** An item of a history list (imports or runs): the fields Home shows. */
export interface HistoryItem {
  id: string;
  title: string;
  state: string;
  when: string;
}

function items(body: unknown, key: string): Record<string, unknown>[] {
  const list = (body as Record<string, unknown>)[key] ?? body;
  return Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
}

/** recentImports reads GET /api/imports?limit=N (newest first). */
export async function recentImports(limit: number, signal?: AbortSignal): Promise<HistoryItem[]> {
  const body = await getJSON<unknown>(`/api/imports?limit=${limit}`, signal);
  return items(body, 'imports').map((i) => ({
    id: String(i.id ?? ''),
    title: String(i.entity ?? i.source ?? i.id ?? ''),
    state: String(i.state ?? i.status ?? ''),
    when: String(i.started_at ?? i.created_at ?? i.finished_at ?? ''),
  }));
}

/** recentRuns reads GET /api/runs?limit=N (newest first, across campaigns). */
export async function recentRuns(limit: number, signal?: AbortSignal): Promise<HistoryItem[]> {
  const body = await getJSON<unknown>(`/api/runs?limit=${limit}`, signal);
  return items(body, 'runs').map((r) => ({
    id: String(r.id ?? ''),
    title: String(r.campaign ?? ''),
    state: String(r.state ?? r.status ?? ''),
    when: String(r.started_at ?? r.created_at ?? ''),
  }));
}
