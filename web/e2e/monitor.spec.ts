import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { seriousViolations } from './axe';
import { publish, startLive } from './campaigns';
import { exampleCampaign } from './data';
import { expect, settled, test } from './fixtures';

// The run monitor, live: the example campaign of docs/campaigns.md
// simulated from its page (its monitor reaches Completed with every
// transition's count as the API has it), and a copy of it with
// confirm_send run live (the monitor says at the top that nothing is sent
// until confirmation; the confirm dialog shows the held and targeted
// counts; once confirmed the run ends with sent + excluded = targeted).
// Both measure how long a count recorded in the store takes to show.

interface ApiRun {
  run: { id: number; status: string };
  activities: { id: string; status: string; finished_at?: string }[] | null;
  transitions: { from: string; output: string; to: string; count?: number }[] | null;
}

interface Figures {
  activity: string;
  targeted: number;
  sent: number;
  excluded: number;
}

/** watchDisplay records, in the page from its first load, when each
 * activity's state and each delivery figure first showed with a value
 * (ms since the epoch, the clock the server's times are read against: one
 * machine). */
async function watchDisplay(page: Page) {
  await page.addInitScript(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __seen: Record<string, number> }).__seen = seen;
    const look = () => {
      const now = Date.now();
      document.querySelectorAll('[data-activity][data-status]').forEach((el) => {
        const key = `activity:${el.getAttribute('data-activity')}=${el.getAttribute('data-status')}`;
        seen[key] ??= now;
      });
      document.querySelectorAll('[data-delivery] [data-figure]').forEach((el) => {
        const card = el.closest('[data-delivery]')!;
        const key = `${el.getAttribute('data-figure')}:${card.getAttribute('data-delivery')}=${(el.textContent ?? '').replace(/\D/g, '')}`;
        seen[key] ??= now;
      });
    };
    new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function seen(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => (window as unknown as { __seen: Record<string, number> }).__seen);
}

function summary(delays: number[]): string {
  if (delays.length === 0) return 'none measured';
  const s = [...delays].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `n=${s.length} min=${s[0]} p50=${at(0.5)} p95=${at(0.95)} max=${s.at(-1)} ms`;
}

test('a simulation started from the campaign page, followed to its end with the counts on its transitions', async ({ page, signIn, store }) => {
  await watchDisplay(page);
  await signIn();
  const { name, yaml } = exampleCampaign();
  if (!(await page.request.get(`/api/campaigns/${name}`)).ok()) {
    const res = await page.request.post('/api/campaigns', { headers: { 'Content-Type': 'application/yaml' }, data: yaml });
    expect(res.ok(), await res.text()).toBe(true);
  }
  await page.goto(`/campaigns/${name}`);
  await settled(page, name);
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole('button', { name: 'Simulate' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const id = Number(/\/runs\/(\d+)$/.exec(page.url())![1]);
  await expect(page.getByRole('heading', { level: 2, name: `Run ${id}` })).toBeVisible();
  const firstShown = Date.now();
  await expect(page.getByText('A simulation sends nothing')).toBeVisible();
  await expect(page.getByText('Completed', { exact: true }).first()).toBeVisible();
  await expect(page.getByText('Following live', { exact: true })).toHaveCount(0);

  const api = (await (await page.request.get(`/api/runs/${id}`)).json()) as ApiRun;
  expect(api.run.status).toBe('completed');
  const transitions = page.getByRole('region', { name: 'Transitions' });
  for (const tr of api.transitions ?? []) {
    const shown = transitions.locator(`[data-transition="${tr.from}.${tr.output}->${tr.to}"]`);
    await expect(shown.getByRole('cell').last()).toHaveText(tr.count === undefined ? /^(no rows: starts what follows)?$/ : tr.count.toLocaleString('en-US'));
  }
  expect((api.transitions ?? []).some((tr) => (tr.count ?? 0) > 0), 'some transition carried rows').toBe(true);
  expect(await seriousViolations(page)).toEqual([]);

  // The display's delay: an activity that finished once the monitor was
  // up, from its finished_at in the store to its Done on the page.
  const when = await seen(page);
  const delays = (api.activities ?? [])
    .filter((a) => a.finished_at && Date.parse(a.finished_at) > firstShown && when[`activity:${a.id}=${a.status}`])
    .map((a) => when[`activity:${a.id}=${a.status}`]! - Date.parse(a.finished_at!));
  console.log(`[monitor ${store}] simulate run ${id}: activity finished_at → shown: ${summary(delays)}`);
});

test('a live run held for confirmation: why nothing is sent, confirmed, sent + excluded = targeted', async ({ page, signIn, store }) => {
  await watchDisplay(page);
  await signIn();
  const { yaml } = exampleCampaign();
  const name = `e2e-confirm-${Date.now().toString(36)}`;
  const doc = yaml.replace(/^name: .*$/m, `name: ${name}`).replace(/^policy:\n/m, 'policy:\n  confirm_send: true\n').replace(/audience: spring-fashion-control/, `audience: ${name}-control`);
  expect(doc).toContain('confirm_send: true');
  const saved = await page.request.post('/api/campaigns', { headers: { 'Content-Type': 'application/yaml' }, data: doc });
  expect(saved.ok(), await saved.text()).toBe(true);

  // Published from its page.
  await page.goto(`/campaigns/${name}`);
  await settled(page, name);
  await page.getByRole('button', { name: 'Publish version 1' }).click();
  await expect(page.getByText('Published', { exact: true }).first()).toBeVisible();
  // Its history: version 1, the one that runs, and its document.
  const history = page.getByTestId('campaign-versions');
  await expect(history.getByRole('row', { name: /^1 published/ })).toBeVisible();
  await history.getByRole('button', { name: 'View version 1' }).click();
  const version = page.getByRole('dialog', { name: 'Version 1' });
  await expect(version).toContainText('confirm_send: true');
  expect(await seriousViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(version).toBeHidden();

  // Started live, after a confirmation.
  await page.getByRole('button', { name: 'Start live now' }).click();
  const start = page.getByRole('dialog', { name: `Start a live run of ${name}?` });
  await expect(start).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await start.getByRole('button', { name: 'Start live run of version 1' }).click();
  await expect(page).toHaveURL(/\/runs\/\d+$/);
  const id = Number(/\/runs\/(\d+)$/.exec(page.url())![1]);

  // Nothing goes until confirmed, and the page says so at the top.
  await expect(page.getByText('Nothing is being sent: confirmation pending')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  const held = await page.request.get(`/api/runs/${id}/delivery`);
  const before = ((await held.json()) as { channels: (Figures & { held: number })[] }).channels;
  const heldTotal = before.reduce((n, c) => n + c.held, 0);
  const targetedTotal = before.reduce((n, c) => n + c.targeted, 0);
  expect(heldTotal).toBeGreaterThan(0);

  await page.getByRole('button', { name: `Confirm send to ${heldTotal.toLocaleString('en-US')}` }).click();
  const confirm = page.getByRole('dialog', { name: `Confirm the send of run ${id}` });
  const figures = confirm.getByRole('table', { name: "The send's figures" });
  await expect(figures.getByRole('row', { name: /^Targeted/ })).toContainText(targetedTotal.toLocaleString('en-US'));
  await expect(figures.getByRole('row', { name: /^Held for confirmation/ })).toContainText(heldTotal.toLocaleString('en-US'));
  expect(await seriousViolations(page)).toEqual([]);
  await confirm.getByRole('button', { name: `Send ${heldTotal.toLocaleString('en-US')} messages` }).click();
  await expect(confirm).toBeHidden();

  // The send ends: the monitor stops following, nothing held any more.
  await expect(page.getByText('Following live', { exact: true })).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByText('Nothing is being sent: confirmation pending')).toHaveCount(0);
  const after = ((await (await page.request.get(`/api/runs/${id}/delivery`)).json()) as { channels: Figures[] }).channels;
  for (const c of after) {
    expect(c.sent + c.excluded, `${c.activity}: sent + excluded = targeted`).toBe(c.targeted);
    const card = page.locator(`[data-delivery="${c.activity}"]`);
    await expect(card.locator('[data-figure="sent"]')).toHaveText(c.sent.toLocaleString('en-US'));
    await expect(card.locator('[data-figure="targeted"]')).toHaveText(c.targeted.toLocaleString('en-US'));
    await expect(card.locator('[data-figure="excluded"]')).toHaveText(c.excluded.toLocaleString('en-US'));
    await expect(card.getByText(/ of [\d,]+ with an outcome \(100%\)/)).toBeVisible();
  }
  expect(await seriousViolations(page)).toEqual([]);

  // The display's delay: each channel's last message sent (its sent_at in
  // the store) to its final sent count on the page.
  const messages = ((await (await page.request.get(`/api/messages?run=${id}&limit=1000`)).json()) as { messages: { id: string; sent_at: string }[] | null }).messages ?? [];
  const when = await seen(page);
  const delays: number[] = [];
  for (const c of after) {
    const last = Math.max(...messages.filter((m) => m.id.startsWith(`${id}:${c.activity}:`)).map((m) => Date.parse(m.sent_at)));
    const shown = when[`sent:${c.activity}=${c.sent}`];
    if (Number.isFinite(last) && shown) delays.push(shown - last);
  }
  console.log(`[monitor ${store}] live run ${id}: last message sent_at → final sent count shown: ${summary(delays)}`);

  // A recipient unsubscribes through the link of their message: the run's
  // figures count it under what recipients did.
  const first = messages.find((m) => m.id.startsWith(`${id}:`));
  expect(first, 'a message of the run').toBeDefined();
  const detail = (await (await page.request.get(`/api/messages/${encodeURIComponent(first!.id)}`)).json()) as { content: { email: { unsubscribe_url: string } } };
  const link = new URL(detail.content.email.unsubscribe_url);
  const unsubscribed = await page.request.post(link.pathname);
  expect(unsubscribed.status(), await unsubscribed.text()).toBe(200);
  await page.reload();
  const activity = first!.id.split(':')[1]!;
  await expect(page.locator(`[data-delivery="${activity}"] [data-engagement="unsubscribed"]`)).toHaveText('1');
  await expect(page.getByRole('table', { name: `What recipients did with ${activity}` })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // The run's report: the unsubscription in its activity and over time,
  // the emails by domain, the figures as CSV.
  await page.getByRole('link', { name: 'Report', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${id}/report$`));
  const section = page.getByRole('region', { name: `Report of ${activity}` });
  await expect(section.locator('[data-engagement="unsubscribed"]')).toHaveText('1');
  await expect(page.getByRole('img', { name: 'Events By day' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'By recipient domain' }).getByRole('row')).not.toHaveCount(1);
  expect(await seriousViolations(page)).toEqual([]);
  // The split's control group (kept with save_audience) beside its treated
  // subsets on a conversion asked here: the members the API counts.
  const conversion = 'exists(purchases where purchased_at between $sent_at and $window_end)';
  await page.getByLabel('A conversion').fill(conversion);
  await page.getByLabel('Within').fill('7d');
  await page.getByRole('button', { name: 'Compare' }).click();
  await expect(page).toHaveURL(/[?&]conversion=.*[?&]within=7d/);
  const up = (await (await page.request.get(`/api/runs/${id}/report?conversion=${encodeURIComponent(conversion)}&within=7d`)).json()) as {
    uplifts: { split: string; groups: { subset: string; members: number; converted: number; control?: boolean }[] }[];
  };
  expect(up.uplifts.length, `the example campaign's split has a control group`).toBeGreaterThan(0);
  const upl = up.uplifts[0]!;
  expect(upl.groups[0]!.control).toBe(true);
  const table = page.getByRole('table', { name: `${upl.split}: conversion` });
  for (const g of upl.groups) {
    await expect(table.locator(`[data-subset="${g.subset}"] td`).nth(1)).toHaveText(g.members.toLocaleString('en-US'));
    await expect(table.locator(`[data-subset="${g.subset}"] [data-figure="converted"]`)).toHaveText(g.converted.toLocaleString('en-US'));
  }
  expect(await seriousViolations(page)).toEqual([]);
  await page.goto(`/runs/${id}/report`);
  await page.getByText('By hour', { exact: true }).click();
  await expect(page).toHaveURL(/[?&]by=hour$/);
  await expect(page.getByRole('img', { name: 'Events By hour' })).toBeVisible();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
  expect(lines[0]).toMatch(/^activity,channel,targeted,sent,/);
  expect(lines.length).toBe(after.length + 1);

  // The campaign's report: this run, its only live one, with its figures
  // as the API has them, people's rates as a chart, a span kept in the
  // address, the runs as CSV.
  await page.goto(`/campaigns/${name}`);
  await settled(page, name);
  await page.getByRole('link', { name: 'Report', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${name}/report$`));
  const cr = (await (await page.request.get(`/api/campaigns/${name}/report`)).json()) as { totals: { sent: number; unsubscribed: number }; runs: { run: number }[] };
  expect(cr.runs.map((x) => x.run)).toEqual([id]);
  expect(cr.totals.unsubscribed).toBe(1);
  await expect(page.locator('[data-total="sent"]')).toHaveText(cr.totals.sent.toLocaleString('en-US'));
  await expect(page.locator('[data-total="unsubscribed"]')).toHaveText('1');
  const runRow = page.getByRole('table', { name: 'By run' }).locator(`[data-row="${id}"]`);
  await expect(runRow.locator('[data-figure="sent"]')).toHaveText(cr.totals.sent.toLocaleString('en-US'));
  await expect(runRow.locator('[data-figure="unsubscribed"]')).toHaveText('1');
  await expect(page.getByRole('img', { name: 'Opened, clicked and unsubscribed rates by run' })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  const [runsCSV] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  expect(readFileSync(await runsCSV.path(), 'utf8').trim().split('\n').length).toBe(cr.runs.length + 1);
  await page.getByLabel('Runs from').fill('2099-01-01');
  await expect(page).toHaveURL(/[?&]since=2099-01-01/);
  await expect(page.getByText('No live run of this campaign in this span.')).toBeVisible();
  // Its run links to the run's own report.
  await page.getByLabel('Runs from').fill('');
  await page.getByRole('link', { name: new RegExp(`^Run ${id},`) }).click();
  await expect(page).toHaveURL(new RegExp(`/runs/${id}/report$`));
});

test('a paced live send: its rate while it sends, then its exclusions by reason as the API counts them', async ({ page, signIn }) => {
  await signIn();
  const name = `e2e-paced-${Date.now().toString(36)}`;
  // Customer 2's address suppressed: one exclusion with a reason.
  const probe = await page.request.post('/api/audiences/count', { data: { text: 'customer_id = 2 and email is not null', sample: 1, attributes: ['email'] } });
  const address = ((await probe.json()) as { sample: { rows: [string][] } }).sample.rows[0]?.[0];
  expect(address, 'customer 2 has an email').toBeTruthy();
  const suppressed = await page.request.post('/api/suppressions', { data: { channel: 'email', address, reason: 'e2e' } });
  expect(suppressed.ok(), await suppressed.text()).toBe(true);
  try {
    // 8 messages a second: some ten seconds of sending.
    const doc = `name: ${name}
dimension: customers
activities:
  start: {type: start}
  some: {type: build_audience, query: 'customer_id <= 90'}
  paced:
    type: email
    rate: 8
    from: 'Shop <shop@example.com>'
    subject: 'Paced'
    text: 'Hello {{ profile.first_name }}'
transitions:
  - start -> some
  - some -> paced
`;
    await publish(page.request, name, doc);
    const id = await startLive(page, name);
    const card = page.locator('[data-delivery="paced"]');

    // While messages wait, the current rate: above nothing, and near the
    // 8 a second asked, far below an unpaced send. Read once 32 are sent
    // (some 3 s in): the bucket's first second's burst (8 at once) weighs
    // on it less.
    const rate = card.locator('[data-rate]');
    let shown = 0;
    await expect
      .poll(
        async () => {
          const sent = Number(((await card.locator('[data-figure="sent"]').textContent()) ?? '').replace(/\D/g, ''));
          const r = await rate.getAttribute('data-rate', { timeout: 1_000 }).catch(() => null);
          shown = sent >= 32 && r !== null ? Number(r) : 0;
          return shown;
        },
        { timeout: 60_000 },
      )
      .toBeGreaterThan(0);
    console.log(`[monitor] paced run ${id}: rate shown ${shown.toFixed(1)} messages/s (asked 8)`);
    expect(shown).toBeLessThan(30);
    await expect(rate).toHaveText(/^\d+(\.\d)? messages\/s$/);
    expect(await seriousViolations(page)).toEqual([]);

    // Once done: no rate, and each reason's count as GET …/delivery has it.
    await expect(page.getByText('Following live', { exact: true })).toHaveCount(0, { timeout: 60_000 });
    await expect(rate).toHaveCount(0);
    const figures = ((await (await page.request.get(`/api/runs/${id}/delivery`)).json()) as { channels: (Figures & { excluded_by_reason?: Record<string, number>; failures?: Record<string, number> })[] }).channels;
    const paced = figures.find((c) => c.activity === 'paced')!;
    expect(paced.sent + paced.excluded).toBe(paced.targeted);
    expect(paced.excluded_by_reason?.suppressed, JSON.stringify(paced)).toBe(1);
    for (const [kind, label, parts] of [
      ['excluded', 'Excluded by reason', paced.excluded_by_reason],
      ['failed', 'Failed by error', paced.failures],
    ] as const) {
      const entries = Object.entries(parts ?? {}).filter(([, n]) => n > 0);
      const table = card.getByRole('table', { name: `paced ${label}` });
      await expect(table).toHaveCount(entries.length > 0 ? 1 : 0);
      await expect(table.getByRole('row')).toHaveCount(entries.length);
      for (const [reason, n] of entries) await expect(table.locator(`[data-reason="${reason}"] td`), `${kind} ${reason}`).toHaveText(n.toLocaleString('en-US'));
    }
    await expect(card.getByRole('table', { name: 'paced Excluded by reason' }).getByRole('row', { name: 'Suppressed' })).toContainText('1');
    expect(await seriousViolations(page)).toEqual([]);
  } finally {
    await page.request.delete('/api/suppressions', { data: { channel: 'email', address } });
  }
});
