import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { seriousViolations } from './axe';
import type { Page } from '@playwright/test';
import { expect, settled, test } from './fixtures';
import type { Server } from './servers';

// A saved audience's life on its page: saved through the API, refreshed
// (a new version whose size is `fanfare audience count`'s), appended to (the
// union's count), exported as CSV (a header and one line per member) and
// NDJSON (one object per member), deleted (gone from the list and the API).

const text = 'country = "FR"';
const added = 'country = "DE"';

function cliCount(server: Server, where: string): number {
  const out = execFileSync(server.bin, ['audience', 'count', '--server', server.url, '--token', server.token, '--where', where, '--json'], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FANFARE_'))),
  });
  return (JSON.parse(out) as { count: number }).count;
}

/** versionRow is the versions table's row of version v. */
function versionRow(page: Page, v: number) {
  return page.getByTestId('audience-versions').getByRole('row').filter({ has: page.getByRole('cell', { name: new RegExp(`^${v}\\s*(current)?$`) }) });
}

test('refresh, append, export and delete a saved audience from its page', async ({ page, server, signIn }) => {
  await signIn();
  const name = `e2e-life-${server.health}`;
  await page.request.delete(`/api/audiences/${name}`); // a run before this one may have left it
  const saved = await page.request.post('/api/audiences', { data: { name, text } });
  expect(saved.status(), await saved.text()).toBe(201);

  await page.goto(`/audiences/${name}`);
  await settled(page, name);
  await expect(versionRow(page, 1)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Refresh: version 2, as large as the CLI counts the query now.
  await page.getByRole('button', { name: 'Refresh', exact: true }).click();
  await expect(versionRow(page, 2)).toContainText('current');
  const counted = cliCount(server, text);
  expect(counted, 'the demo has customers in France').toBeGreaterThan(0);
  await expect(versionRow(page, 2).getByRole('cell').nth(2)).toHaveText(counted.toLocaleString('en-US'));
  const api = (await (await page.request.get(`/api/audiences/${name}`)).json()) as { version: number; count: number };
  expect(api).toMatchObject({ version: 2, count: counted });

  // The stored query of a version, in a dialog.
  await versionRow(page, 2).getByRole('button', { name: 'Query of version 2' }).click();
  const queryDialog = page.getByRole('dialog', { name: 'Version 2' });
  await expect(queryDialog).toContainText('"FR"');
  expect(await seriousViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(queryDialog).toBeHidden();

  // Export CSV: a plain link the browser downloads, a header and one line
  // per member.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toBe(`${name}.csv`);
  const csv = readFileSync(await download.path(), 'utf8');
  expect(csv.split('\n').filter((l) => l !== '')).toHaveLength(counted + 1);
  const [nd] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export NDJSON' }).click()]);
  expect(nd.suggestedFilename()).toBe(`${name}.ndjson`);
  const rows = readFileSync(await nd.path(), 'utf8').split('\n').filter((l) => l !== '');
  expect(rows).toHaveLength(counted);
  for (const r of rows) expect(JSON.parse(r)).toBeInstanceOf(Object);

  // Append another query's rows: version 3 holds the union.
  await page.getByRole('button', { name: 'Append…' }).click();
  const appendDialog = page.getByRole('dialog', { name: `Append rows to ${name}` });
  await expect(appendDialog).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await appendDialog.getByRole('textbox', { name: 'Query to add' }).fill(added);
  await appendDialog.getByRole('button', { name: 'Append as a new version' }).click();
  await expect(appendDialog).toBeHidden();
  const union = cliCount(server, `${text} or ${added}`);
  await expect(versionRow(page, 3)).toContainText('append');
  await expect(versionRow(page, 3).getByRole('cell').nth(2)).toHaveText(union.toLocaleString('en-US'));

  // Delete, after the dialog: gone from the list and from the API.
  await page.getByRole('button', { name: 'Delete…' }).click();
  const deleteDialog = page.getByRole('dialog', { name: `Delete ${name}?` });
  await expect(deleteDialog).toContainText(union.toLocaleString('en-US'));
  expect(await seriousViolations(page)).toEqual([]);
  await deleteDialog.getByRole('button', { name: `Delete ${name}` }).click();
  await expect(page).toHaveURL(/\/audiences$/);
  await settled(page, 'Audiences');
  await expect(page.getByRole('link', { name, exact: true })).toHaveCount(0);
  expect((await page.request.get(`/api/audiences/${name}`)).status()).toBe(404);
});
