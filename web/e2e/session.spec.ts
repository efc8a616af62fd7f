import { expect, test } from './fixtures';

// Sign in with the token through the sign-in page, land on Home with the
// store's kind and an entity count, sign out; the old session then no
// longer works.
test('sign in, see Home, sign out, the old session is gone', async ({ page, server }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByLabel('API token').fill(server.token);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page).toHaveURL(new URL('/', server.url).toString());
  await expect(page.getByRole('heading', { level: 2, name: 'Home' })).toBeVisible();
  const health = page.getByRole('region', { name: 'Health' });
  await expect(health.getByRole('row', { name: /Store/ })).toContainText(server.health === 'postgres' ? 'PostgreSQL' : 'Embedded (DuckDB)');
  // The demo's 2,000 customers.
  const entities = page.getByRole('region', { name: 'Rows per entity' });
  await expect(entities.getByRole('row', { name: /customers/ })).toContainText('2,000');
  // The node that serves this page, reported to the store, is listed healthy.
  const nodes = page.getByRole('region', { name: 'Nodes sharing this store' });
  await expect(nodes.getByRole('row', { name: /this node/ })).toContainText('Healthy');

  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'fanfare_session');
  expect(session, 'the session cookie').toBeDefined();
  expect(session?.httpOnly).toBe(true);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in\?reason=signed-out/);
  await expect(page.getByText('You are signed out.')).toBeVisible();

  // The old cookie, sent again by hand, no longer opens anything.
  const again = await page.request.get('/api/session', { headers: { Cookie: `fanfare_session=${session?.value}` } });
  expect(again.status()).toBe(401);
  const entitiesAgain = await page.request.get('/api/entities', { headers: { Cookie: `fanfare_session=${session?.value}` } });
  expect(entitiesAgain.status()).toBe(401);
  // And the console sends a signed-out user back to sign in.
  await page.goto('/data');
  await expect(page).toHaveURL(/\/sign-in\?.*next=%2Fdata/);
});

// A session that ends while an audience is being built — ended on the
// server, as an idle expiry or a revoked token would, while the browser
// still holds its cookie: the builder's next call answers 401, the console
// goes to sign-in saying the session ended, and signing in again brings
// the user back to the builder with the unsaved query as it last was.
test('an expired session returns to sign-in and keeps the unsaved audience', async ({ page, server, signIn, playwright }) => {
  await signIn();
  await page.goto('/audiences/new');
  const query = page.getByRole('textbox', { name: 'Query' });
  // The empty tree's text first, so that the fill replaces it whole.
  await expect(query).toHaveValue('all');
  await query.fill('country = "FR"');
  // The text read into the tree and printed back, in the address: nothing
  // of this edit is still on its way to the server.
  await expect(page).toHaveURL(/q=country/);

  const cookie = (await page.context().cookies()).find((c) => c.name === 'fanfare_session');
  expect(cookie, 'the session cookie').toBeDefined();
  const outside = await playwright.request.newContext({ baseURL: server.url });
  const ended = await outside.delete('/api/session', { headers: { Cookie: `fanfare_session=${cookie?.value}` } });
  expect(ended.status()).toBe(204);
  await outside.dispose();

  const unsaved = 'country = "FR" and loyalty_tier = "gold"';
  await query.fill(unsaved);
  await expect(page).toHaveURL(/\/sign-in\?.*reason=expired/);
  await page.getByLabel('API token').fill(server.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/audiences\/new/);
  await expect(page.getByRole('textbox', { name: 'Query' })).toHaveValue(unsaved);
});
