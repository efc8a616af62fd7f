import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, pages, settled, test } from './fixtures';

// Accessibility (axe-core: no serious or critical violation) and a clean
// browser console on every page of the console and on the sign-in page.

// KNOWN names the rules whose serious violations the console still has,
// reported (a warning in the test's output, an annotation) but not failed
// on, so that every other rule is enforced meanwhile. Empty: the theme
// (src/main.tsx) meets color-contrast since the browser tests found it did
// not.
const KNOWN: string[] = [];

async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(' '));
      if (v.nodes.length > 3) where.push(`and ${v.nodes.length - 3} more`);
      return { id: v.id, text: `${v.impact} ${v.id} on ${page.url()}: ${v.help} — ${where.join(', ')}` };
    });
  for (const v of serious.filter((v) => KNOWN.includes(v.id))) {
    test.info().annotations.push({ type: 'known axe violation', description: v.text });
    console.warn(`KNOWN AXE VIOLATION (not failed on; see KNOWN in e2e/pages.spec.ts): ${v.text}`);
  }
  return serious.filter((v) => !KNOWN.includes(v.id)).map((v) => v.text);
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
