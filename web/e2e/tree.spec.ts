import { execFileSync } from 'node:child_process';
import type { Locator, Page } from '@playwright/test';
import { seriousViolations } from './axe';
import { expect, settled, test } from './fixtures';
import type { Server } from './servers';

// The builder's rule tree, driven by clicks as a marketer would: what it
// builds counts as the CLI counts the text the builder shows beside it,
// breaks down, samples, saves; a condition the server refuses shows the
// server's message on that condition.

/** pick chooses an option of one of Mantine's searchable selects. */
async function pick(page: Page, select: Locator, option: string) {
  await select.click();
  await select.fill(option);
  await page.getByRole('option', { name: option, exact: true }).click();
  await expect(select).toHaveValue(option);
}

/** attribute is the attribute picker of condition n (1.2: the second in the first). */
const attribute = (page: Page, n: string) => page.getByRole('combobox', { name: `Attribute of condition ${n}`, exact: true });

function cli(server: Server, args: string[]): string {
  return execFileSync(server.bin, [...args, '--server', server.url, '--token', server.token], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FANFARE_'))),
  });
}

test('a two-level audience built by clicking counts as the CLI counts its text, breaks down, samples, saves', async ({ page, server, signIn, consoleErrors }) => {
  // Some twenty steps, each a count on the server, axe on a large page,
  // a reload: 66 s on PostgreSQL under a load average of 11, 3.3 minutes
  // on the embedded store under 18.
  test.setTimeout(480_000);
  await signIn();
  await page.goto('/audiences/new');
  await settled(page, 'Audience builder');
  const tree = page.getByRole('group', { name: 'the audience' });

  // 1: the customers with at least 2 purchases of 2 items or more.
  await tree.getByRole('button', { name: '+ Linked rows: add a condition on linked rows to the audience' }).click();
  await expect(page.getByLabel('Linked rows of condition 1')).toHaveValue('purchases');
  await expect(page.getByLabel('What to test on the rows, purchases, condition 1')).toHaveValue('count');
  await page.getByLabel('Comparison, purchases, condition 1').selectOption('>=');
  await page.getByLabel('Number of rows, purchases, condition 1').fill('2');
  // Added from the keyboard: the add buttons are buttons.
  await page.getByRole('button', { name: "+ Condition: add a condition to the rows' conditions of 1" }).press('Enter');
  await pick(page, attribute(page, '1.1'), 'quantity');
  await page.getByLabel('Operator of quantity, condition 1.1').selectOption('>=');
  await page.getByLabel('Value of quantity, condition 1.1').fill('2');

  // 2: any of two attribute conditions.
  await tree.getByRole('button', { name: '+ Group: add a group to the audience' }).click();
  await expect(page.getByLabel('How group 2 combines its conditions')).toHaveValue('or');
  const group2 = page.getByRole('group', { name: 'group 2' });
  await group2.getByRole('button', { name: '+ Condition: add a condition to group 2' }).click();
  await pick(page, attribute(page, '2.1'), 'country');
  await page.getByLabel('Value of country, condition 2.1').fill('FR');
  await group2.getByRole('button', { name: '+ Condition: add a condition to group 2' }).click();
  await pick(page, attribute(page, '2.2'), 'loyalty_tier');
  await page.getByLabel('Value of loyalty_tier, condition 2.2').selectOption('gold');

  // The text beside the tree follows it, printed by the server.
  const query = page.getByRole('textbox', { name: 'Query' });
  await expect(query).toHaveValue('count(purchases where quantity >= 2) >= 2 and (country = "FR" or loyalty_tier = "gold")');
  const text = await query.inputValue();

  // The live count is the current tree's once the save button names it.
  const save = page.getByRole('button', { name: /^Save [\d,]+ rows$/ });
  await expect(save).toBeVisible();
  const shown = Number((await page.getByTestId('live-count').innerText()).replace(/[^\d]/g, ''));
  const counted = (JSON.parse(cli(server, ['audience', 'count', '--where', text, '--json'])) as { count: number }).count;
  expect(counted, 'the demo has such customers').toBeGreaterThan(0);
  expect(shown).toBe(counted);

  // Broken down by an attribute: the chart shows.
  await pick(page, page.getByRole('combobox', { name: 'Break down by' }), 'loyalty_tier');
  await expect(page.getByLabel('Matching rows by loyalty_tier')).toBeVisible();

  // Sample rows with chosen columns, as the API samples them.
  const columns = page.getByRole('combobox', { name: 'Columns' });
  for (const c of ['first_name', 'loyalty_tier']) {
    await columns.click();
    await columns.fill(c);
    await page.getByRole('option', { name: c, exact: true }).click();
  }
  await page.keyboard.press('Escape');
  const table = page.getByRole('table', { name: 'The first matching rows' });
  await expect(table.getByRole('columnheader')).toHaveText(['first_name', 'loyalty_tier']);
  const res = await page.request.post('/api/audiences/count', { data: { text, sample: 10, attributes: ['first_name', 'loyalty_tier'] } });
  expect(res.status()).toBe(200);
  const rows = ((await res.json()) as { sample: { rows: string[][] } }).sample.rows;
  expect(rows.length).toBeGreaterThan(0);
  await expect(table.locator('tbody tr')).toHaveCount(rows.length);
  await expect(table.locator('tbody tr').first().getByRole('cell')).toHaveText(rows[0]!);

  // Accessible with the tree built and the text open.
  await expect(page.getByRole('button', { name: 'Hide the text' })).toHaveAttribute('aria-expanded', 'true');
  expect(await seriousViolations(page)).toEqual([]);

  // The draft is in the address, and a reload gets the tree back.
  await expect(page).toHaveURL((u) => u.searchParams.get('q') === text);
  await page.reload();
  await expect(attribute(page, '2.2')).toHaveValue('loyalty_tier');
  await expect(page.getByLabel('Value of quantity, condition 1.1')).toHaveValue('2');
  await expect(save).toBeVisible();

  const name = `tree-${server.health}`;
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await save.click();
  await expect(page).toHaveURL(new RegExp(`/audiences/${name}$`));
  await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Audiences' }).click();
  await settled(page, 'Audiences');
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText(counted.toLocaleString('en-US'));
  expect(consoleErrors).toEqual([]);
});

test('the text edits the tree, and a condition the server refuses shows why on that condition', async ({ page, signIn }) => {
  await signIn();
  await page.goto('/audiences/new');
  await settled(page, 'Audience builder');

  // A text read by the server becomes the tree.
  const query = page.getByRole('textbox', { name: 'Query' });
  await query.fill('country = "FR" and exists(purchases where quantity > 1)');
  await expect(attribute(page, '1')).toHaveValue('country');
  await expect(attribute(page, '2.1')).toHaveValue('quantity');
  // A text it cannot read keeps the tree and says where.
  await query.fill('country = FR');
  await expect(page.getByText(/line 1, column 11: expected a value after "="/)).toBeVisible();
  await expect(attribute(page, '2.1')).toHaveValue('quantity');
  await query.blur();

  // Refused by the server: a count below 0 (nested: the linked rows'
  // condition) and an anniversary beyond a year.
  await page.getByLabel('What to test on the rows, purchases, condition 2').selectOption('count');
  await page.getByLabel('Number of rows, purchases, condition 2').fill('-1');
  await page.getByRole('button', { name: '+ Condition: add a condition to the audience' }).click();
  await pick(page, attribute(page, '3'), 'birth_date');
  await page.getByLabel('Operator of birth_date, condition 3').selectOption('anniversary_within');
  await page.getByLabel('Days ahead, birth_date, condition 3').fill('400');

  // The server's own words, on the conditions they concern.
  const where = {
    and: [
      { attr: 'country', op: '=', value: 'FR' },
      { link: 'purchases', where: { attr: 'quantity', op: '>', value: 1 }, count: { op: '>=', value: -1 } },
      { attr: 'birth_date', op: 'anniversary_within', value: 400 },
    ],
  };
  const res = await page.request.post('/api/audiences/validate', { data: { where } });
  expect(res.status()).toBe(400);
  const details = ((await res.json()) as { error: { details: { path: string; message: string }[] } }).error.details;
  expect(details.map((d) => d.path).sort()).toEqual(['where.and[1].count', 'where.and[2]']);
  const onCount = details.find((d) => d.path === 'where.and[1].count')!.message;
  const onBirth = details.find((d) => d.path === 'where.and[2]')!.message;
  await expect(page.locator('[data-problem="and[1]"]')).toHaveText(onCount);
  await expect(page.locator('[data-problem="and[2]"]')).toHaveText(onBirth);
  await expect(page.locator('[data-problem="and[0]"]')).toHaveCount(0);
  // And in the list.
  await expect(page.getByRole('alert').filter({ hasText: 'The query has problems' })).toContainText(onBirth);
  expect(await seriousViolations(page)).toEqual([]);
});
