import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Locator, Page } from '@playwright/test';
import { seriousViolations } from './axe';
import { connectPorts, edge, node } from './campaigns';
import { expect, settled, test } from './fixtures';
import type { Server } from './servers';

// The whole of a campaign's life in the console, from an empty canvas:
// build audience → exclusion of a saved audience → deduplicate → split
// with a 10 % random control → email → end, every setting through the
// side panel; the email written with two fields from the picker, its
// preview following the profile chosen; simulated, its edges' counts
// those `fanfare campaign simulate` gives for the exported document;
// published, started live, the monitor followed to completion with sent
// + excluded = targeted; the message read in the inbox.

function cli(server: Server, args: string[]): string {
  return execFileSync(server.bin, [...args, '--server', server.url, '--token', server.token], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FANFARE_'))),
  });
}

/** add adds an activity from the palette (selected once added) and
 * answers its panel. */
async function add(page: Page, type: string, id: string): Promise<Locator> {
  await page.getByRole('button', { name: `Add activity: ${type}` }).click();
  await expect(node(page, id)).toBeVisible();
  const panel = page.getByRole('region', { name: `Activity ${id}` });
  await expect(panel).toBeVisible();
  return panel;
}

/** dragBetween drags the mouse from one element's centre to another's. */
async function dragBetween(page: Page, from: Locator, to: Locator) {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  if (!a || !b) throw new Error('a port is not on screen');
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** field is a setting's input in a panel: a text box, or a combo box
 * where the panel offers choices (saved audiences, inputs, attributes). */
function field(panel: Locator, label: string): Locator {
  const name = new RegExp(`^${label}`);
  return panel.getByRole('combobox', { name }).or(panel.getByRole('textbox', { name })).first();
}

/** pick chooses an option of a field, typing it first when the field
 * takes text. */
async function pick(page: Page, input: Locator, option: string) {
  await input.click();
  if (await input.isEditable()) await input.fill(option);
  await page.getByRole('option', { name: option, exact: true }).click();
}

// A step that cannot be done fails in 30 s, not at the test's end.
// A wide screen: the whole graph fits with ports large enough to aim at.
test.use({ actionTimeout: 30_000, viewport: { width: 1920, height: 1080 } });

test('a campaign built on an empty canvas, simulated, published, run live, read in the inbox', async ({ page, server, signIn }) => {
  test.setTimeout(600_000);
  const stamp = Date.now().toString(36);
  const name = `e2e-canvas-${server.health}-${stamp}`;
  const optouts = `e2e-optouts-${server.health}-${stamp}`;
  await signIn();
  const saved = await page.request.post('/api/audiences', { data: { name: optouts, text: 'country = "DE"' } });
  expect(saved.status(), await saved.text()).toBe(201);

  // A new campaign: its canvas holds a start.
  await page.goto('/campaigns');
  await settled(page, 'Campaigns');
  await page.getByRole('button', { name: 'New campaign' }).click();
  const dialog = page.getByRole('dialog', { name: 'New campaign' });
  await dialog.getByRole('textbox', { name: 'Campaign name' }).fill(name);
  await dialog.getByRole('button', { name: 'Create and open the canvas' }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${name}/edit$`));
  await expect(node(page, 'start')).toBeVisible();
  // The campaign's own settings, with no activity selected: whom it
  // targets.
  const settings = page.getByTestId('campaign-settings');
  await pick(page, field(settings, 'Dimension'), 'customers');
  expect(await seriousViolations(page)).toEqual([]);

  // The activities, each set in its panel.
  let panel = await add(page, 'build_audience', 'build_audience_1');
  await panel.getByRole('textbox', { name: /^Query/ }).fill('loyalty_tier in ("gold", "platinum")');
  panel = await add(page, 'read_audience', 'read_audience_1');
  await pick(page, field(panel, 'Audience'), optouts);
  panel = await add(page, 'combine', 'combine_1');
  await pick(page, field(panel, 'Mode'), 'exclusion');
  panel = await add(page, 'deduplicate', 'deduplicate_1');
  const fields = field(panel, 'Fields');
  await fields.fill('email');
  await fields.press('Enter');
  panel = await add(page, 'split', 'split_1');
  await panel.getByRole('button', { name: 'Add to Subsets' }).click();
  const control = panel.getByRole('group', { name: 'Subsets: Item 1' });
  await control.getByRole('textbox', { name: /^Name/ }).fill('control');
  const kept = panel.getByRole('group', { name: 'Subsets: control' });
  await kept.getByRole('textbox', { name: /^Limit/ }).fill('10%');
  await pick(page, kept.getByRole('combobox', { name: /^Order/ }), 'random');
  await panel.getByRole('checkbox', { name: 'Add the remainder output' }).check();
  panel = await add(page, 'email', 'email_1');
  await panel.getByRole('textbox', { name: /^From/ }).fill('Fanfare Shop <shop@example.com>');
  // The subject, with two fields picked from the picker.
  const subject = panel.getByRole('textbox', { name: /^Subject/ });
  await subject.fill('Hello ');
  await subject.focus();
  await subject.press('End');
  await panel.getByRole('button', { name: 'Insert profile.first_name' }).click();
  await subject.press('End');
  await subject.pressSequentially(', your tier: ');
  await panel.getByRole('button', { name: 'Insert profile.loyalty_tier' }).click();
  await expect(subject).toHaveValue('Hello {{ profile.first_name }}, your tier: {{ profile.loyalty_tier }}');
  const html = panel.getByTestId('code-html').locator('.cm-content');
  await html.click();
  await page.keyboard.type('<p>New in for you.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>');
  // The preview follows the profile chosen.
  const key = panel.getByRole('textbox', { name: /^Profile key/ });
  const rendered = panel.getByTestId('preview-Subject');
  await key.fill('1');
  await expect(rendered).toHaveText(/^Hello .+, your tier: .+$/);
  const first = await rendered.textContent();
  await key.fill('2');
  await expect(rendered).not.toHaveText(first ?? '');
  await expect(rendered).toHaveText(/^Hello .+, your tier: .+$/);
  await add(page, 'end', 'end_1');

  // The transitions, on a canvas laid out (activities added by a click
  // land where there is room, not where they will go).
  const tidy = page.getByRole('button', { name: 'Tidy up' });
  for (const [from, port, to] of [
    ['start', 'out', 'build_audience_1'],
    ['start', 'out', 'read_audience_1'],
    ['build_audience_1', 'out', 'combine_1'],
    ['read_audience_1', 'out', 'combine_1'],
    ['combine_1', 'out', 'deduplicate_1'],
    ['deduplicate_1', 'out', 'split_1'],
    ['split_1', 'remainder', 'email_1'],
    ['split_1', 'control', 'end_1'],
    ['email_1', 'out', 'end_1'],
  ] as const) {
    // Laid out first: an activity added by a click lands where there is
    // room, not where it will go; once more if the drag missed its port.
    await tidy.click();
    await connectPorts(page, from, port, to);
    if ((await edge(page, from, port, to).count()) === 0) {
      // Once more, the other way round: from the input to the output port.
      await tidy.click();
      await dragBetween(page, node(page, to).locator('.react-flow__handle.target'), node(page, from).locator(`.react-flow__handle.source[data-handleid="${port}"]`));
    }
    await expect(edge(page, from, port, to)).toBeVisible();
  }
  // The exclusion keeps its primary input's rows: one of its inputs now.
  await node(page, 'combine_1').click();
  panel = page.getByRole('region', { name: 'Activity combine_1' });
  await pick(page, field(panel, 'Primary'), 'build_audience_1');
  await expect(page.getByTestId('problem-list')).toContainText('None: the campaign is valid.');
  expect(await seriousViolations(page)).toEqual([]);

  // Simulated: the counts on every edge, as the CLI's simulation of the
  // exported document has them (a random split's members differ between
  // runs, never its counts).
  await page.getByRole('button', { name: 'Simulate', exact: true }).click();
  await expect(edge(page, 'email_1', 'out', 'end_1').locator('.react-flow__edge-text')).toBeVisible({ timeout: 120_000 });
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export' }).click();
  const exported = readFileSync(await (await download).path(), 'utf8');
  const doc = parse(exported) as { name: string };
  doc.name = `${name}-cli`;
  const file = join(tmpdir(), `${doc.name}.yaml`);
  writeFileSync(file, stringify(doc));
  const simulated = JSON.parse(cli(server, ['campaign', 'simulate', file, '--json'])) as { transitions: { from: string; output: string; to: string; count?: number }[] };
  for (const tr of simulated.transitions) {
    await expect(edge(page, tr.from, tr.output, tr.to).locator('.react-flow__edge-text'), `${tr.from}.${tr.output} -> ${tr.to}`).toHaveText(String(tr.count ?? 0).replace(/\B(?=(\d{3})+(?!\d))/g, ','));
  }

  // Published, started live: the monitor follows the run to its end.
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.goto(`/campaigns/${name}`);
  await settled(page, name);
  await page.getByRole('button', { name: 'Start live now' }).click();
  const start = page.getByRole('dialog', { name: `Start a live run of ${name}?` });
  await start.getByRole('button', { name: /^Start live run of version/ }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const run = Number(/\/runs\/(\d+)$/.exec(page.url())![1]);
  // The monitor shows the send complete (every message with an outcome),
  // then stops following: the run is over.
  const card = page.locator('[data-delivery="email_1"]');
  await expect(card.getByText(/ with an outcome \(100%\)/)).toBeVisible({ timeout: 120_000 });
  await expect(page.getByText('Following live', { exact: true })).toHaveCount(0, { timeout: 60_000 });
  const figures = ((await (await page.request.get(`/api/runs/${run}/delivery`)).json()) as { channels: { activity: string; targeted: number; sent: number; excluded: number }[] }).channels;
  expect(figures).toHaveLength(1);
  const f = figures[0]!;
  expect(f.targeted).toBeGreaterThan(0);
  expect(f.sent + f.excluded, JSON.stringify(f)).toBe(f.targeted);
  await expect(card.locator('[data-figure="sent"]')).toHaveText(f.sent.toLocaleString('en-US'));
  await expect(card.locator('[data-figure="targeted"]')).toHaveText(f.targeted.toLocaleString('en-US'));
  expect(await seriousViolations(page)).toEqual([]);

  // The run on the canvas: each edge with the count the run recorded.
  await page.getByRole('link', { name: 'On the canvas' }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${name}/edit\\?run=${run}$`));
  const live = ((await (await page.request.get(`/api/runs/${run}`)).json()) as { transitions: { from: string; output: string; to: string; count?: number }[] }).transitions;
  for (const tr of live.filter((x) => x.count !== undefined)) {
    await expect(edge(page, tr.from, tr.output, tr.to).locator('.react-flow__edge-text'), `${tr.from}.${tr.output} -> ${tr.to}`).toHaveText(tr.count!.toLocaleString('en-US'));
  }

  // The message in the inbox.
  await page.goto(`/messages?run=${run}`);
  await settled(page, 'Messages');
  const group = page.getByRole('region', { name: new RegExp(`^Run ${run} · ${name} · email_1`) });
  await expect(group).toBeVisible();
  await group.getByRole('link').first().click();
  await expect(page.getByText(/^Hello .+, your tier: .+$/).first()).toBeVisible();
});
