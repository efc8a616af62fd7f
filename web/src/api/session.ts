// The console's session: the API token is exchanged once for an HttpOnly
// cookie (POST /api/session), checked with GET and revoked with DELETE.
//
// TODO(h22-sess): these operations are added to openapi.json on the
// session branch; once merged, `npm run gen` types them and these calls
// move to the typed client (api.POST('/api/session', …)).
export interface Session {
  expires_at: string;
}

export class SessionError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call(method: string, body?: unknown): Promise<Response> {
  return fetch('/api/session', {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function read(res: Response): Promise<Session> {
  if (!res.ok) {
    let message = res.statusText;
    try {
      const b = (await res.json()) as { error?: { message?: string } };
      message = b.error?.message ?? message;
    } catch {
      // not the API's error shape: keep the status text
    }
    throw new SessionError(res.status, message);
  }
  return (await res.json()) as Session;
}

/** signIn exchanges an API token for the session cookie. */
export async function signIn(token: string): Promise<Session> {
  return read(await call('POST', { token }));
}

/** currentSession answers the session, or throws a SessionError (401 when
 * there is none). */
export async function currentSession(): Promise<Session> {
  return read(await call('GET'));
}

/** signOut revokes the session; the cookie no longer works anywhere. */
export async function signOut(): Promise<void> {
  await call('DELETE');
}
