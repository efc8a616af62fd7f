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
