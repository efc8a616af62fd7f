import { resolve } from 'node:path';
import { anImport, exampleRun, runMessages } from './data';
import { expect, settled, test } from './fixtures';

// The pictures of the console in docs/img/console-*.png, taken from a
// real server (the demo, the example campaign run live, an import), one
// per page. Only on demand, so that a test run never rewrites them:
//   make screenshots   (= FANFARE_SCREENSHOTS=1 playwright test e2e/screenshots.spec.ts --project embedded)

const img = resolve(import.meta.dirname, '..', '..', 'docs', 'img');

test.use({ viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/Paris' });

test('screenshots of every page', async ({ page, request, server, signIn, store }) => {
  test.skip(!process.env.FANFARE_SCREENSHOTS, 'FANFARE_SCREENSHOTS=1 takes them (make screenshots)');
  test.skip(store !== 'embedded', 'taken once, on the embedded store');
  const run = await exampleRun(request, server);
  const msg = (await runMessages(request, server, run.id)).find((m) => m.id.includes(':mail_vip:'));
  const imported = await anImport(request, server);
  // A saved audience to show.
  const audience = 'gold-in-france';
  const have = await request.get(`${server.url}/api/audiences/${audience}`, { headers: { Authorization: `Bearer ${server.token}` } });
  if (have.status() === 404) {
    const saved = await request.post(`${server.url}/api/audiences`, {
      headers: { Authorization: `Bearer ${server.token}` },
      data: { name: audience, description: 'Gold members in France', text: 'country = "FR" and loyalty_tier = "gold"' },
    });
    expect(saved.ok(), await saved.text()).toBe(true);
  }
  await signIn();

  const shoot = async (name: string, path: string, heading: string | RegExp, before?: () => Promise<void>) => {
    await page.goto(path);
    await settled(page, heading);
    if (before) await before();
    await page.screenshot({ path: resolve(img, `console-${name}.png`), animations: 'disabled', caret: 'hide' });
  };

  await shoot('home', '/', 'Home');
  await shoot('data', '/data', 'Data');
  await shoot('imports', '/data/imports', 'Imports');
  await shoot('import', `/data/imports/${imported}`, new RegExp(`^Import ${imported} into `));
  await shoot('audiences', '/audiences', 'Audiences');
  await shoot('builder', '/audiences/new', 'Audience builder', async () => {
    await page.getByRole('textbox', { name: 'Query' }).fill('count(purchases where product.category = "fashion" and purchased_at within last 90d) >= 1');
    await expect(page.getByRole('button', { name: /^Save [\d,]+ rows$/ })).toBeVisible();
    await expect(page.getByText(/^counted in \d+ ms$/)).toBeVisible();
    await expect(page.getByLabel('Loading…', { exact: true })).toHaveCount(0);
  });
  await shoot('audience', `/audiences/${audience}`, audience);
  await shoot('campaigns', '/campaigns', 'Campaigns');
  await shoot('messages', `/messages?run=${run.id}`, 'Messages');
  await shoot('message', `/messages/${encodeURIComponent(msg!.id)}`, 'Message', async () => {
    await expect(page.frameLocator('iframe').locator('body')).toContainText('Hello');
  });
  await shoot('settings', '/settings', 'Settings');
});
