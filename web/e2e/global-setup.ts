import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ENV_KEY, type Server, type StoreKind } from './servers';

// The global setup builds fanfare, starts `fanfare serve --demo` on the
// embedded store (a fresh data directory) and on PostgreSQL (a fresh
// database fanfare_e2e_<pid>, dropped at the end), makes an API token on
// each with `fanfare token create`, and hands them to the tests. The
// returned function stops the servers and removes what was made.

const repo = resolve(import.meta.dirname, '..', '..');
const pgAdmin = process.env.FANFARE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const customers = '2000';
// Starting the demo on a loaded 2-core machine can take a while.
const startTimeoutMs = 180_000;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

function psql(sql: string) {
  execFileSync('psql', [pgAdmin, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** withDatabase gives the URL of database name on the admin URL's server. */
function withDatabase(admin: string, name: string): string {
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

interface Started {
  server: Server;
  child: ChildProcess;
  log: string;
}

async function start(bin: string, kind: StoreKind, dir: string, databaseURL?: string): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = join(dir, `data-${kind}`);
  const log = join(dir, `serve-${kind}.log`);
  const args = ['serve', '--demo', '--customers', customers, '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir];
  if (databaseURL) args.push('--database-url', databaseURL);
  const out = openSync(log, 'a');
  // Only what serve is given here: no FANFARE_* from the caller's shell.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FANFARE_')));
  const child = spawn(bin, args, { cwd: dir, env, stdio: ['ignore', out, out] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${code ?? signal})`));

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`fanfare serve (${kind}) ${exited}:\n${readFileSync(log, 'utf8').slice(-4000)}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fanfare serve (${kind}) did not answer in ${startTimeoutMs / 1000}s:\n${readFileSync(log, 'utf8').slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const local = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  // A token of its own for the tests, made as a user would.
  const created = execFileSync(bin, ['token', 'create', `e2e-${kind}`, '--server', url, '--token', local], { cwd: dir, env, encoding: 'utf8' });
  const token = created.split(/\s+/).find((w) => w.startsWith('ff_'));
  if (!token) throw new Error(`fanfare token create printed no token: ${created}`);
  return { server: { url, token, bin, health: databaseURL ? 'postgres' : 'duckdb' }, child, log };
}

function stop(child: ChildProcess): Promise<void> {
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

export default async function globalSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'fanfare-e2e-'));
  const bin = join(dir, 'fanfare');
  const database = `fanfare_e2e_${process.pid}`;
  const started: Started[] = [];
  let created = false;

  const teardown = async () => {
    await Promise.all(started.map((s) => stop(s.child)));
    if (created) psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    execFileSync('go', ['build', '-o', bin, './cmd/fanfare'], { cwd: repo, stdio: 'inherit' });
    psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    psql(`CREATE DATABASE ${database}`);
    created = true;
    // One after the other: two demo loads at once on 2 cores only slow both.
    started.push(await start(bin, 'embedded', dir));
    started.push(await start(bin, 'postgres', dir, withDatabase(pgAdmin, database)));
  } catch (err) {
    await teardown();
    throw err;
  }
  const all: Record<string, Server> = {};
  for (const s of started) all[s.server.health === 'postgres' ? 'postgres' : 'embedded'] = s.server;
  process.env[ENV_KEY] = JSON.stringify(all);
  return teardown;
}
