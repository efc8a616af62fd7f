// The canvas's calls about a campaign's working draft and its versions.
import { api, APIError, type Schemas } from '../../api/client';

/** Draft is a campaign's working draft (GET /api/campaigns/{name}/draft):
 * revision 0 means none is stored and document is the latest version's. */
export type Draft = Schemas['CampaignDraft'];

/** CampaignProblem is a validation problem with the activity it concerns. */
export type CampaignProblem = Schemas['Problem'] & { activity?: string };

/** answer is a call's data, or throws its APIError carrying the problems
 * the server listed (details). */
function answer<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data !== undefined && r.error === undefined) return r.data;
  const details = (r.error as { error?: { details?: unknown } } | undefined)?.error?.details;
  throw Object.assign(new APIError(r.response.status, r.error, r.response.statusText), { details });
}

const path = (name: string) => ({ params: { path: { name } } });

export const getDraft = async (name: string) => answer(await api.GET('/api/campaigns/{name}/draft', path(name)));

/** putDraft stores the draft; keepalive lets the request outlive the page
 * (sent as it unloads; the browser takes bodies up to 64 KB so). */
export const putDraft = async (name: string, document: string, revision: number, keepalive = false) =>
  answer(await api.PUT('/api/campaigns/{name}/draft', { ...path(name), body: { document, revision }, keepalive }));

export const saveDraft = async (name: string, revision: number) => answer(await api.POST('/api/campaigns/{name}/draft/save', { ...path(name), body: { revision } }));

export const publish = async (name: string) => answer(await api.POST('/api/campaigns/{name}/publish', path(name)));

export const simulate = async (name: string) => answer(await api.POST('/api/campaigns/{name}/runs', { ...path(name), body: { mode: 'simulate' } }));

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
