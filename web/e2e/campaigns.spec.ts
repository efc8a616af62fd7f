import type { APIRequestContext, Page } from '@playwright/test';
import { seriousViolations } from './axe';
import { exampleCampaign } from './data';
import { expect, settled, test } from './fixtures';

// The campaigns' list and what it does: the example campaign of
// docs/campaigns.md and two small ones saved through the API, searched by
// name and filtered by status (both kept in the address); a new campaign
// made in its dialog opens on its canvas; a campaign duplicated, the copy
// archived (gone from the default list, shown under Archived) and deleted;
// a campaign with runs cannot be deleted and the dialog says to archive it.

/** small is a valid campaign of the demo's model: everyone in a country,
 * then the end. */
function small(name: string, country = 'FR'): string {
  return [
    `name: ${name}`,
    'dimension: customers',
    'activities:',
    '  start: {type: start}',
    `  buyers: {type: build_audience, query: 'country = "${country}"'}`,
    '  done: {type: end}',
    'transitions:',
    '  - start -> buyers',
    '  - buyers -> done',
    '',
  ].join('\n');
}

async function save(request: APIRequestContext, yaml: string) {
  const res = await request.post('/api/campaigns', { headers: { 'Content-Type': 'application/yaml' }, data: yaml });
  expect(res.ok(), `save: ${res.status()} ${await res.text()}`).toBe(true);
}

/** row is the list's row of a campaign. */
function row(page: Page, name: string) {
  return page.getByRole('table', { name: 'Campaigns' }).getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
}

const stamp = () => Date.now().toString(36);

test('the list: searched by name and filtered by status, both in the address', async ({ page, signIn }) => {
  await signIn();
  const { name: example, yaml } = exampleCampaign();
  const listed = await page.request.get(`/api/campaigns/${example}`);
  if (!listed.ok()) await save(page.request, yaml);
  const archived = `e2e-archived-${stamp()}`;
  await save(page.request, small(archived));
  expect((await page.request.post(`/api/campaigns/${archived}/archive`)).ok()).toBe(true);

  await page.goto('/campaigns');
  await settled(page, 'Campaigns');
  await expect(row(page, example)).toBeVisible();
  await expect(row(page, example)).toContainText(/Draft|Published/);
  // Archived campaigns are put away: not in the default list.
  await expect(row(page, archived)).toHaveCount(0);
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByRole('textbox', { name: 'Search' }).fill('spring');
  await expect(page).toHaveURL(/[?&]q=spring(&|$)/);
  await expect(row(page, example)).toBeVisible();
  // Every row shown has spring in its name.
  for (const r of await page.getByRole('table', { name: 'Campaigns' }).getByRole('row').filter({ has: page.getByRole('cell') }).all()) await expect(r.getByRole('cell').first()).toContainText('spring');
  await page.getByRole('textbox', { name: 'Search' }).fill('no-such-campaign');
  await expect(page.getByText('No campaign matches this search or filter.')).toBeVisible();
  await page.getByRole('textbox', { name: 'Search' }).fill('');

  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Archived', exact: true }).click();
  await expect(page).toHaveURL(/[?&]status=archived(&|$)/);
  await expect(row(page, archived)).toContainText('Archived');
  await expect(row(page, example)).toHaveCount(0);
  // The address is the view: opened again, it shows the same.
  await page.goto(`/campaigns?status=archived&q=${archived}`);
  await settled(page, 'Campaigns');
  await expect(page.getByRole('table', { name: 'Campaigns' }).getByRole('row')).toHaveCount(2);
  await expect(row(page, archived)).toBeVisible();
});

test('a new campaign, named in its dialog, opens on its canvas', async ({ page, signIn }) => {
  await signIn();
  await page.goto('/campaigns');
  await settled(page, 'Campaigns');
  await page.getByRole('button', { name: 'New campaign' }).click();
  const dialog = page.getByRole('dialog', { name: 'New campaign' });
  const input = dialog.getByRole('textbox', { name: 'Campaign name' });
  await input.fill('bad/name');
  await expect(dialog.getByText('Use 1 to 100 letters, digits')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Create and open the canvas' })).toBeDisabled();
  expect(await seriousViolations(page)).toEqual([]);
  const name = `e2e-new-${stamp()}`;
  await input.fill(name);
  await dialog.getByRole('button', { name: 'Create and open the canvas' }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${name}/edit$`));
  // The draft is stored: the canvas opens it.
  const draft = await page.request.get(`/api/campaigns/${name}/draft`);
  expect(draft.ok(), await draft.text()).toBe(true);
  expect(((await draft.json()) as { document: string }).document).toContain('type: start');
  // Listed before its first version, its name leading to its canvas.
  await page.goto(`/campaigns?q=${name}`);
  await expect(page.getByTestId(`draft-${name}`)).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(`^${name} `) })).toContainText('not saved yet');
  await page.getByRole('link', { name, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${name}/edit$`));
});

test('duplicate a campaign, archive the copy, then delete it; one with runs is archived instead', async ({ page, signIn }) => {
  await signIn();
  const source = `e2e-source-${stamp()}`;
  await save(page.request, small(source, 'DE'));
  await page.goto(`/campaigns?q=${source}`);
  await settled(page, 'Campaigns');

  // Duplicate: the copy's page opens.
  await row(page, source).getByRole('button', { name: `Actions of ${source}` }).click();
  await page.getByRole('menuitem', { name: 'Duplicate' }).click();
  const dup = page.getByRole('dialog', { name: `Duplicate ${source}` });
  const copy = `${source}-copy`;
  await dup.getByRole('textbox', { name: 'Campaign name' }).fill(copy);
  expect(await seriousViolations(page)).toEqual([]);
  await dup.getByRole('button', { name: 'Duplicate', exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${copy}$`));
  await settled(page, copy);
  await expect(page.getByText('Draft', { exact: true })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Archive the copy: gone from the default list, under Archived.
  await page.goto(`/campaigns?q=${copy}`);
  await settled(page, 'Campaigns');
  await row(page, copy).getByRole('button', { name: `Actions of ${copy}` }).click();
  await page.getByRole('menuitem', { name: 'Archive' }).click();
  const archive = page.getByRole('dialog', { name: `Archive ${copy}?` });
  expect(await seriousViolations(page)).toEqual([]);
  await archive.getByRole('button', { name: 'Archive', exact: true }).click();
  await expect(archive).toBeHidden();
  await expect(row(page, copy)).toHaveCount(0);
  await page.goto(`/campaigns?q=${copy}&status=archived`);
  await settled(page, 'Campaigns');
  await expect(row(page, copy)).toContainText('Archived');

  // Delete it (it never ran).
  await row(page, copy).getByRole('button', { name: `Actions of ${copy}` }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  const del = page.getByRole('dialog', { name: `Delete ${copy}?` });
  expect(await seriousViolations(page)).toEqual([]);
  await del.getByRole('button', { name: `Delete ${copy}` }).click();
  await expect(del).toBeHidden();
  await expect(row(page, copy)).toHaveCount(0);
  expect((await page.request.get(`/api/campaigns/${copy}`)).status()).toBe(404);

  // The source ran once (a simulation): deleting it is refused, and the
  // dialog says to archive it instead.
  const run = await page.request.post(`/api/campaigns/${source}/runs`, { data: { mode: 'simulate' } });
  expect(run.ok(), await run.text()).toBe(true);
  await page.goto(`/campaigns?q=${source}`);
  await settled(page, 'Campaigns');
  await expect(row(page, source).getByRole('link', { name: /^Run \d+ · Simulation$/ })).toBeVisible();
  await row(page, source).getByRole('button', { name: `Actions of ${source}` }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  const refused = page.getByRole('dialog', { name: `Delete ${source}?` });
  await refused.getByRole('button', { name: `Delete ${source}` }).click();
  await expect(refused.getByRole('alert')).toContainText('Archive it instead');
  expect(await seriousViolations(page)).toEqual([]);
});
