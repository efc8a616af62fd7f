import { expect, test } from './fixtures';

// Upload a CSV with two bad rows through the Imports page: the page moves to
// the import's own address, shows both rejects with their lines, and Home
// counts the good rows. The stores entity (20 in the demo) is used so that
// the other tests' customer counts stay the demo's.
test('upload a CSV with two bad rows: both rejects with their lines, the good rows counted', async ({ page, signIn }) => {
  await signIn();

  // The count before, read from the API (the page shows the same).
  const before = await page.request.get('/api/entities');
  expect(before.status()).toBe(200);
  const stores = ((await before.json()) as { entities: { name: string; rows: number }[] }).entities.find((e) => e.name === 'stores');
  expect(stores, 'the demo has stores').toBeDefined();
  const start = stores!.rows;

  // Ids far above the demo's, distinct per run of the file against one
  // server (the two projects have a server each).
  const base = 900000 + Math.floor(Math.random() * 90000) * 10;
  const csv = [
    'store_id,name,country,city',
    `${base + 1},North,FR,Lille`,
    `not-a-number,Bad,FR,Paris`, // line 3: a bad key
    `${base + 2},South,FR,Marseille`,
    `${base + 3}`, // line 5: too few fields
    `${base + 4},West,FR,Brest`,
    '',
  ].join('\n');

  await page.goto('/data/imports');
  await expect(page.getByRole('heading', { level: 2, name: 'Imports', exact: true })).toBeVisible();
  await page.getByRole('combobox', { name: 'Entity' }).click();
  await page.getByRole('option', { name: 'stores', exact: true }).click();
  await page.locator('input[type="file"]').setInputFiles({ name: 'stores.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: 'Upload and import' }).click();

  // The import's own page, once it ended.
  await expect(page).toHaveURL(/\/data\/imports\/\d+$/);
  const rejects = page.getByRole('table', { name: 'Rejected rows' });
  await expect(rejects).toBeVisible();
  const rows = rejects.locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).getByRole('cell').first()).toHaveText('3');
  await expect(rows.nth(1).getByRole('cell').first()).toHaveText('5');

  // Home counts the three good rows.
  await page.goto('/');
  const entities = page.getByRole('region', { name: 'Rows per entity' });
  await expect(entities.getByRole('row', { name: /stores/ })).toContainText(String(start + 3));
});
