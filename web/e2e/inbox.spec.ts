import type { Response } from '@playwright/test';
import { exampleCampaign, exampleRun, runMessages } from './data';
import { expect, pageErrors, settled, test } from './fixtures';

// The inbox end to end: the example campaign of docs/campaigns.md,
// published and run live through the API, sends to the sandbox (serve
// --demo's default email provider); the console's inbox, narrowed to that
// run, opens one email, whose subject and body (read inside the sandboxed
// frame) are the API's message, personalised with the profile's values.
// The frame's HTML loads no remote image until the reader asks.

const strictCSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
const remoteCSP = "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'";

test('a live run of the example campaign: its email in the inbox, rendered for its profile', async ({ page, request, server, signIn, consoleErrors }) => {
  const { discount } = exampleCampaign();
  const run = await exampleRun(request, server);
  const messages = await runMessages(request, server, run.id);
  // An email of the VIP branch: its subject and body carry the profile's
  // first name and loyalty tier.
  const msg = messages.find((m) => m.id.startsWith(`${run.id}:mail_vip:`));
  expect(msg, `run ${run.id} sent a VIP email`).toBeDefined();
  const key = msg!.id.split(':')[2];

  // The profile, read from the store through an audience of one.
  const counted = await request.post(`${server.url}/api/audiences/count`, {
    headers: { Authorization: `Bearer ${server.token}` },
    data: { text: `customer_id = ${key}`, sample: 1, attributes: ['first_name', 'email', 'loyalty_tier'] },
  });
  expect(counted.ok()).toBe(true);
  const row = ((await counted.json()) as { sample: { rows: [string, string, string][] } }).sample.rows[0];
  expect(row, `customer ${key}`).toBeDefined();
  const [firstName, email, tier] = row!;
  expect(msg!.address).toBe(email);

  // The message as the API has it.
  const got = await request.get(`${server.url}/api/messages/${encodeURIComponent(msg!.id)}`, { headers: { Authorization: `Bearer ${server.token}` } });
  expect(got.ok()).toBe(true);
  const api = (await got.json()) as { address: string; content: { email: { subject: string; html: string } } };
  expect(api.content.email.subject).toBe(`${firstName}, ${discount}% off fashion, just for you`);

  await signIn();
  await page.goto('/messages');
  await settled(page, 'Messages');
  // Narrowed to the run: the address keeps it.
  await page.getByRole('combobox', { name: 'Run' }).click();
  await page.getByRole('option', { name: new RegExp(`^Run ${run.id} · ${run.campaign} · `) }).click();
  await expect(page).toHaveURL(new RegExp(`[?&]run=${run.id}(&|$)`));
  const group = page.getByRole('region', { name: `Run ${run.id} · ${run.campaign} · mail_vip` });
  await expect(group).toBeVisible();
  const vip = messages.filter((m) => m.id.startsWith(`${run.id}:mail_vip:`)).length;
  await expect(group.getByRole('row')).toHaveCount(vip + 1);
  // Only that run's emails are listed.
  await expect(page.getByRole('region', { name: /^Run \d+ · / })).toHaveCount(new Set(messages.map((m) => m.id.split(':')[1])).size);

  // The frame's HTML answer, whenever it comes.
  const frames: Response[] = [];
  page.on('response', (r) => {
    if (r.url().includes(`/api/messages/${encodeURIComponent(msg!.id)}/html`)) frames.push(r);
  });
  await group.getByRole('link', { name: msg!.address, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/messages/${encodeURIComponent(msg!.id)}$`));
  await settled(page, 'Message');
  await expect(page.getByRole('table', { name: 'Message details' }).getByRole('row', { name: /^To / })).toContainText(api.address);
  await expect(page.getByRole('table', { name: 'Headers' }).getByRole('row', { name: /^Subject / })).toContainText(api.content.email.subject);

  // The body, read inside the sandboxed frame, is the API's HTML.
  const frame = page.frameLocator(`iframe[title="The email's HTML: ${api.content.email.subject}"]`);
  await expect(frame.locator('body')).toContainText(`Hello ${firstName},`);
  await expect(frame.locator('body')).toContainText(`As a ${tier} member`);
  await expect(frame.locator('body')).toContainText(`take ${discount}% off the new collection`);
  const shown = (await frame.locator('body').innerText()).replace(/\s+/g, ' ').trim();
  const sent = api.content.email.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  expect(shown.replace(/\s+/g, '')).toBe(sent.replace(/\s+/g, ''));
  await expect(page.locator('iframe').first()).toHaveAttribute('sandbox', '');

  // Served with a policy that loads nothing remote, until the reader
  // clicks for remote images.
  await expect.poll(() => frames.length).toBeGreaterThan(0);
  for (const r of frames) {
    expect(r.url()).not.toContain('images=remote');
    expect(r.headers()['content-security-policy']).toBe(strictCSP);
  }
  const before = frames.length;
  const remote = page.waitForResponse((r) => r.url().includes(`/api/messages/${encodeURIComponent(msg!.id)}/html?images=remote`));
  await page.getByRole('button', { name: 'Show remote images' }).click();
  expect((await remote).headers()['content-security-policy']).toBe(remoteCSP);
  expect(frames.slice(0, before).every((r) => !r.url().includes('images=remote'))).toBe(true);
  await expect(frame.locator('body')).toContainText(`Hello ${firstName},`);
  // And back.
  const strict = page.waitForResponse((r) => r.url().endsWith(`/api/messages/${encodeURIComponent(msg!.id)}/html`));
  await page.getByRole('button', { name: 'Block remote images' }).click();
  expect((await strict).headers()['content-security-policy']).toBe(strictCSP);
  expect(api.content.email.html).not.toMatch(/<script/i);
  expect(pageErrors(consoleErrors)).toEqual([]);
});
