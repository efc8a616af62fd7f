import { seriousViolations } from './axe';
import { anImport, exampleRun, runMessages } from './data';
import { expect, pageErrors, pages, settled, test } from './fixtures';

// Accessibility (axe-core: no serious or critical violation) and a clean
// browser console on every page of the console and on the sign-in page,
// with what opens on them (lists of options, the remote images of an
// email), at two window sizes. Every serious or critical violation fails
// (the theme in src/main.tsx meets color-contrast since these tests found
// it did not).

const viewports = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
];

for (const viewport of viewports) {
  test.describe(`axe at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport });

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

    test("an import's page", async ({ page, request, server, signIn }) => {
      const id = await anImport(request, server);
      await signIn();
      await page.goto(`/data/imports/${id}`);
      await settled(page, new RegExp(`^Import ${id} into `));
      expect(await seriousViolations(page)).toEqual([]);
    });

    test("a message's page, its remote images shown", async ({ page, request, server, signIn }) => {
      const run = await exampleRun(request, server);
      const [msg] = await runMessages(request, server, run.id);
      // The network is closed: a remote image's request is refused at once
      // rather than left to hang (axe waits for the frame).
      await page.route((url) => !url.href.startsWith(server.url), (route) => route.abort());
      await signIn();
      await page.goto(`/messages/${encodeURIComponent(msg!.id)}`);
      await settled(page, 'Message');
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Show remote images' }).click();
      await expect(page.getByRole('button', { name: 'Block remote images' })).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('Settings with the list of time zones open', async ({ page, signIn }) => {
      await signIn();
      await page.goto('/settings');
      await settled(page, 'Settings');
      await page.getByRole('combobox', { name: 'Time zone of the times shown' }).click();
      await expect(page.getByRole('option', { name: 'UTC', exact: true })).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
      await page.keyboard.press('Escape');
      await expect(page.getByRole('listbox')).toHaveCount(0);
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('Messages with the list of runs open', async ({ page, request, server, signIn }) => {
      const run = await exampleRun(request, server);
      await signIn();
      await page.goto(`/messages?run=${run.id}`);
      await settled(page, 'Messages');
      await page.getByRole('combobox', { name: 'Run' }).click();
      await expect(page.getByRole('option', { name: new RegExp(`^Run ${run.id} · `) })).toBeVisible();
      expect(await seriousViolations(page)).toEqual([]);
    });
  });
}

// The Messages page's list of runs with eight long campaign names: it
// wrapped them and scrolled, a region out of a keyboard's reach (axe's
// scrollable-region-focusable, first seen in CI once the specs before
// this one had made enough runs); an option keeps to one line.
test('Messages: the list of runs of long-named campaigns does not scroll', async ({ page, signIn }) => {
  await signIn();
  for (let i = 0; i < 9; i++) {
    const name = `e2e-a-campaign-with-a-rather-long-name-${i}-${Date.now().toString(36)}`;
    const doc = `name: ${name}\ndimension: customers\nactivities:\n  start: {type: start}\n  all: {type: build_audience, query: 'customer_id <= 3'}\n  done: {type: end}\ntransitions:\n  - start -> all\n  - all -> done\n`;
    expect((await page.request.post('/api/campaigns', { headers: { 'Content-Type': 'application/yaml' }, data: doc })).ok()).toBe(true);
    const run = await page.request.post(`/api/campaigns/${name}/runs`, { data: { mode: 'simulate' } });
    expect(run.ok(), await run.text()).toBe(true);
  }
  await page.goto('/messages');
  await settled(page, 'Messages');
  await page.getByRole('combobox', { name: 'Run' }).click();
  await expect(page.getByRole('option')).toHaveCount(8);
  expect(await seriousViolations(page)).toEqual([]);
});

test('no error in the browser console on any page', async ({ page, request, server, signIn, consoleErrors }) => {
  const run = await exampleRun(request, server);
  const [msg] = await runMessages(request, server, run.id);
  const imported = await anImport(request, server);
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Fanfare' })).toBeVisible();
  await signIn();
  for (const p of pages) {
    await page.goto(p.path);
    await settled(page, p.heading);
  }
  await page.goto(`/data/imports/${imported}`);
  await settled(page, new RegExp(`^Import ${imported} into `));
  // A message's page, its frame loaded.
  expect(msg!.content.email?.html).toBeTruthy();
  expect(msg!.content.email?.html).not.toMatch(/<script/i);
  const html = page.waitForResponse((r) => r.url().includes('/html'));
  await page.goto(`/messages/${encodeURIComponent(msg!.id)}`);
  await settled(page, 'Message');
  expect((await html).status()).toBe(200);
  expect(pageErrors(consoleErrors)).toEqual([]);
});
