import { parse } from 'yaml';
import { seriousViolations } from './axe';
import { getDraft, openCanvas, putDraft } from './campaigns';
import { expect, settled, test } from './fixtures';

// The campaign's own schedule (when its runs start by themselves), set on
// the canvas with the scheduler's editor: a preset writes the cron, the
// time zone is picked, the next occurrences show; the draft saved as a
// version and published, the campaign's page lists its next runs at that
// time of day in that zone, as the server computes them.

test("the campaign's schedule set on the canvas: every day at 07:30 in Paris, its next runs on its page once published", async ({ page, signIn }) => {
  await signIn();
  const name = `e2e-schedule-${Date.now().toString(36)}`;
  await putDraft(
    page.request,
    name,
    `name: ${name}
dimension: customers
activities:
  start: {type: start}
  all: {type: build_audience, query: 'customer_id <= 5'}
  done: {type: end}
transitions:
  - start -> all
  - all -> done
`,
  );
  await openCanvas(page, name, 3);
  // No activity selected: the campaign's settings, its schedule among them.
  const schedule = page.getByTestId('campaign-schedule');
  await expect(schedule).toBeVisible();
  await schedule.getByRole('combobox', { name: 'Schedule' }).click();
  await page.getByRole('option', { name: 'Every day' }).click();
  const at = schedule.getByRole('textbox', { name: 'At (HH:MM)' });
  await at.fill('07:30');
  await expect(schedule.getByRole('textbox', { name: /^Cron/ })).toHaveValue('30 7 * * *');
  await schedule.getByRole('combobox', { name: 'Time zone' }).fill('Europe/Paris');
  await page.getByRole('option', { name: 'Europe/Paris', exact: true }).click();
  const next = schedule.getByTestId('next-occurrences').getByRole('listitem');
  await expect(next).toHaveCount(5);
  // 07:30 in Paris is 05:30 or 06:30 UTC; the list says Paris' wall time.
  for (const li of await next.all()) await expect(li).toContainText('07:30');
  expect(await seriousViolations(page)).toEqual([]);
  await expect(page.getByTestId('save-status')).toHaveText('Draft saved');
  const draft = parse((await getDraft(page.request, name)).document) as { schedule?: Record<string, string> };
  expect(draft.schedule).toEqual({ cron: '30 7 * * *', timezone: 'Europe/Paris' });

  // Saved as a version, published: the campaign's page lists its runs to come.
  const version = await page.request.post(`/api/campaigns/${name}/draft/save`, { data: { revision: (await getDraft(page.request, name)).revision } });
  expect(version.ok(), await version.text()).toBe(true);
  const published = await page.request.post(`/api/campaigns/${name}/publish`);
  expect(published.ok(), await published.text()).toBe(true);
  const api = (await (await page.request.get(`/api/campaigns/${name}/schedule?n=5`)).json()) as { occurrences: string[] };
  expect(api.occurrences).toHaveLength(5);
  for (const o of api.occurrences) expect(o).toMatch(/T0[56]:30:00Z$/);
  await page.goto(`/campaigns/${name}`);
  await settled(page, name);
  const runs = page.getByRole('region', { name: 'Schedule' }).getByRole('listitem');
  await expect(runs).toHaveCount(5);

  // Removed, the schedule goes from the document.
  await openCanvas(page, name, 3);
  await page.getByTestId('campaign-schedule').getByRole('button', { name: 'Remove the schedule (runs start by hand or by signal)' }).click();
  await expect(page.getByTestId('campaign-schedule').getByRole('textbox', { name: /^Cron/ })).toHaveValue('');
  await expect(page.getByTestId('save-status')).toHaveText('Draft saved');
  expect((parse((await getDraft(page.request, name)).document) as { schedule?: unknown }).schedule).toBeUndefined();
});
