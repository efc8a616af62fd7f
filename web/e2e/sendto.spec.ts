import { seriousViolations } from './axe';
import { expect, settled, test } from './fixtures';

// Live segmentation, activated at once: from a saved audience's page, "send
// to these" makes a draft campaign (the audience, one channel activity, the
// send held for confirmation) and opens it on the canvas. Nothing is saved
// as a version, published or sent: the draft only.

test('send to a saved audience makes a draft campaign and opens it on the canvas', async ({ page, server, signIn }) => {
  await signIn();
  const audience = `e2e-send-${server.health}`;
  const campaign = `e2e-send-to-${server.health}`;
  await page.request.delete(`/api/audiences/${audience}`);
  await page.request.delete(`/api/campaigns/${campaign}/draft`);
  const saved = await page.request.post('/api/audiences', { data: { name: audience, text: 'country = "FR"' } });
  expect(saved.status(), await saved.text()).toBe(201);
  const count = ((await saved.json()) as { count: number }).count;

  await page.goto(`/audiences/${audience}`);
  await settled(page, audience);
  await page.getByRole('button', { name: `Send to these ${count.toLocaleString('en-US')}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Send to this audience' });
  await expect(dialog).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await dialog.getByLabel('Campaign name').fill(campaign);
  await dialog.getByText('SMS', { exact: true }).click();
  await dialog.getByRole('button', { name: 'Create and open on the canvas' }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaign}/edit\\?select=sms$`));

  // The draft: stored, parsing, no version made; it reads the audience and
  // holds the send; validation asks only for the message's content.
  const draft = (await (await page.request.get(`/api/campaigns/${campaign}/draft`)).json()) as { revision: number; base_version: number; parses: boolean; document: string };
  expect(draft).toMatchObject({ revision: 1, base_version: 0, parses: true });
  expect(draft.document).toContain(`audience: ${audience}`);
  expect(draft.document).toContain('confirm_send: true');
  expect((await page.request.get(`/api/campaigns/${campaign}`)).status()).toBe(404);
  const check = await page.request.post('/api/campaigns/validate', { data: draft.document, headers: { 'Content-Type': 'application/yaml' } });
  expect(check.status()).toBe(400);
  const problems = ((await check.json()) as { error: { details: { activity?: string }[] } }).error.details;
  expect(problems.length).toBeGreaterThan(0);
  expect(problems.every((p) => p.activity === 'sms'), JSON.stringify(problems)).toBe(true);
  await page.request.delete(`/api/campaigns/${campaign}/draft`);
});

test('send to the audience being built makes a draft campaign with its query', async ({ page, server, signIn }) => {
  await signIn();
  const campaign = `e2e-send-built-${server.health}`;
  await page.request.delete(`/api/campaigns/${campaign}/draft`);
  await page.goto('/audiences/new');
  await settled(page, 'Audience builder');
  await page.getByRole('button', { name: /^Send to these [\d,]+$/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Send to this audience' });
  await dialog.getByLabel('Campaign name').fill(campaign);
  await dialog.getByRole('button', { name: 'Create and open on the canvas' }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaign}/edit\\?select=email$`));
  const draft = (await (await page.request.get(`/api/campaigns/${campaign}/draft`)).json()) as { parses: boolean; document: string };
  expect(draft.parses).toBe(true);
  expect(draft.document).toContain('type: build_audience');
  const check = await page.request.post('/api/campaigns/validate', { data: draft.document, headers: { 'Content-Type': 'application/yaml' } });
  const problems = ((await check.json()) as { error: { details: { activity?: string }[] } }).error.details;
  expect(problems.every((p) => p.activity === 'email'), JSON.stringify(problems)).toBe(true);
  await page.request.delete(`/api/campaigns/${campaign}/draft`);
});
