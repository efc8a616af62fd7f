// The console's session: the API token is exchanged once for an HttpOnly
// cookie (POST /api/session), checked with GET and revoked with DELETE,
// through the typed client.
import { api, errorMessage, type Schemas } from './client';

export type Session = Schemas['Session'];

export class SessionError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function fail(response: Response, error: unknown): never {
  throw new SessionError(response.status, error ? errorMessage(error) : response.statusText);
}

/** signIn exchanges an API token for the session cookie. */
export async function signIn(token: string): Promise<Session> {
  const { data, error, response } = await api.POST('/api/session', { body: { token } });
  if (!data) fail(response, error);
  return data;
}

/** currentSession answers the session, or throws a SessionError (401 when
 * there is none). */
export async function currentSession({ signal }: { signal?: AbortSignal } = {}): Promise<Session> {
  const { data, error, response } = await api.GET('/api/session', { signal });
  if (!data) fail(response, error);
  return data;
}

/** signOut revokes the session; the cookie no longer works anywhere. */
export async function signOut(): Promise<void> {
  await api.DELETE('/api/session');
}
