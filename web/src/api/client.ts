// The console's one way to the API: a client typed by schema.d.ts, which
// openapi-typescript generates from internal/api/openapi.json (`npm run
// gen`; `make test` fails when it is stale). Never hand-copy an API type.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type ErrorBody = Schemas['ErrorBody'];

// The session cookie travels with every call (same origin only); the
// server also takes a bearer token, which the console never holds.
export const api = createClient<paths>({ credentials: 'same-origin' });

type Listener = () => void;
const unauthorized = new Set<Listener>();

/** onUnauthorized calls fn whenever an API call answers 401 (the session
 * is missing, expired or revoked); it returns the unsubscribe function. */
export function onUnauthorized(fn: Listener): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

export function notifyUnauthorized(): void {
  unauthorized.forEach((fn) => fn());
}

// The session's own calls answer 401 as their result (no session yet, a
// bad token): the caller handles it, not the hook.
const watch401: Middleware = {
  onResponse({ request, response }) {
    if (response.status === 401 && new URL(request.url).pathname !== '/api/session') notifyUnauthorized();
    return undefined;
  },
};
api.use(watch401);

/** errorMessage reads the API's one error shape, or says what failed. */
export function errorMessage(error: unknown): string {
  const body = error as Partial<ErrorBody> | undefined;
  if (body?.error?.message) return body.error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** APIError is a failed call: its HTTP status and the API's error code,
 * reason and message. */
export class APIError extends Error {
  readonly code?: string;
  readonly reason?: string;
  constructor(
    readonly status: number,
    error: unknown,
    statusText = '',
  ) {
    super(error ? errorMessage(error) : statusText || String(status));
    const body = error as Partial<ErrorBody> | undefined;
    this.code = body?.error?.code;
    this.reason = body?.error?.reason;
  }
}

/** must answers a call's data or throws its APIError. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined || result.error !== undefined) throw new APIError(result.response.status, result.error, result.response.statusText);
  return result.data;
}
