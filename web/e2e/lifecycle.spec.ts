import { seriousViolations } from './axe';
import { publish, startLive } from './campaigns';
import { expect, test } from './fixtures';

// A live run's lifecycle from its monitor: a campaign whose email may
// only go in a send window hours away, beside a branch whose audience is
// empty. The monitor says why nothing goes (outside the send window; an
// empty audience), is paused (and says so), resumed, then stopped: its
// waiting messages are cancelled and the page says the run was stopped.
// Each step is checked against the API; the run's log tells them all.

interface Figures {
  activity: string;
  targeted: number;
  pending: number;
  sent: number;
  cancelled?: number;
  pending_by_reason?: Record<string, number>;
}

/** hhmm is the UTC time of day h hours from now, "HH:MM". */
function hhmm(h: number): string {
  const d = new Date(Date.now() + h * 3_600_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

test('a live run outside its send window: why nothing goes, paused, resumed, stopped from its monitor', async ({ page, signIn, consoleErrors }) => {
  await signIn();
  const name = `e2e-lifecycle-${Date.now().toString(36)}`;
  // The window opens in 3 hours and closes in 4: now is outside it.
  const doc = `name: ${name}
dimension: customers
activities:
  start: {type: start}
  some: {type: build_audience, query: 'customer_id <= 40 and email is not null'}
  nobody: {type: build_audience, query: 'customer_id < 0'}
  later:
    type: email
    window: {from: '${hhmm(3)}', to: '${hhmm(4)}', timezone: UTC}
    from: 'Shop <shop@example.com>'
    subject: 'Later'
    text: 'Hello {{ profile.first_name }}'
  never: {type: email, from: 'Shop <shop@example.com>', subject: 'Never', text: 'Hello'}
transitions:
  - start -> some
  - start -> nobody
  - some -> later
  - nobody -> never
`;
  await publish(page.request, name, doc);
  const id = await startLive(page, name);
  const delivery = async () => ((await (await page.request.get(`/api/runs/${id}/delivery`)).json()) as { channels: Figures[] }).channels;
  const runStatus = async () => ((await (await page.request.get(`/api/runs/${id}`)).json()) as { run: { status: string } }).run.status;

  // Why nothing goes: the window, and the branch that reached no one.
  const why = page.getByRole('region', { name: 'Why messages are not going out' });
  await expect(why.getByText('Waiting: outside the send window')).toBeVisible({ timeout: 60_000 });
  await expect(why.getByText('Nothing sent by never: empty audience')).toBeVisible();
  const waiting = (await delivery()).find((c) => c.activity === 'later')!;
  expect(waiting.targeted).toBeGreaterThan(0);
  expect(waiting.sent).toBe(0);
  expect(waiting.pending_by_reason?.outside_send_window ?? 0, JSON.stringify(waiting)).toBeGreaterThan(0);
  await expect(why.getByText(`${waiting.pending_by_reason!.outside_send_window!.toLocaleString('en-US')} messages of later wait for the send window to open.`)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Its activities are done, its send goes on: paused, its messages wait
  // paused, and the page says so; it may be resumed or stopped.
  expect(await runStatus()).toBe('completed');
  const pausedOf = async () => (await delivery()).reduce((n, c) => n + ((c as Figures & { paused: number }).paused ?? 0), 0);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await expect(page.getByText('Run paused.')).toBeVisible();
  await expect(why.getByText('Nothing is being sent: the run is paused')).toBeVisible();
  await expect.poll(pausedOf).toBe(waiting.pending);
  await expect(page.getByRole('button', { name: 'Pause', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Resumed: waiting for the window again.
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect(page.getByText('Run resumed.')).toBeVisible();
  await expect(why.getByText('Nothing is being sent: the run is paused')).toHaveCount(0);
  await expect.poll(pausedOf).toBe(0);
  await expect(why.getByText('Waiting: outside the send window')).toBeVisible();

  // Stopped, after its confirmation: the waiting messages are cancelled.
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  const stop = page.getByRole('dialog', { name: `Stop run ${id}?` });
  await expect(stop).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await stop.getByRole('button', { name: 'Stop the run' }).click();
  await expect(stop).toBeHidden();
  await expect(why.getByText('The run was stopped')).toBeVisible();
  await expect.poll(runStatus).toBe('stopped');
  const after = (await delivery()).find((c) => c.activity === 'later')!;
  expect(after.sent).toBe(0);
  expect(after.pending, JSON.stringify(after)).toBe(0);
  await expect(page.getByRole('button', { name: 'Stop', exact: true })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Resume', exact: true })).toHaveCount(0);

  // The run's log: who paused, resumed and stopped it, and the messages
  // each moved; an activity's own lines, with its rows.
  await page.getByRole('button', { name: `Log of run ${id}` }).click();
  const runLog = page.getByRole('dialog', { name: `Log of run ${id}` });
  const lines = runLog.getByRole('table', { name: `Log of run ${id}` });
  await expect(lines.locator('[data-log-event="run_started"]')).toContainText(/Live run of version 1 started \(\w+\) by \S+/);
  await expect(lines.locator('[data-log-event="paused"]')).toContainText(`messages held`);
  await expect(lines.locator('[data-log-event="paused"]')).toContainText(` by `);
  await expect(lines.locator('[data-log-event="resumed"]')).toContainText(/Resumed by \S+: \d+ messages released/);
  await expect(lines.locator('[data-log-event="stopped"]')).toContainText(/Stopped by \S+: \d+ messages cancelled/);
  await expect(lines.locator('[data-log-event="done"][data-log-activity="later"]')).toContainText(/Done in [\d.]+ s: \d+ rows in, \d+ out/);
  expect(await seriousViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(runLog).toBeHidden();
  await page.locator('[data-activity="never"]').getByRole('button', { name: 'Log of never' }).click();
  const neverLog = page.getByRole('dialog', { name: 'Log of never' });
  await expect(neverLog.locator('[data-log-event="started"]')).toContainText('Attempt 1 started');
  await expect(neverLog.locator('[data-log-event="done"]')).toContainText(/Done in [\d.]+ s: 0 rows in, 0 out/);
  await expect(neverLog.locator('[data-log-event="paused"]')).toHaveCount(0);
  expect(consoleErrors).toEqual([]);
});

test('a live run waiting on a failed activity: why, retried from its monitor, completed, its log tells it', async ({ page, signIn, consoleErrors }) => {
  await signIn();
  const stamp = Date.now().toString(36);
  const name = `e2e-retry-${stamp}`;
  const audience = `e2e-later-${stamp}`;
  const saveAudience = async () => {
    const res = await page.request.post('/api/audiences', { data: { name: audience, dimension: 'customers', text: 'customer_id <= 5' } });
    expect(res.ok(), await res.text()).toBe(true);
  };
  // The saved audience exists when the campaign is published and is gone
  // when its activity runs: a failure at run time, which the policy
  // leaves for an operator.
  await saveAudience();
  const doc = `name: ${name}
dimension: customers
policy: {on_error: wait, retries: 1}
activities:
  start: {type: start}
  picked: {type: build_audience, query: 'in audience "${audience}"'}
  done: {type: end}
transitions:
  - start -> picked
  - picked -> done
`;
  await publish(page.request, name, doc);
  expect((await page.request.delete(`/api/audiences/${audience}`)).ok()).toBe(true);
  const id = await startLive(page, name);
  const runStatus = async () => ((await (await page.request.get(`/api/runs/${id}`)).json()) as { run: { status: string } }).run.status;

  const why = page.getByRole('region', { name: 'Why messages are not going out' });
  await expect(why.getByText('Waiting: picked failed')).toBeVisible({ timeout: 60_000 });
  expect(await runStatus()).toBe('waiting');
  await expect(page.locator('[data-activity="picked"][data-status="failed"]')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // The cause fixed, the operator retries: the run completes.
  await saveAudience();
  await page.getByRole('button', { name: 'Retry picked' }).click();
  await expect(page.locator('[data-activity="picked"][data-status="done"]')).toBeVisible({ timeout: 60_000 });
  await expect.poll(runStatus).toBe('completed');
  await expect(why.getByText('Waiting: picked failed')).toHaveCount(0);

  // Its log: the failure, the retry and by whom, the rows it then found.
  await page.locator('[data-activity="picked"]').getByRole('button', { name: 'Log of picked' }).click();
  const log = page.getByRole('dialog', { name: 'Log of picked' });
  const events = log.locator('[data-log-event]');
  await expect(events).toHaveCount(5);
  expect(await events.evaluateAll((els) => els.map((e) => e.getAttribute('data-log-event')))).toEqual(['started', 'failed', 'retried', 'started', 'done']);
  await expect(log.locator('[data-log-event="failed"]')).toContainText('Failed (attempts: 1): ');
  await expect(log.locator('[data-log-event="retried"]')).toContainText(/Retried by \S+/);
  await expect(log.locator('[data-log-event="done"]')).toContainText(/: 0 rows in, 5 out$/);
  expect(await seriousViolations(page)).toEqual([]);
  expect(consoleErrors).toEqual([]);
});
