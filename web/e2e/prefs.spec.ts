import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { anImport, exampleRun } from './data';
import { expect, settled, test } from './fixtures';

// The display time zone and the language: every time follows the zone
// picked in Settings (the browser's by default), on the page at once and
// on every page after; the navigation speaks the language picked in the
// header (the browser's by default). Both are kept for the next visit.

const fr = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'src', 'i18n', 'fr.json'), 'utf8')) as { nav: Record<string, string> };
const en = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'src', 'i18n', 'en.json'), 'utf8')) as { nav: Record<string, string> };
const navKeys = ['home', 'data', 'audiences', 'campaigns', 'messages', 'settings'] as const;

/** How the browser writes iso in zone, with the options of src/format.ts. */
function inZone(page: Page, iso: string, zone: string): Promise<string> {
  return page.evaluate(
    ([iso, zone]) => new Intl.DateTimeFormat('en', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: zone }).format(new Date(iso!)),
    [iso, zone],
  );
}

async function pickZone(page: Page, search: string, zone: string) {
  const select = page.getByRole('combobox', { name: 'Time zone of the times shown' });
  await select.click();
  await select.fill(search);
  await page.getByRole('option', { name: zone, exact: true }).click();
  await expect(select).toHaveValue(zone);
}

test.describe('time zone', () => {
  // A browser zone that is neither UTC nor the other one picked.
  test.use({ timezoneId: 'America/New_York' });

  test('a run and an import show their time in the zone picked', async ({ page, request, server, signIn }) => {
    await exampleRun(request, server);
    // The latest run, which Home lists whatever other specs ran before.
    const latest = await request.get(`${server.url}/api/runs?limit=1`, { headers: { Authorization: `Bearer ${server.token}` } });
    const run = ((await latest.json()) as { runs: { id: number; created_at: string }[] }).runs[0]!;
    const importId = await anImport(request, server);
    const imp = await request.get(`${server.url}/api/imports/${importId}`, { headers: { Authorization: `Bearer ${server.token}` } });
    const started = ((await imp.json()) as { started_at: string }).started_at;
    await signIn();

    await page.goto('/');
    await settled(page, 'Home');
    const runRow = page.getByRole('row').filter({ has: page.locator(`a[href="/messages?run=${run.id}"]`) });
    const zones = ['America/New_York', 'UTC', 'Asia/Tokyo'];
    const runTimes = await Promise.all(zones.map((z) => inZone(page, run.created_at, z)));
    const importTimes = await Promise.all(zones.map((z) => inZone(page, started, z)));
    expect(new Set(runTimes).size, 'three zones, three ways to write the time').toBe(3);
    // The browser's zone by default.
    await expect(runRow).toContainText(runTimes[0]!);

    // UTC, picked in Settings: the page's own clock follows at once,
    // Home and the import's page after.
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Settings' }).click();
    await settled(page, 'Settings');
    await pickZone(page, 'UTC', 'UTC');
    await expect(page.getByText(/^Now: .* UTC$/)).toBeVisible();
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Home' }).click();
    await settled(page, 'Home');
    await expect(runRow).toContainText(runTimes[1]!);
    await page.goto(`/data/imports/${importId}`);
    await expect(page.getByText(`started ${importTimes[1]}`)).toBeVisible();

    // Another zone, found by typing part of its name; kept across loads.
    await page.goto('/settings');
    await settled(page, 'Settings');
    await pickZone(page, 'tokyo', 'Asia/Tokyo');
    await expect(page.getByText(/^Now: .* GMT\+9$/)).toBeVisible();
    await page.reload();
    await settled(page, 'Settings');
    await expect(page.getByRole('combobox', { name: 'Time zone of the times shown' })).toHaveValue('Asia/Tokyo');
    await page.goto('/');
    await settled(page, 'Home');
    await expect(runRow).toContainText(runTimes[2]!);
    await page.goto(`/data/imports/${importId}`);
    await expect(page.getByText(`started ${importTimes[2]}`)).toBeVisible();

    // Back to the browser's.
    await page.goto('/settings');
    await settled(page, 'Settings');
    await pickZone(page, 'browser', "This browser's (America/New_York)");
    await page.goto('/');
    await settled(page, 'Home');
    await expect(runRow).toContainText(runTimes[0]!);
  });
});

test('the language picked in the header: the navigation in French, kept', async ({ page, signIn }) => {
  await signIn();
  await page.goto('/');
  await settled(page, 'Home');
  const nav = () => page.getByRole('navigation', { name: fr.nav.label });
  await page.getByRole('banner').getByText('Français', { exact: true }).click();
  for (const k of navKeys) await expect(nav().getByRole('link', { name: fr.nav[k], exact: true })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await page.reload();
  for (const k of navKeys) await expect(nav().getByRole('link', { name: fr.nav[k], exact: true })).toBeVisible();
  await page.getByRole('banner').getByText('English', { exact: true }).click();
  for (const k of navKeys) await expect(page.getByRole('navigation', { name: en.nav.label }).getByRole('link', { name: en.nav[k], exact: true })).toBeVisible();
});

test.describe('a French browser', () => {
  test.use({ locale: 'fr-FR' });
  test('the console speaks French until another language is picked', async ({ page, signIn }) => {
    await signIn();
    await page.goto('/');
    for (const k of navKeys) await expect(page.getByRole('navigation', { name: fr.nav.label }).getByRole('link', { name: fr.nav[k], exact: true })).toBeVisible();
  });
});
