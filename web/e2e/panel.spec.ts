import AxeBuilder from '@axe-core/playwright';
import { parse } from 'yaml';
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { connectPorts, spring } from './campaigns';
import type { Server } from './servers';

// The activity panel on the campaign canvas: a campaign with one activity
// of each kind the panel has an editor for, saved through the API, opened
// on its canvas (/campaigns/NAME/edit); an activity is selected by
// clicking its node. The email's preview is rendered by the server for
// the document being edited (its `document`), for the profile chosen.

const yaml = (name: string) => `name: ${name}
dimension: customers
variables:
  discount: 10
activities:
  every_monday:
    type: scheduler
    cron: '0 9 * * 1'
    timezone: Europe/Paris
  buyers:
    type: build_audience
    query: 'loyalty_tier in ("gold", "platinum")'
  groups:
    type: split
    subsets:
      - {name: vip, where: 'loyalty_tier = "platinum"'}
    remainder: true
  mail:
    type: email
    from: 'Fanfare Shop <shop@example.com>'
    subject: 'Hello'
    html: |
      <p>Hello {{ profile.first_name }},</p>
      <p>New in this week.</p>
      <p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
  text:
    type: sms
    from: Fanfare
    text: 'Hi {{ profile.first_name }}, {{ vars.discount }}% off this week!'
  done:
    type: end
transitions:
  - every_monday -> buyers
  - buyers -> groups
  - groups.vip -> mail
  - groups.remainder -> text
  - mail -> done
  - text -> done
`;

function auth(server: Server) {
  return { Authorization: `Bearer ${server.token}` };
}

/** aCampaign saves a fresh campaign for one test and answers its name. */
async function aCampaign(request: APIRequestContext, server: Server): Promise<string> {
  const name = `panel-${server.health}-${Date.now().toString(36)}`;
  const res = await request.post(`${server.url}/api/campaigns`, { headers: { ...auth(server), 'Content-Type': 'application/yaml' }, data: yaml(name) });
  expect(res.ok(), await res.text()).toBe(true);
  return name;
}

/** firstName reads a customer's first name from the store (an audience
 * of one). */
async function firstName(request: APIRequestContext, server: Server, id: number): Promise<string> {
  const res = await request.post(`${server.url}/api/audiences/count`, { headers: auth(server), data: { text: `customer_id = ${id}`, sample: 1, attributes: ['first_name'] } });
  expect(res.ok()).toBe(true);
  const row = ((await res.json()) as { sample: { rows: [string][] } }).sample.rows[0];
  expect(row, `customer ${id}`).toBeDefined();
  return row![0];
}

/** open opens the campaign's canvas and selects an activity. */
async function open(page: Page, name: string, id: string) {
  await page.goto(`/campaigns/${name}/edit`);
  const node = page.locator(`.react-flow__node[data-id="${id}"]`);
  await expect(node).toBeVisible();
  await node.click();
  const panel = page.getByRole('region', { name: `Activity ${id}` });
  await expect(panel).toBeVisible();
  return panel;
}

/** violations runs axe on one part of the page (the panel, a dialog):
 * the canvas around it is checked by its own spec. */
async function violations(page: Page, selector: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).exclude('iframe[sandbox]').analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

test('an email: subject edited with two fields from the picker, previewed for two profiles, a template error at its line', async ({ page, request, server, signIn }) => {
  const name = await aCampaign(request, server);
  const [one, other] = await Promise.all([firstName(request, server, 1), firstName(request, server, 2)]);
  await signIn();
  const panel = await open(page, name, 'mail');

  // The subject, then two fields from the picker inserted at its cursor.
  const subject = panel.getByRole('textbox', { name: /^Subject/ });
  await subject.fill('Hi ');
  await subject.focus();
  await subject.press('End');
  await panel.getByRole('button', { name: 'Insert profile.first_name' }).click();
  await subject.press('End');
  await subject.pressSequentially(', ');
  await panel.getByRole('button', { name: 'Insert vars.discount' }).click();
  await subject.press('End');
  await subject.pressSequentially('% off');
  await expect(subject).toHaveValue('Hi {{ profile.first_name }}, {{ vars.discount }}% off');

  // The preview renders the edited document for the profile chosen.
  const key = panel.getByRole('textbox', { name: 'Profile key: customer_id' });
  await key.fill('1');
  const rendered = panel.getByTestId('preview-Subject');
  await expect(rendered).toHaveText(`Hi ${one}, 10% off`);
  await key.fill('2');
  await expect(rendered).toHaveText(`Hi ${other}, 10% off`);
  // Desktop and mobile widths.
  const frame = panel.locator('iframe[sandbox=""]');
  await expect(frame).toHaveAttribute('data-width', 'desktop');
  await panel.getByText('Mobile', { exact: true }).click();
  await expect(frame).toHaveAttribute('data-width', 'mobile');
  await expect(page.frameLocator('iframe[sandbox=""]').locator('body')).toContainText(`Hello ${other},`);

  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);

  // The wide editor: fields, picker and preview side by side, the same
  // profile previewed.
  await panel.getByRole('button', { name: 'Open the wide editor' }).click();
  const wide = page.getByRole('dialog', { name: 'Email mail: the message' });
  await expect(wide.getByTestId('preview-Subject')).toHaveText(`Hi ${other}, 10% off`);
  expect(await violations(page, '[role="dialog"]')).toEqual([]);
  await wide.getByRole('button', { name: 'Close' }).click();
  await expect(wide).toBeHidden();

  // A proof of the edited message, to a test address (the sandbox).
  await panel.getByRole('textbox', { name: /^Test addresses/ }).fill('qa@example.com');
  await panel.getByRole('button', { name: 'Send the proof' }).click();
  await expect(panel.getByText('qa@example.com: sent')).toBeVisible();

  // A template error: shown at its line in the HTML editor, and said.
  const html = panel.getByTestId('code-html').locator('.cm-content');
  await html.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('<p>{{ profile.nope }}</p>');
  await expect(panel.getByTestId('preview-errors')).toContainText('line 4');
  await expect(panel.getByTestId('preview-errors')).toContainText('profile.nope');
  await expect(panel.getByTestId('code-html').locator('.cm-lint-marker-error')).toHaveCount(1);
  await expect(panel.getByTestId('code-html').locator('.cm-gutterElement', { has: page.locator('.cm-lint-marker-error') })).toBeVisible();
});

test('a query opens in the audience builder and its text comes back', async ({ page, request, server, signIn }) => {
  const name = await aCampaign(request, server);
  await signIn();
  const panel = await open(page, name, 'buyers');
  const query = panel.getByRole('textbox', { name: /^Query/ });
  await expect(query).toHaveValue('loyalty_tier in ("gold", "platinum")');
  await panel.getByRole('button', { name: 'Open in the audience builder' }).click();
  const dialog = page.getByRole('dialog', { name: 'Audience builder: Query' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('builder-text')).toHaveText('loyalty_tier in ("gold", "platinum")');
  expect(await violations(page, '[role="dialog"]')).toEqual([]);
  // A second condition, all of them: country = "FR".
  await dialog.getByRole('button', { name: '+ Condition: add a condition to the audience' }).click();
  const attr = dialog.getByRole('combobox', { name: 'Attribute of condition 2', exact: true });
  await attr.click();
  await attr.fill('country');
  await page.getByRole('option', { name: 'country', exact: true }).click();
  await dialog.getByLabel('Value of country, condition 2').fill('FR');
  await expect(dialog.getByTestId('builder-text')).toHaveText('loyalty_tier in ("gold", "platinum") and country = "FR"');
  await dialog.getByRole('button', { name: 'Apply to the query' }).click();
  await expect(dialog).toBeHidden();
  await expect(query).toHaveValue('loyalty_tier in ("gold", "platinum") and country = "FR"');
});

test('a split gets a 10 % random control subset, kept in the document', async ({ page, request, server, signIn }) => {
  const name = await aCampaign(request, server);
  await signIn();
  let panel = await open(page, name, 'groups');
  await panel.getByRole('button', { name: 'Add to Subsets' }).click();
  const item = panel.getByRole('group', { name: 'Subsets: Item 2' });
  await item.getByRole('textbox', { name: /^Name/ }).fill('control');
  const control = panel.getByRole('group', { name: 'Subsets: control' });
  await control.getByRole('textbox', { name: /^Limit/ }).fill('10%');
  // Order: suggested (random, or an attribute asc or desc), typed here.
  const order = control.getByRole('combobox', { name: /^Order/ });
  await order.fill('random');
  await order.press('Escape');
  // First, before vip.
  await control.getByRole('button', { name: 'Move control up' }).click();
  await expect(panel.getByRole('group', { name: /^Subsets: / }).first()).toHaveAccessibleName('Subsets: control');

  // Another activity, then back: the panel reads the document again.
  await page.locator('.react-flow__node[data-id="mail"]').click();
  await expect(page.getByRole('region', { name: 'Activity mail' })).toBeVisible();
  await page.locator('.react-flow__node[data-id="groups"]').click();
  panel = page.getByRole('region', { name: 'Activity groups' });
  const kept = panel.getByRole('group', { name: /^Subsets: / });
  await expect(kept).toHaveCount(2);
  await expect(kept.first()).toHaveAccessibleName('Subsets: control');
  await expect(kept.first().getByRole('textbox', { name: /^Limit/ })).toHaveValue('10%');
  await expect(kept.first().getByRole('combobox', { name: /^Order/ })).toHaveValue('random');
  await expect(kept.last()).toHaveAccessibleName('Subsets: vip');
});

test('a scheduler shows its next occurrences, and a preset rewrites its cron', async ({ page, request, server, signIn }) => {
  const name = await aCampaign(request, server);
  await signIn();
  const panel = await open(page, name, 'every_monday');
  const next = panel.getByTestId('next-occurrences').getByRole('listitem');
  await expect(next).toHaveCount(5);
  // Mondays at 09:00 in Paris: 07:00 or 08:00 UTC.
  for (const li of await next.all()) await expect(li).toContainText(/T0[78]:00:00Z/);
  await panel.getByRole('combobox', { name: 'Schedule' }).click();
  await page.getByRole('option', { name: 'Every day' }).click();
  const cron = panel.getByRole('textbox', { name: /^Cron/ });
  await expect(cron).toHaveValue('0 9 * * *');
  await expect(panel.getByRole('status', { name: 'Computing the next occurrences' })).toHaveCount(0);
  await expect(next).toHaveCount(5);
  // Every day now: a day apart (a clock change aside), no longer a week.
  await expect
    .poll(async () => {
      const [a, b] = await Promise.all([next.nth(0).innerText(), next.nth(1).innerText()]);
      const at = (x: string) => Date.parse(/\d{4}-\d\d-\d\dT[\d:]+Z/.exec(x)?.[0] ?? '');
      return Math.round((at(b) - at(a)) / 3_600_000);
    })
    .toBeLessThanOrEqual(25);
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);
});

test('an SMS counts its segments as it is typed and for the profile', async ({ page, request, server, signIn }) => {
  const name = await aCampaign(request, server);
  await signIn();
  const panel = await open(page, name, 'text');
  const written = panel.getByTestId('segments-written');
  await expect(written).toContainText('1 segment');
  await expect(written).toContainText('GSM-7');
  const text = panel.getByRole('textbox', { name: /^Text/ });
  // 161 GSM-7 characters: two segments.
  await text.fill('x'.repeat(161));
  await expect(written).toContainText('2 segments');
  // One character outside GSM-7 (È): UCS-2, 70 a segment.
  await text.fill(`È{{ profile.first_name }} ${'y'.repeat(40)}`);
  await expect(written).toContainText('UCS-2');
  await expect(panel.getByTestId('segments-rendered')).toContainText('UCS-2');
  await expect(panel.getByTestId('segments-rendered')).toContainText(/1 segment|2 segments/);
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);
});

const pushYaml = (name: string) => `name: ${name}
dimension: customers
activities:
  start: {type: start}
  everyone: {type: build_audience, query: 'customer_id <= 50'}
  app:
    type: push
    title: 'Hello'
  done: {type: end}
transitions:
  - start -> everyone
  - everyone -> app
  - app -> done
`;

test('a push: title, body, image, deep link, data and the iOS and Android options, previewed on both phones for the profile', async ({ page, request, server, signIn }) => {
  const name = `panel-push-${server.health}-${Date.now().toString(36)}`;
  const saved = await request.post(`${server.url}/api/campaigns`, { headers: { ...auth(server), 'Content-Type': 'application/yaml' }, data: pushYaml(name) });
  expect(saved.ok(), await saved.text()).toBe(true);
  const [one, other] = await Promise.all([firstName(request, server, 1), firstName(request, server, 2)]);
  await signIn();
  const panel = await open(page, name, 'app');

  // The title written with a field from the picker, then the rest.
  const title = panel.getByRole('textbox', { name: /^Title/ });
  await title.fill('Hi ');
  await title.focus();
  await title.press('End');
  await panel.getByRole('button', { name: 'Insert profile.first_name' }).click();
  await expect(title).toHaveValue('Hi {{ profile.first_name }}');
  await panel.getByRole('textbox', { name: /^Body/ }).fill('New in for {{ profile.loyalty_tier }}');
  await panel.getByRole('textbox', { name: /^Image/ }).fill('https://img.example.com/spring.png');
  await panel.getByRole('textbox', { name: /^Deep link/ }).fill('shop://new');
  const data = panel.getByRole('group', { name: 'Data' });
  await data.getByRole('button', { name: 'Add an entry to Data' }).click();
  await data.getByRole('textbox', { name: 'Data: name 1' }).fill('customer');
  await data.getByRole('textbox', { name: 'Data: value 1' }).fill('{{ profile.customer_id }}');
  const ios = panel.getByRole('group', { name: 'iOS' });
  await ios.getByRole('textbox', { name: /^Badge/ }).fill('1');
  await ios.getByRole('textbox', { name: /^Sound/ }).fill('default');
  await ios.getByRole('textbox', { name: /^Expiration/ }).fill('6h');
  const android = panel.getByRole('group', { name: 'Android' });
  await android.getByRole('textbox', { name: /^Channel/ }).fill('offers');
  await android.getByRole('textbox', { name: /^Priority/ }).fill('high');

  // Both phones show the title and body rendered for the profile chosen.
  const tier = async (id: number) => {
    const res = await request.post(`${server.url}/api/audiences/count`, { headers: auth(server), data: { text: `customer_id = ${id}`, sample: 1, attributes: ['loyalty_tier'] } });
    return ((await res.json()) as { sample: { rows: [string][] } }).sample.rows[0]![0];
  };
  const key = panel.getByRole('textbox', { name: 'Profile key: customer_id' });
  const iosCard = panel.getByRole('figure', { name: 'iOS notification' });
  const androidCard = panel.getByRole('figure', { name: 'Android notification' });
  for (const [id, first] of [[1, one], [2, other]] as const) {
    await key.fill(String(id));
    const body = `New in for ${await tier(id)}`;
    for (const card of [iosCard, androidCard]) {
      await expect(card.getByText(`Hi ${first}`, { exact: true })).toBeVisible();
      await expect(card.getByText(body, { exact: true })).toBeVisible();
      await expect(card.getByText('Image: https://img.example.com/spring.png')).toBeVisible();
    }
  }
  await expect(page.getByTestId('problem-list')).toContainText('None: the campaign is valid.');
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);

  // A data key FCM reserves: the server's problem shows on the Data field
  // (not in the panel's list of problems no field shows), and in the list.
  const dataKey = data.getByRole('textbox', { name: 'Data: name 1' });
  await dataKey.fill('from');
  const reserved = 'data key "from" is reserved by FCM';
  await expect(data).toContainText(reserved);
  await expect(page.getByTestId('problem-list').locator('[data-activity="app"]')).toContainText(reserved);
  await expect(panel.getByTestId('panel-problems')).toHaveCount(0);
  await expect(ios).not.toContainText(reserved);
  // An iOS expiration that is no duration: on that field, not its neighbours.
  const expiration = ios.getByRole('textbox', { name: /^Expiration/ });
  await expiration.fill('forever');
  const notDuration = '"forever" is not a duration such as 6h or 0s';
  await expect(expiration).toHaveAttribute('aria-invalid', 'true');
  await expect(expiration).toHaveAccessibleDescription(new RegExp(notDuration));
  await expect(ios.getByRole('textbox', { name: /^Sound/ })).not.toHaveAttribute('aria-invalid', 'true');
  // The preview kept from before the problems, marked out of date; all of
  // it readable (axe's contrast), the problems on the fieldsets' tint too.
  await expect(panel.getByTestId('preview-errors')).toContainText(notDuration);
  await expect(panel.getByRole('region', { name: 'Preview' }).locator('[data-stale="true"]')).toBeVisible();
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);
  await dataKey.fill('customer');
  await expiration.fill('6h');
  await expect(page.getByTestId('problem-list')).toContainText('None: the campaign is valid.');
  await expect(data).not.toContainText(reserved);
  await expect(expiration).not.toHaveAttribute('aria-invalid', 'true');
  await expect(panel.getByRole('region', { name: 'Preview' }).locator('[data-stale="false"]')).toBeVisible();

  // The document holds every setting as docs/delivery.md writes it.
  await expect(page.getByTestId('save-status')).toHaveText('Draft saved');
  await expect
    .poll(async () => {
      const res = await request.get(`${server.url}/api/campaigns/${name}/draft`, { headers: auth(server) });
      return (parse(((await res.json()) as { document: string }).document) as { activities: Record<string, unknown> }).activities.app;
    })
    .toEqual({
      type: 'push',
      title: 'Hi {{ profile.first_name }}',
      body: 'New in for {{ profile.loyalty_tier }}',
      image: 'https://img.example.com/spring.png',
      deep_link: 'shop://new',
      data: { customer: '{{ profile.customer_id }}' },
      ios: { badge: 1, sound: 'default', expiration: '6h' },
      android: { channel: 'offers', priority: 'high' },
    });
});

test('an email: a purchase\'s amount and an enrichment column from the picker, previewed; its text part derived from the HTML, then written by hand', async ({ page, request, server, signIn }) => {
  const name = `panel-enrich-${server.health}-${Date.now().toString(36)}`;
  const saved = await request.post(`${server.url}/api/campaigns`, { headers: { ...auth(server), 'Content-Type': 'application/yaml' }, data: spring(name) });
  expect(saved.ok(), await saved.text()).toBe(true);
  // Customer 1's purchases, as the store has them.
  const res = await request.post(`${server.url}/api/audiences/count`, { headers: auth(server), data: { text: 'customer_id = 1', dimension: 'purchases', sample: 10, attributes: ['amount'] } });
  const amounts = ((await res.json()) as { sample: { rows: [string][] } }).sample.rows.map((r) => r[0]);
  expect(amounts.length, 'customer 1 has purchases, at most 5').toBeGreaterThan(0);
  expect(amounts.length).toBeLessThanOrEqual(5);
  await signIn();
  const panel = await open(page, name, 'mail_rest');
  await panel.getByRole('textbox', { name: 'Profile key: customer_id' }).fill('1');

  // Into the HTML (the picker's fallback: its end), a loop over the
  // purchases writing their amounts, and the enrichment column tier.
  const picker = panel.getByRole('region', { name: 'Personalisation' });
  await picker.getByRole('button', { name: 'purchases (a list)' }).click();
  await picker.getByRole('button', { name: 'Insert purchase.amount' }).click();
  await picker.getByRole('group', { name: 'Enrichment columns' }).getByRole('button', { name: 'Insert target.tier' }).click();
  const html = panel.getByTestId('code-html');
  await expect(html).toContainText('{% for purchase in profile.purchases limit: 5 %}{{ purchase.amount }} {% endfor %}');
  await expect(html).toContainText('{{ target.tier }}');
  // A preview has no run: said, and the column renders empty.
  await expect(panel.getByText('A preview has no run: the enrichment columns (target.…) render empty.')).toBeVisible();

  // The text part, derived from the HTML: the amounts in it.
  await expect(panel.getByRole('radio', { name: 'Derived from the HTML' })).toBeChecked();
  await panel.locator('label').filter({ hasText: /^Text part$/ }).click();
  const text = panel.getByTestId('preview-text');
  for (const a of amounts) await expect(text).toContainText(a);
  await expect(text).toContainText('the spring collection is in.');
  await expect(text).not.toContainText('{{');
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);

  // Written by hand: the preview's text is the one written.
  await panel.locator('label').filter({ hasText: /^Written$/ }).click();
  const written = panel.getByRole('textbox', { name: /^Text/ });
  await written.fill('Hello {{ profile.first_name }}, {{ profile.purchases.size }} purchases.');
  await expect(text).toHaveText(`Hello ${await firstName(request, server, 1)}, ${amounts.length} purchases.`);
  await expect(page.getByTestId('save-status')).toHaveText('Draft saved');
  const draftText = async () => {
    const d = await request.get(`${server.url}/api/campaigns/${name}/draft`, { headers: auth(server) });
    return (parse(((await d.json()) as { document: string }).document) as { activities: Record<string, { text?: string }> }).activities.mail_rest!.text;
  };
  await expect.poll(draftText).toBe('Hello {{ profile.first_name }}, {{ profile.purchases.size }} purchases.');
  // Derived again: the written text leaves the document.
  await panel.locator('label').filter({ hasText: /^Derived from the HTML$/ }).click();
  await expect(written).toHaveCount(0);
  await expect.poll(draftText).toBeUndefined();
  await expect(text).toContainText('the spring collection is in.');
});

const editorsYaml = (name: string) => `name: ${name}
dimension: customers
activities:
  start: {type: start}
  everyone: {type: build_audience, query: 'customer_id <= 50'}
  more: {type: enrich}
  pause: {type: wait, duration: 2h}
  check: {type: test}
  done: {type: end}
transitions:
  - start -> everyone
  - everyone -> more
  - more -> pause
  - pause -> check
  - check.default -> done
`;

test('an enrich column, a wait (duration, then until), a test branch and an end signal, each set in its panel', async ({ page, request, server, signIn }) => {
  const name = `panel-editors-${server.health}-${Date.now().toString(36)}`;
  const followUp = `${name}-next`;
  for (const doc of [`name: ${followUp}\ndimension: customers\nactivities:\n  go: {type: signal, params: [source]}\n  all: {type: build_audience, query: all}\ntransitions:\n  - go -> all\n`, editorsYaml(name)]) {
    const saved = await request.post(`${server.url}/api/campaigns`, { headers: { ...auth(server), 'Content-Type': 'application/yaml' }, data: doc });
    expect(saved.ok(), await saved.text()).toBe(true);
  }
  await signIn();
  const problems = page.getByTestId('problem-list');
  // Another activity selected on the same canvas (no reload: the draft
  // autosaves a second after an edit).
  const select = async (id: string) => {
    await page.locator(`.react-flow__node[data-id="${id}"]`).click();
    const region = page.getByRole('region', { name: `Activity ${id}` });
    await expect(region).toBeVisible();
    return region;
  };

  // Enrich: a column, the largest amount of the customer's purchases; the
  // attributes offered are the purchases' once the link is chosen.
  let panel = await open(page, name, 'more');
  await panel.getByRole('button', { name: 'Add to Columns' }).click();
  const column = panel.getByRole('group', { name: 'Columns: Item 1' });
  await column.getByRole('textbox', { name: /^Name/ }).fill('top_amount');
  // Named, the item is called by its name.
  const col = panel.getByRole('group', { name: 'Columns: top_amount' });
  await col.getByRole('combobox', { name: /^Link/ }).fill('purch');
  await page.getByRole('option', { name: 'purchases', exact: true }).click();
  await col.getByRole('combobox', { name: /^Aggregate/ }).click();
  await page.getByRole('option', { name: 'max', exact: true }).click();
  await col.getByRole('combobox', { name: /^Attribute$/ }).fill('amo');
  await page.getByRole('option', { name: 'amount', exact: true }).click();
  await col.getByRole('textbox', { name: /^Where/ }).fill('quantity >= 1');
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);

  // Wait: a duration the server refuses, shown on the field; then until.
  panel = await select('pause');
  const duration = panel.getByRole('textbox', { name: /^Duration/ });
  await expect(duration).toHaveValue('2h');
  await duration.fill('soon');
  await expect(duration).toHaveAttribute('aria-invalid', 'true');
  await expect(problems.locator('[data-activity="pause"]')).toBeVisible();
  await panel.locator('label').filter({ hasText: /^Until an instant$/ }).click();
  await expect(duration).toHaveCount(0);
  await panel.getByRole('textbox', { name: /^Until/ }).fill('2027-01-04T09:00:00Z');
  await expect(problems.locator('[data-activity="pause"]')).toHaveCount(0);

  // Test: a branch, its port connected to the end.
  panel = await select('check');
  await panel.getByRole('button', { name: 'Add to Branches' }).click();
  await panel.getByRole('group', { name: 'Branches: Item 1' }).getByRole('textbox', { name: /^Name/ }).fill('big');
  await panel.getByRole('group', { name: 'Branches: big' }).getByRole('textbox', { name: /^If/ }).fill('count >= 10');
  await expect(page.locator('.react-flow__node[data-id="check"] .react-flow__handle.source[data-handleid="big"]')).toHaveCount(1);
  await expect(problems.locator('[data-activity="check"]')).toContainText('big');
  await connectPorts(page, 'check', 'big', 'done');
  await expect(problems.locator('[data-activity="check"]')).toHaveCount(0);

  // End: a signal to the follow-up campaign with a parameter.
  panel = await select('done');
  const signal = panel.getByRole('group', { name: 'Signal another campaign' });
  await signal.getByRole('combobox', { name: /^Campaign/ }).fill(followUp);
  await page.getByRole('option', { name: followUp, exact: true }).click();
  await signal.getByRole('button', { name: 'Add an entry to Parameters' }).click();
  await signal.getByRole('textbox', { name: 'Parameters: name 1' }).fill('source');
  await signal.getByRole('textbox', { name: 'Parameters: value 1' }).fill('editors');
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);

  await expect(problems).toContainText('None: the campaign is valid.');
  await expect(page.getByTestId('save-status')).toHaveText('Draft saved');
  await expect
    .poll(async () => {
      const res = await request.get(`${server.url}/api/campaigns/${name}/draft`, { headers: auth(server) });
      const doc = parse(((await res.json()) as { document: string }).document) as { activities: Record<string, unknown>; transitions: string[] };
      return { more: doc.activities.more, pause: doc.activities.pause, check: doc.activities.check, done: doc.activities.done, big: doc.transitions.includes('check.big -> done') };
    })
    .toEqual({
      more: { type: 'enrich', columns: [{ name: 'top_amount', link: 'purchases', aggregate: 'max', attribute: 'amount', where: 'quantity >= 1' }] },
      pause: { type: 'wait', until: '2027-01-04T09:00:00Z' },
      check: { type: 'test', branches: [{ name: 'big', if: 'count >= 10' }] },
      done: { type: 'end', signal: { campaign: followUp, params: { source: 'editors' } } },
      big: true,
    });
});

test('after a simulation, the preview renders for a row that entered the activity', async ({ page, request, server, signIn }) => {
  test.setTimeout(240_000);
  const name = `panel-rows-${server.health}-${Date.now().toString(36)}`;
  const saved = await request.post(`${server.url}/api/campaigns`, { headers: { ...auth(server), 'Content-Type': 'application/yaml' }, data: spring(name) });
  expect(saved.ok(), await saved.text()).toBe(true);
  await signIn();
  await page.goto(`/campaigns/${name}/edit`);
  await page.getByRole('button', { name: 'Simulate' }).click();
  const link = page.getByTestId('run-link');
  await expect(link).toBeVisible();
  const runId = Number((await link.getAttribute('href'))?.split('/').pop());
  await expect(page.getByTestId('activity-done')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });

  // The rows of groups.vip (mail_vip's input), as the API has them; the
  // third one picked.
  const res = await request.get(`${server.url}/api/runs/${runId}/preview?activity=groups&port=vip&limit=50`, { headers: auth(server) });
  expect(res.ok(), await res.text()).toBe(true);
  const rows = (await res.json()) as { columns: string[]; rows: unknown[][] };
  expect(rows.rows.length).toBeGreaterThanOrEqual(3);
  const id = Number(rows.rows[2]![rows.columns.indexOf('customer_id')]);
  const first = await firstName(request, server, id);

  await page.locator('.react-flow__node[data-id="mail_vip"]').click();
  const panel = page.getByRole('region', { name: 'Activity mail_vip' });
  const chooser = panel.getByRole('combobox', { name: `A row that entered this activity in run ${runId}` });
  await chooser.click();
  await expect(page.getByRole('option')).toHaveCount(rows.rows.length);
  await page.getByRole('option', { name: new RegExp(`^${id} · `) }).click();
  await expect(panel.getByRole('textbox', { name: 'Profile key: customer_id' })).toHaveValue(String(id));
  await expect(panel.getByTestId('preview-Subject')).toHaveText(`${first}, 15% off fashion, just for you`);
  expect(await violations(page, '[data-testid="activity-panel"]')).toEqual([]);
});
