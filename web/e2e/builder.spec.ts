import { execFileSync } from 'node:child_process';
import { expect, settled, test } from './fixtures';

// A two-level query: an attribute plus a count over a linked collection
// filtered on a further link (purchases → product).
const text = 'country = "FR" and count(purchases where product.category = "fashion") >= 1';

// The builder's live count for a typed query equals `fanfare audience
// count` for the same text on the same server; saved, it is in the list.
test('the builder counts as the CLI does, saves, and the list shows it', async ({ page, server, signIn }) => {
  await signIn();
  await page.goto('/audiences/new');
  await settled(page, 'Audience builder');

  // Most of the text at once, the end typed key by key (each key a new
  // live count, the one before aborted): typing it all took a minute on a
  // loaded machine.
  const query = page.getByRole('textbox', { name: 'Query' });
  await query.fill(text.slice(0, -4));
  await query.pressSequentially(text.slice(-4));
  await expect(query).toHaveValue(text);
  // The save button names the count once it is the current text's.
  const save = page.getByRole('button', { name: /^Save [\d,]+ rows$/ });
  await expect(save).toBeVisible();
  await expect(page.getByText(/^counted in \d+ ms$/)).toBeVisible();
  const shown = Number((await page.getByTestId('live-count').innerText()).replace(/[^\d]/g, ''));

  const cli = execFileSync(server.bin, ['audience', 'count', '--server', server.url, '--token', server.token, '--where', text, '--json'], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FANFARE_'))),
  });
  const counted = (JSON.parse(cli) as { count: number }).count;
  expect(counted, 'the demo has such customers').toBeGreaterThan(0);
  expect(shown).toBe(counted);
  await expect(save).toHaveAccessibleName(`Save ${counted.toLocaleString('en-US')} rows`);

  const name = `fr-fashion-${server.health}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await save.click();
  await expect(page).toHaveURL(new RegExp(`/audiences/${name}$`));

  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audiences' }).click();
  await settled(page, 'Audiences');
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toBeVisible();
  await expect(row).toContainText(counted.toLocaleString('en-US'));
});
