// What the global setup started, handed to the tests through the
// environment (Playwright passes globalSetup's process.env to workers).

export type StoreKind = 'embedded' | 'postgres';

/** The option each project sets: the store its tests run against. */
export interface StoreOption {
  store: StoreKind;
}

export interface Server {
  /** The server's base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** An API token made for the tests with `fanfare token create`. */
  token: string;
  /** The fanfare binary the server runs (for CLI calls). */
  bin: string;
  /** What GET /api/health names the store. */
  health: 'duckdb' | 'postgres';
}

export const ENV_KEY = 'FANFARE_E2E_SERVERS';

export function servers(): Record<StoreKind, Server> {
  const raw = process.env[ENV_KEY];
  if (!raw) throw new Error(`${ENV_KEY} is not set: run the tests with playwright test (its global setup starts the servers)`);
  return JSON.parse(raw) as Record<StoreKind, Server>;
}
