import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, pages, settled, test } from './fixtures';

// Accessibility (axe-core: no serious or critical violation) and a clean
// browser console on every page of the console and on the sign-in page.

async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test.describe('axe', () => {
  test('the sign-in page', async ({ page }) => {
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Fanfare' })).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });

  for (const p of pages) {
    test(`${p.heading} (${p.path})`, async ({ page, signIn }) => {
      await signIn();
      await page.goto(p.path);
      await settled(page, p.heading);
      expect(await seriousViolations(page)).toEqual([]);
    });
  }
});

test('no error in the browser console on any page', async ({ page, signIn, consoleErrors }) => {
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Fanfare' })).toBeVisible();
  await signIn();
  for (const p of pages) {
    await page.goto(p.path);
    await settled(page, p.heading);
  }
  expect(consoleErrors).toEqual([]);
});
