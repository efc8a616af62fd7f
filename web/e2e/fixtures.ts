import { test as base, expect, type Page } from '@playwright/test';
import { servers, type Server, type StoreOption } from './servers';

// The tests' fixtures: the store a project runs against (its `store`
// option), that store's server (also the base URL), and `signIn`, which
// opens a session the way the console does (POST /api/session) so that a
// test that is not about signing in starts signed in.

interface Fixtures {
  server: Server;
  signIn: () => Promise<void>;
  consoleErrors: string[];
}

export const test = base.extend<Fixtures, StoreOption>({
  store: ['embedded', { option: true, scope: 'worker' }],
  server: async ({ store }, use) => {
    await use(servers()[store]);
  },
  baseURL: async ({ server }, use) => {
    await use(server.url);
  },
  signIn: async ({ page, server }, use) => {
    await use(async () => {
      // page.request shares the page's cookies: the session cookie set
      // here is the one the console then sends.
      const res = await page.request.post('/api/session', { data: { token: server.token } });
      expect(res.status(), await res.text()).toBe(200);
    });
  },
  // Every error the page writes to its console, and every uncaught
  // exception, from the page's first load on.
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: uncaught ${e.message}`));
    await use(errors);
  },
});

export { expect };

/** pageErrors leaves out of errors what Chromium reports of the scripts
 * Playwright itself puts in every frame, which the sandbox of an email's
 * frame blocks ("Blocked script execution in '…/api/messages/…/html'"):
 * Chromium alone, driven without Playwright, reports nothing for a frame
 * without a script. The tests that use it check that the email holds no
 * script, so a blocked script of its own cannot hide here. */
export function pageErrors(errors: string[]): string[] {
  return errors.filter((e) => !/Blocked script execution in '[^']*\/api\/messages\/[^']*\/html(\?images=remote)?' because the document's frame is sandboxed/.test(e));
}

/** The pages of the console checked one by one, with the heading each
 * shows once it is there. */
export const pages = [
  { path: '/', heading: 'Home' },
  { path: '/data', heading: 'Data' },
  { path: '/data/imports', heading: 'Imports' },
  { path: '/audiences', heading: 'Audiences' },
  { path: '/audiences/new', heading: 'Audience builder' },
  { path: '/campaigns', heading: 'Campaigns' },
  { path: '/messages', heading: 'Messages' },
  { path: '/settings', heading: 'Settings' },
] as const;

/** settled waits until a page shows its heading and nothing still loads
 * (no spinner named Loading…, no busy region). */
export async function settled(page: Page, heading: string | RegExp) {
  await expect(page.getByRole('heading', { level: 2, name: heading, exact: typeof heading === 'string' })).toBeVisible();
  await expect(page.getByLabel('Loading…', { exact: true })).toHaveCount(0);
  await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
}
