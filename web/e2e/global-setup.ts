import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pgAdmin, psql, start, stop, withDatabase, type Started } from './serve';
import { ENV_KEY, type Server } from './servers';

// The global setup builds fanfare, starts `fanfare serve --demo` on the
// embedded store (a fresh data directory) and on PostgreSQL (a fresh
// database fanfare_e2e_<pid>, dropped at the end), makes an API token on
// each with `fanfare token create`, and hands them to the tests. The
// returned function stops the servers and removes what was made.

const repo = resolve(import.meta.dirname, '..', '..');
const customers = 2000;

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
    started.push(await start({ bin, kind: 'embedded', dir, customers }));
    started.push(await start({ bin, kind: 'postgres', dir, customers, databaseURL: withDatabase(pgAdmin, database) }));
  } catch (err) {
    await teardown();
    throw err;
  }
  const all: Record<string, Server> = {};
  for (const s of started) all[s.server.health === 'postgres' ? 'postgres' : 'embedded'] = s.server;
  process.env[ENV_KEY] = JSON.stringify(all);
  return teardown;
}
