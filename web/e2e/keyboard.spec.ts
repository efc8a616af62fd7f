import type { Locator, Page } from '@playwright/test';
import { expect, settled, test } from './fixtures';

// The console with the keyboard alone (page.keyboard: Tab, Enter,
// typing; no click): sign in, reach the audience builder, type a query,
// save it, open it from the list; the skip link takes the focus past the
// header and the navigation.

/** tabTo presses Tab until target has the focus. */
async function tabTo(page: Page, target: Locator, most = 60) {
  await expect(target).toBeVisible();
  for (let i = 0; i < most; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${most} presses of Tab never reached ${target.toString()}`);
}

// Every text on the way is a valid query: the builder counts a text
// that stays 120 ms, and the count of an unfinished one is a 400, which
// Chromium writes to the console.
const head = 'country = "FR" and count(purchases) >= 1';
const text = `${head}0`;

test('sign in, build, save and open an audience with the keyboard alone', async ({ page, server, consoleErrors }) => {
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Fanfare' })).toBeVisible();
  await tabTo(page, page.getByLabel('API token'));
  await page.keyboard.type(server.token);
  await page.keyboard.press('Enter');
  await settled(page, 'Home');

  // The first Tab reaches the skip link; Enter puts the focus on the page.
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to the page' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('main'))).toBe(true);

  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await page.reload();
  await settled(page, 'Home');
  await tabTo(page, nav.getByRole('link', { name: 'Audiences' }));
  await page.keyboard.press('Enter');
  await settled(page, 'Audiences');
  await tabTo(page, page.getByRole('link', { name: 'New audience' }));
  await page.keyboard.press('Enter');
  await settled(page, 'Audience builder');

  await expect(page.getByRole('textbox', { name: 'Query' })).toHaveValue('all');
  await tabTo(page, page.getByRole('textbox', { name: 'Query' }));
  // The text of the empty tree (all) is replaced: select it, then most
  // of the query at once (a key each is slow under load), the end typed.
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(head);
  await page.keyboard.type(text.slice(head.length));
  await expect(page.getByRole('textbox', { name: 'Query' })).toHaveValue(text);
  const save = page.getByRole('button', { name: /^Save [\d,]+ rows$/ });
  await expect(save).toBeVisible();
  const count = /^Save ([\d,]+) rows$/.exec((await save.textContent()) ?? '')?.[1];
  expect(count, 'the save button names the count').toBeDefined();

  const name = `kb-fr-buyers-${server.health}-${Date.now()}`;
  await tabTo(page, page.getByRole('textbox', { name: 'Name' }));
  await page.keyboard.type(name);
  await tabTo(page, save);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/audiences/${name}$`));

  await tabTo(page, nav.getByRole('link', { name: 'Audiences' }));
  await page.keyboard.press('Enter');
  await settled(page, 'Audiences');
  await tabTo(page, page.getByRole('link', { name, exact: true }), 200);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/audiences/${name}$`));
  await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
  await expect(page.getByRole('row', { name: /^Count / })).toContainText(count!);
  await expect(page.getByRole('row', { name: /^Query / })).toContainText('"FR"');
  expect(consoleErrors).toEqual([]);
});
