import type { APIRequestContext, Page } from '@playwright/test';
import { seriousViolations } from './axe';
import { expect, settled, test } from './fixtures';

// The Data page's apply flow against the demo's model: a document that
// adds an attribute (the diff, one click, the page and GET /api/model show
// it), then the original document again, which drops it (the dialog names
// the loss as the API's dry run counts it; cancel keeps the attribute,
// confirm drops it), and an invalid document (its problem with its line).
// The other specs need the demo's model: the test ends on the original
// document, and afterEach puts it back if a step failed.

const attribute = 'e2e_note';
// Two stores of our own that hold a value of the new attribute, removed at
// the end: the drop then has data to lose.
const keys = [990001, 990002];

interface ModelAnswer {
  version: number;
  document: string;
  model: { entities: { name: string; attributes: { name: string }[] }[] };
}

async function currentModel(request: APIRequestContext): Promise<ModelAnswer> {
  const res = await request.get('/api/model');
  expect(res.status(), await res.text()).toBe(200);
  return (await res.json()) as ModelAnswer;
}

function storeAttributes(m: ModelAnswer): string[] {
  return (m.model.entities.find((e) => e.name === 'stores')?.attributes ?? []).map((a) => a.name);
}

/** importRows loads a CSV into stores through the API and waits for it. */
async function importRows(request: APIRequestContext, csv: string) {
  const res = await request.post('/api/imports?entity=stores&name=e2e-model.csv', { data: csv, headers: { 'Content-Type': 'application/octet-stream' } });
  expect(res.status(), await res.text()).toBe(202);
  const { import_id: id } = (await res.json()) as { import_id: number };
  await expect
    .poll(async () => ((await (await request.get(`/api/imports/${id}`)).json()) as { state: string }).state, { timeout: 60_000 })
    .toBe('done');
  const done = (await (await request.get(`/api/imports/${id}`)).json()) as { rejected: number };
  expect(done.rejected).toBe(0);
}

async function openApply(page: Page) {
  await page.goto('/data?tab=apply');
  await settled(page, 'Data');
  await expect(page.getByRole('tab', { name: 'Apply a document' })).toHaveAttribute('aria-selected', 'true');
}

let original: string | undefined;

test.afterEach(async ({ page }) => {
  if (original === undefined) return;
  const now = await currentModel(page.request);
  if (now.document !== original) {
    const res = await page.request.post('/api/model?allow_destructive=true', { data: original, headers: { 'Content-Type': 'application/yaml' } });
    expect(res.status(), await res.text()).toBe(200);
  }
  await importRows(page.request, `store_id,_change\n${keys.map((k) => `${k},delete`).join('\n')}\n`);
  original = undefined;
});

test('a model that adds an attribute applies in one click; dropping it asks, names the loss, and cancel keeps it', async ({ page, signIn }) => {
  await signIn();
  const before = await currentModel(page.request);
  original = before.document;
  expect(storeAttributes(before)).not.toContain(attribute);
  const added = before.document.replace(/(\n {2}stores:\n(?: {4}.*\n)*? {4}attributes:\n)/, `$1      ${attribute}: string\n`);
  expect(added, 'the demo model has stores with attributes').not.toBe(before.document);

  // Dry run: the diff shows the added attribute; one click applies it.
  await openApply(page);
  const doc = page.getByRole('textbox', { name: 'Model document (YAML or JSON)' });
  await doc.fill(added);
  await page.getByRole('button', { name: 'Check changes' }).click();
  const diff = page.getByTestId('model-diff');
  await expect(diff.getByRole('row')).toHaveCount(2); // the header and the one change
  await expect(diff.getByRole('row').nth(1)).toContainText('added');
  await expect(diff.getByRole('row').nth(1)).toContainText('stores');
  await expect(diff.getByRole('row').nth(1)).toContainText(attribute);
  await expect(diff).not.toContainText('loses data');
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Apply 1 change', exact: true }).click();

  // Applied: the page shows the new version and the attribute; so does the API.
  await expect(page.getByTestId('model-version')).toHaveText(`Model version ${before.version + 1}`);
  await expect(page.getByRole('table', { name: 'Attributes of stores' }).getByRole('cell', { name: attribute, exact: true })).toBeVisible();
  const after = await currentModel(page.request);
  expect(after.version).toBe(before.version + 1);
  expect(storeAttributes(after)).toContain(attribute);
  await importRows(page.request, `store_id,name,country,city,${attribute}\n${keys.map((k) => `${k},E2E ${k},FR,Paris,kept`).join('\n')}\n`);

  // The versions tab lists it, and shows an older version's document.
  await page.getByRole('tab', { name: 'Versions' }).click();
  await expect(page.getByRole('table', { name: 'Versions of the data model' }).getByRole('row')).toHaveCount(after.version + 1);
  await page.getByRole('button', { name: `View version ${before.version}`, exact: true }).click();
  const versionDialog = page.getByRole('dialog', { name: `Model version ${before.version}` });
  const stored = (await (await page.request.get(`/api/model/versions/${before.version}`)).json()) as ModelAnswer;
  expect(storeAttributes(stored)).not.toContain(attribute);
  await expect(versionDialog.getByTestId('version-document')).toHaveText(stored.document.trimEnd());
  await expect(versionDialog).not.toContainText(attribute);
  expect(await seriousViolations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(versionDialog).toBeHidden();

  // The original document drops the attribute: destructive, with the loss
  // the API's dry run counts (the two values just imported).
  const dry = await page.request.post('/api/model?dry_run=true', { data: original, headers: { 'Content-Type': 'application/yaml' } });
  const plan = (await dry.json()) as { changes: { kind: string; destructive: boolean; loss?: string }[] };
  expect(plan.changes).toHaveLength(1);
  const loss = plan.changes[0]?.loss ?? '';
  expect(loss).toContain(String(keys.length));

  await openApply(page);
  await doc.fill(original);
  await page.getByRole('button', { name: 'Check changes' }).click();
  await expect(diff.getByRole('row').nth(1)).toContainText('removed');
  await expect(diff.getByRole('row').nth(1)).toContainText('loses data');
  await expect(diff.getByRole('row').nth(1)).toContainText(loss);
  await page.getByRole('button', { name: 'Apply 1 change, with data loss…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Apply changes that lose data?' });
  await expect(confirm).toContainText(`drop attribute stores.${attribute}`);
  await expect(confirm).toContainText(loss);
  const apply = confirm.getByRole('button', { name: 'Apply and lose this data' });
  await expect(apply).toBeDisabled();
  expect(await seriousViolations(page)).toEqual([]);

  // Cancel keeps it.
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toBeHidden();
  expect(storeAttributes(await currentModel(page.request))).toContain(attribute);

  // Confirm, after ticking the box that names the loss, drops it.
  await page.getByRole('button', { name: 'Apply 1 change, with data loss…' }).click();
  const accept = confirm.getByRole('checkbox', { name: /^I accept this loss: / });
  await expect(accept).toHaveAccessibleName(`I accept this loss: drop attribute stores.${attribute} (${loss})`);
  await accept.check();
  await apply.click();
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId('model-version')).toHaveText(`Model version ${before.version + 2}`);
  await expect(page.getByRole('table', { name: 'Attributes of stores' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Attributes of stores' }).getByRole('cell', { name: attribute, exact: true })).toHaveCount(0);
  const restored = await currentModel(page.request);
  expect(storeAttributes(restored)).not.toContain(attribute);
  expect(restored.document).toBe(original);
});

test('an invalid model document, uploaded, shows each problem with its line', async ({ page, signIn }) => {
  await signIn();
  const before = await currentModel(page.request);
  const lines = before.document.split('\n');
  const at = lines.findIndex((l) => /^ {6}brand: string$/.test(l));
  expect(at, 'the demo model has products.brand').toBeGreaterThan(0);
  lines[at] = '      brand: strnig';
  const bad = lines.join('\n');

  // What the server says of it, to compare with what the page shows.
  const res = await page.request.post('/api/model/validate', { data: bad, headers: { 'Content-Type': 'application/yaml' } });
  expect(res.status()).toBe(400);
  const problems = ((await res.json()) as { error: { details: { path: string; line: number; message: string }[] } }).error.details;
  expect(problems).toHaveLength(1);
  expect(problems[0]?.line).toBe(at + 1);

  await openApply(page);
  // Uploaded as a file: its text fills the document.
  await page.locator('input[type="file"]').setInputFiles({ name: 'bad-model.yaml', mimeType: 'application/yaml', buffer: Buffer.from(bad) });
  await expect(page.getByRole('textbox', { name: 'Model document (YAML or JSON)' })).toHaveValue(bad);
  await page.getByRole('button', { name: 'Check changes' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'The document has 1 problem' });
  await expect(alert).toContainText(`line ${at + 1}:`);
  await expect(alert).toContainText(problems[0]?.path ?? '');
  await expect(alert).toContainText(problems[0]?.message ?? '');
  expect(await seriousViolations(page)).toEqual([]);
  expect((await currentModel(page.request)).version).toBe(before.version);
});
