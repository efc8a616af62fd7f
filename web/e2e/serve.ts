import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Server, StoreKind } from './servers';

// Starting and stopping a `fanfare serve --demo` for the tests: the global
// setup's two servers, and the servers a spec starts with a provider of
// its own (provider.spec.ts).

export const pgAdmin = process.env.FANFARE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
// Starting the demo on a loaded 2-core machine can take a while.
const startTimeoutMs = 180_000;

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/** psql runs a statement on the admin URL's server. */
export function psql(sql: string) {
  // Without the NOTICE of a DROP … IF EXISTS that finds nothing.
  execFileSync('psql', [pgAdmin, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } });
}

/** withDatabase gives the URL of database name on the admin URL's server. */
export function withDatabase(admin: string, name: string): string {
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface Started {
  server: Server;
  child: ChildProcess;
  log: string;
}

export interface StartOptions {
  bin: string;
  kind: StoreKind;
  /** The directory the server's data, log and working directory go in. */
  dir: string;
  customers: number;
  /** Set for PostgreSQL; the embedded store otherwise. */
  databaseURL?: string;
  /** More arguments of serve, and the only FANFARE_* variables it sees. */
  args?: string[];
  env?: Record<string, string>;
}

/** start runs `fanfare serve --demo`, waits until it answers, and makes it
 * an API token with `fanfare token create`, as a user would. */
export async function start(o: StartOptions): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = join(o.dir, `data-${o.kind}`);
  const log = join(o.dir, `serve-${o.kind}.log`);
  const args = ['serve', '--demo', '--customers', String(o.customers), '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, ...(o.args ?? [])];
  if (o.databaseURL) args.push('--database-url', o.databaseURL);
  const out = openSync(log, 'a');
  // Only what serve is given here: no FANFARE_* from the caller's shell.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FANFARE_'))), ...o.env };
  const child = spawn(o.bin, args, { cwd: o.dir, env, stdio: ['ignore', out, out] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`));

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`fanfare serve (${o.kind}) ${exited}:\n${readFileSync(log, 'utf8').slice(-4000)}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fanfare serve (${o.kind}) did not answer in ${startTimeoutMs / 1000}s:\n${readFileSync(log, 'utf8').slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const local = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  // A token of its own for the tests, made as a user would.
  const created = execFileSync(o.bin, ['token', 'create', `e2e-${o.kind}`, '--server', url, '--token', local], { cwd: o.dir, env, encoding: 'utf8' });
  const token = created.split(/\s+/).find((w) => w.startsWith('ff_'));
  if (!token) throw new Error(`fanfare token create printed no token: ${created}`);
  return { server: { url, token, bin: o.bin, health: o.databaseURL ? 'postgres' : 'duckdb' }, child, log };
}

/** stop ends a server (SIGTERM, SIGKILL after 15 s). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(hard);
      ok();
    });
    child.kill('SIGTERM');
  });
}
