import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { APIRequestContext, Page } from '@playwright/test';
import { parse } from 'yaml';
import { expect, settled } from './fixtures';

// Campaign documents for the canvas's tests: the ones the repository holds
// (docs/*.md YAML blocks that are campaigns), a generated one covering
// every activity type and setting, and a 100-activity one.

const repo = resolve(import.meta.dirname, '..', '..');

/** files lists the files under dir (recursively) whose name passes keep. */
function files(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : files(p, keep);
    return keep(p) ? [p] : [];
  });
}

// A document or a fragment of one (docs show some without a name).
const isCampaign = (text: string) => /^activities:/m.test(text);

/** docCampaigns reads the campaign documents of the repository: the YAML
 * blocks of docs/*.md and the testdata/*.yaml files of internal/ that are
 * campaigns (with activities), each with where it comes from. */
export function docCampaigns(): { source: string; text: string }[] {
  const out: { source: string; text: string }[] = [];
  for (const file of files(resolve(repo, 'docs'), (p) => p.endsWith('.md'))) {
    let i = 0;
    for (const m of readFileSync(file, 'utf8').matchAll(/```ya?ml\n([\s\S]*?)```/g)) {
      i++;
      const text = m[1] ?? '';
      if (isCampaign(text)) out.push({ source: `${relative(repo, file)} block ${i}`, text });
    }
  }
  for (const file of files(resolve(repo, 'internal'), (p) => /\/testdata\/[^/]+\.ya?ml$/.test(p))) {
    const text = readFileSync(file, 'utf8');
    if (isCampaign(text)) out.push({ source: relative(repo, file), text });
  }
  return out;
}

/** goCampaigns reads the campaign documents the Go tests write as raw
 * strings (internal/ and bench/): each literal with activities that
 * parses as YAML to a document whose activities are a map, once per
 * text. Some hold a Go format verb (`rate: %d`): a string to the canvas,
 * which keeps it. */
export function goCampaigns(): { source: string; text: string }[] {
  const out: { source: string; text: string }[] = [];
  const seen = new Set<string>();
  const tests = [...files(resolve(repo, 'internal'), (p) => p.endsWith('_test.go')), ...files(resolve(repo, 'bench'), (p) => p.endsWith('_test.go'))];
  for (const file of tests) {
    let i = 0;
    for (const m of readFileSync(file, 'utf8').matchAll(/`([^`]*)`/g)) {
      const text = m[1] ?? '';
      if (!isCampaign(text) || seen.has(text)) continue;
      let doc: unknown;
      try {
        doc = parse(text);
      } catch {
        continue; // a test's broken document
      }
      const acts = (doc as { activities?: unknown } | null)?.activities;
      if (!acts || typeof acts !== 'object' || Array.isArray(acts)) continue;
      seen.add(text);
      out.push({ source: `${relative(repo, file)} literal ${++i}`, text });
    }
  }
  return out;
}

/** save stores a campaign version from a document (POST /api/campaigns). */
export async function saveCampaign(request: APIRequestContext, text: string) {
  const res = await request.post('/api/campaigns', { headers: { 'Content-Type': 'application/yaml' }, data: text });
  expect(res.status(), await res.text()).toBe(200);
}

/** putDraft stores a document as the campaign's draft over whatever is there. */
export async function putDraft(request: APIRequestContext, name: string, text: string) {
  const cur = await request.get(`/api/campaigns/${name}/draft`);
  const revision = cur.ok() ? ((await cur.json()) as { revision: number }).revision : 0;
  const res = await request.put(`/api/campaigns/${name}/draft`, { data: { document: text, revision } });
  expect(res.status(), await res.text()).toBe(200);
}

export async function getDraft(request: APIRequestContext, name: string): Promise<{ document: string; revision: number }> {
  const res = await request.get(`/api/campaigns/${name}/draft`);
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as { document: string; revision: number };
}

/** spring is the example of docs/campaigns.md under another name. */
export function spring(name: string): string {
  const first = docCampaigns().find((d) => d.text.includes('name: spring-fashion'));
  if (!first) throw new Error('docs/campaigns.md has no spring-fashion example');
  return first.text.replace('name: spring-fashion', `name: ${name}`);
}

/** big is a document of 100 activities and no layout: start, a fork, 49
 * audiences each ending. */
export function big(name: string): string {
  const lines = [`name: ${name}`, 'dimension: customers', 'activities:', '  start: {type: start}', '  split_all: {type: fork}'];
  const ts = ['  - start -> split_all'];
  for (let i = 1; i <= 49; i++) {
    lines.push(`  aud_${i}: {type: build_audience, query: 'customer_id > ${i}'}`, `  end_${i}: {type: end}`);
    ts.push(`  - split_all -> aud_${i}`, `  - aud_${i} -> end_${i}`);
  }
  return [...lines, 'transitions:', ...ts, ''].join('\n');
}

/** openCanvas opens a campaign's canvas and waits for its activities. */
export async function openCanvas(page: Page, name: string, activities?: number) {
  await page.goto(`/campaigns/${name}/edit`);
  await expect(page.getByRole('heading', { level: 2, name: `Edit ${name}` })).toBeVisible();
  if (activities !== undefined) await expect(page.locator('.react-flow__node')).toHaveCount(activities);
}

/** node is an activity's box on the canvas. */
export const node = (page: Page, id: string) => page.getByTestId(`activity-${id}`);

/** edge is a transition's line on the canvas. */
export const edge = (page: Page, from: string, output: string, to: string) => page.locator(`.react-flow__edge[data-id="${from}.${output}->${to}"]`);

/** connectPorts drags from an output port to an activity's input. */
export async function connectPorts(page: Page, from: string, output: string, to: string) {
  await page.getByRole('button', { name: 'Fit view' }).click();
  const src = node(page, from).locator(`.react-flow__handle.source[data-handleid="${output}"]`);
  const dst = node(page, to).locator('.react-flow__handle.target');
  // Where both ports are once the view has settled (two readings agree).
  let last = '';
  await expect
    .poll(async () => {
      const now = JSON.stringify([await src.boundingBox(), await dst.boundingBox()]);
      const same = now === last;
      last = now;
      return same;
    })
    .toBe(true);
  const [a, b] = JSON.parse(last) as [{ x: number; y: number; width: number; height: number } | null, { x: number; y: number; width: number; height: number } | null];
  if (!a || !b) throw new Error('a port is not on screen');
  // Nothing else on top of the ports.
  for (const [p, id] of [[a, from], [b, to]] as const) {
    const top = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.closest('.react-flow__node')?.getAttribute('data-id'), { x: p.x + p.width / 2, y: p.y + p.height / 2 });
    expect(top, `the port of ${id} is covered`).toBe(id);
  }
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** yamlText reads the YAML view's text. */
export async function yamlText(page: Page): Promise<string> {
  return page.locator('.cm-content').evaluate((el) => {
    const view = (el as HTMLElement & { cmTile?: { root?: { view?: { state: { doc: { toString(): string } } } } } }).cmTile?.root?.view;
    if (!view) throw new Error('no CodeMirror view');
    return view.state.doc.toString();
  });
}

/** scrollYaml scrolls the YAML view to the first line holding text, at
 * its centre (CodeMirror draws only the lines near its viewport). */
export async function scrollYaml(page: Page, text: string) {
  await page.locator('.cm-content').evaluate((el, t) => {
    type View = { state: { doc: { toString(): string } }; dispatch(tr: unknown): void; constructor: { scrollIntoView(pos: number, opts: { y: string }): unknown } };
    const view = (el as HTMLElement & { cmTile?: { root?: { view?: View } } }).cmTile?.root?.view;
    if (!view) throw new Error('no CodeMirror view');
    const at = view.state.doc.toString().indexOf(t);
    if (at < 0) throw new Error(`the YAML holds no ${t}`);
    view.dispatch({ effects: view.constructor.scrollIntoView(at, { y: 'center' }) });
  }, text);
}

/** setYaml replaces the YAML view's text (as a paste would). */
export async function setYaml(page: Page, text: string) {
  await page.locator('.cm-content').evaluate((el, t) => {
    const view = (el as HTMLElement & { cmTile?: { root?: { view?: { state: { doc: { length: number } }; dispatch(tr: unknown): void } } } }).cmTile?.root?.view;
    if (!view) throw new Error('no CodeMirror view');
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } });
  }, text);
}

/** showView switches the editor between its canvas and its YAML. */
export async function showView(page: Page, view: 'Canvas' | 'YAML') {
  await page.locator('label').filter({ hasText: new RegExp(`^${view}$`) }).click();
  await expect(page.getByRole('radio', { name: view })).toBeChecked();
}

/** publish saves a campaign document and publishes it, through the API. */
export async function publish(request: APIRequestContext, name: string, doc: string) {
  const saved = await request.post('/api/campaigns', { headers: { 'Content-Type': 'application/yaml' }, data: doc });
  expect(saved.ok(), await saved.text()).toBe(true);
  const published = await request.post(`/api/campaigns/${name}/publish`);
  expect(published.ok(), await published.text()).toBe(true);
}

/** startLive starts a published campaign's live run from its page as a
 * user does (the button, then the confirmation) and returns the run's
 * number once its monitor is open. */
export async function startLive(page: Page, name: string): Promise<number> {
  await page.goto(`/campaigns/${name}`);
  await settled(page, name);
  await page.getByRole('button', { name: 'Start live now' }).click();
  await page.getByRole('dialog', { name: `Start a live run of ${name}?` }).getByRole('button', { name: 'Start live run of version 1' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  return Number(/\/runs\/(\d+)$/.exec(page.url())![1]);
}
