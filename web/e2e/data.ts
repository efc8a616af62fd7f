import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { APIRequestContext } from '@playwright/test';
import { expect } from './fixtures';
import type { Server } from './servers';

// What some tests need on the server besides the demo's data: a live run
// of the example campaign of docs/campaigns.md (its emails in the sandbox)
// and an import. Made through the API the first time a test asks, then
// found again (the servers live as long as the whole test run).

const docs = resolve(import.meta.dirname, '..', '..', 'docs');

/** The example campaign: the first YAML block of docs/campaigns.md, as
 * the README has users run it. */
export function exampleCampaign(): { name: string; yaml: string; discount: number } {
  const md = readFileSync(resolve(docs, 'campaigns.md'), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(md)?.[1];
  if (!yaml) throw new Error('docs/campaigns.md has no yaml block');
  const name = /^name: (\S+)/m.exec(yaml)?.[1];
  const discount = Number(/^ {2}discount: (\d+)/m.exec(yaml)?.[1]);
  if (!name || !discount) throw new Error('the example campaign has no name or discount');
  return { name, yaml, discount };
}

/** A message as GET /api/messages answers it. */
export interface Message {
  id: string;
  channel: string;
  address: string;
  sent_at: string;
  copies: number;
  content: { email?: { from?: string; subject?: string; html?: string; text?: string } };
}

export interface Run {
  id: number;
  campaign: string;
  mode: string;
  status: string;
  created_at: string;
}

function auth(server: Server) {
  return { Authorization: `Bearer ${server.token}` };
}

async function ok<T>(res: Awaited<ReturnType<APIRequestContext['get']>>, what: string): Promise<T> {
  expect(res.ok(), `${what}: ${res.status()} ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}

/** runMessages lists what the sandbox captured for a run. */
export async function runMessages(request: APIRequestContext, server: Server, run: number): Promise<Message[]> {
  const res = await request.get(`${server.url}/api/messages?run=${run}&limit=1000`, { headers: auth(server) });
  return (await ok<{ messages: Message[] | null }>(res, 'messages')).messages ?? [];
}

/** exampleRun answers a completed live run of the example campaign with
 * its emails captured: published and started through the API (POST
 * /api/campaigns, …/publish, …/runs) unless one is there already. */
export async function exampleRun(request: APIRequestContext, server: Server): Promise<Run> {
  const { name, yaml } = exampleCampaign();
  const listed = await request.get(`${server.url}/api/campaigns/${name}/runs`, { headers: auth(server) });
  let run: Run | undefined;
  if (listed.ok()) {
    run = ((await listed.json()) as { runs: Run[] | null }).runs?.find((r) => r.mode === 'live' && r.status === 'completed');
  }
  if (!run) {
    await ok(await request.post(`${server.url}/api/campaigns`, { headers: { ...auth(server), 'Content-Type': 'application/yaml' }, data: yaml }), 'save the campaign');
    await ok(await request.post(`${server.url}/api/campaigns/${name}/publish`, { headers: auth(server) }), 'publish');
    run = await ok<Run>(await request.post(`${server.url}/api/campaigns/${name}/runs`, { headers: auth(server), data: { mode: 'live' } }), 'start a live run');
  }
  const id = run.id;
  await expect
    .poll(async () => (await ok<{ run: Run }>(await request.get(`${server.url}/api/runs/${id}`, { headers: auth(server) }), 'the run')).run.status, { message: 'the run completes' })
    .toBe('completed');
  // The sends go on after the run completed: wait until nothing is
  // pending.
  await expect
    .poll(
      async () => {
        const d = await ok<{ channels?: { pending?: number; sent?: number }[] | null }>(await request.get(`${server.url}/api/runs/${id}/delivery`, { headers: auth(server) }), 'delivery');
        const acts = d.channels ?? [];
        return acts.length > 0 && acts.every((a) => (a.pending ?? 0) === 0) && acts.some((a) => (a.sent ?? 0) > 0);
      },
      { message: 'the run has sent its emails' },
    )
    .toBe(true);
  await expect.poll(async () => (await runMessages(request, server, id)).length, { message: 'the sandbox holds its emails' }).toBeGreaterThan(0);
  return (await ok<{ run: Run }>(await request.get(`${server.url}/api/runs/${id}`, { headers: auth(server) }), 'the run')).run;
}

/** anImport answers the id of a finished import, uploading three stores
 * (ids far above the demo's) when the server has none. */
export async function anImport(request: APIRequestContext, server: Server): Promise<number> {
  const list = await ok<{ imports: { import_id: number; state: string }[] | null }>(await request.get(`${server.url}/api/imports?limit=50`, { headers: auth(server) }), 'imports');
  let id = list.imports?.find((i) => i.state !== 'running')?.import_id;
  if (id === undefined) {
    const base = 800000 + Math.floor(Math.random() * 90000) * 10;
    const csv = ['store_id,name,country,city', `${base + 1},Harbour,FR,Nantes`, `${base + 2},Hill,FR,Lyon`, `not-a-number,Bad,FR,Paris`, ''].join('\n');
    const made = await ok<{ import_id: number }>(
      await request.post(`${server.url}/api/imports?entity=stores&name=stores.csv`, { headers: { ...auth(server), 'Content-Type': 'text/csv' }, data: csv }),
      'upload',
    );
    id = made.import_id;
  }
  const done = id;
  await expect
    .poll(async () => (await ok<{ state: string }>(await request.get(`${server.url}/api/imports/${done}`, { headers: auth(server) }), 'the import')).state, { message: 'the import ends' })
    .not.toBe('running');
  return done;
}
