import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server as HTTPServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIRequestContext } from '@playwright/test';
import { seriousViolations } from './axe';
import { publish, startLive } from './campaigns';
import { expect, test as base } from './fixtures';
import { pgAdmin, psql, start, stop, withDatabase } from './serve';
import { servers, type Server, type StoreOption } from './servers';

// What a provider's failures look like in the monitor, against a real
// HTTP peer: the spec runs an SMS API in the style of Twilio's (the one
// `--sms-provider twilio` speaks) whose answer it switches, and a `fanfare
// serve --demo` of its own sending SMS to it (the global setup's servers
// send to the sandbox). A gateway's error page after the request makes the
// messages in doubt — resolved from the monitor by resending them; 503s
// for every message rest the provider — the monitor says so at the top,
// Home lists it, and the messages go once it answers again.

type Mode = 'ok' | 'down' | 'gateway';

/** SMSAPI is the provider's peer: it answers as its mode says and keeps
 * the number each request was for. */
class SMSAPI {
  mode: Mode = 'ok';
  readonly to: string[] = [];
  private sent = 0;
  readonly http: HTTPServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const to = new URLSearchParams(body).get('To') ?? '';
      this.to.push(to);
      if (this.mode === 'down') {
        res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 20003, message: 'Service unavailable' }));
      } else if (this.mode === 'gateway') {
        // A proxy's page: nothing says whether the API created the message.
        res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body>Bad gateway</body></html>');
      } else {
        this.sent++;
        res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ sid: `SM${String(this.sent).padStart(32, '0')}`, status: 'queued' }));
      }
    });
  });
  url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }
}

interface Worker extends StoreOption {
  sms: { api: SMSAPI; server: Server };
}

// One SMS API and one server per store, for this file's tests.
const test = base.extend<object, Worker>({
  sms: [
    async ({ store }, use) => {
      const api = new SMSAPI();
      await new Promise<void>((ok) => api.http.listen(0, '127.0.0.1', ok));
      const dir = mkdtempSync(join(tmpdir(), 'fanfare-e2e-sms-'));
      const database = `fanfare_e2e_sms_${process.pid}`;
      if (store === 'postgres') {
        psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        psql(`CREATE DATABASE ${database}`);
      }
      const started = await start({
        bin: servers()[store].bin,
        kind: store,
        dir,
        customers: 200,
        databaseURL: store === 'postgres' ? withDatabase(pgAdmin, database) : undefined,
        args: ['--sms-provider', 'twilio'],
        env: { FANFARE_SMS_BASE_URL: api.url(), FANFARE_SMS_ACCOUNT_SID: 'AC0123456789abcdef', FANFARE_SMS_AUTH_TOKEN: 'e2e-secret', FANFARE_SMS_FROM: 'Fanfare' },
      });
      await use({ api, server: started.server });
      await stop(started.child);
      await new Promise((ok) => api.http.close(ok));
      if (store === 'postgres') psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      rmSync(dir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  server: async ({ sms }, use) => {
    await use(sms.server);
  },
});

interface Figures {
  activity: string;
  targeted: number;
  sent: number;
  excluded: number;
  in_doubt: number;
  pending: number;
  pending_by_reason?: Record<string, number>;
}

/** smsCampaign is a campaign sending an SMS to the customers of query. */
function smsCampaign(name: string, query: string): string {
  return `name: ${name}
dimension: customers
activities:
  start: {type: start}
  picked: {type: build_audience, query: '${query}'}
  text: {type: sms, text: 'Hi {{ profile.first_name }}, 20% off today'}
transitions:
  - start -> picked
  - picked -> text
`;
}

async function figures(request: APIRequestContext, run: number): Promise<Figures> {
  const res = await request.get(`/api/runs/${run}/delivery`);
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { channels: Figures[] }).channels.find((f) => f.activity === 'text')!;
}

test('messages in doubt after a gateway error: the monitor says so, and resending them from it sends each', async ({ page, signIn, sms, consoleErrors }) => {
  await signIn();
  const name = `e2e-doubt-${Date.now().toString(36)}`;
  // Three messages: fewer than a provider's failing window, so the
  // provider does not rest (docs/delivery.md) and the resend goes at once.
  await publish(page.request, name, smsCampaign(name, 'customer_id <= 3 and phone is not null'));
  sms.api.mode = 'gateway';
  const asked = sms.api.to.length;
  const id = await startLive(page, name);

  const why = page.getByRole('region', { name: 'Why messages are not going out' });
  await expect(why.getByText(/^Outcome unknown for \d+ messages?$/)).toBeVisible({ timeout: 60_000 });
  const doubt = await figures(page.request, id);
  expect(doubt.in_doubt, JSON.stringify(doubt)).toBeGreaterThan(0);
  expect(doubt.in_doubt + doubt.excluded, JSON.stringify(doubt)).toBe(doubt.targeted);
  const first = sms.api.to.slice(asked);
  expect(first).toHaveLength(doubt.in_doubt);
  const card = page.locator('[data-delivery="text"]');
  await expect(card.locator('[data-figure="inDoubt"]')).toHaveText(String(doubt.in_doubt));
  await expect(card.getByRole('table', { name: 'In doubt by reason' })).toContainText('status 502 without an API error reply');

  // Resent: the API answers now; each number is asked for a second time.
  sms.api.mode = 'ok';
  await card.getByRole('button', { name: `Resolve ${doubt.in_doubt} in doubt` }).click();
  const dialog = page.getByRole('dialog', { name: 'In-doubt messages of text' });
  await expect(dialog).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Resend' }).click();
  await expect(dialog).toBeHidden();
  await expect(card.locator('[data-figure="sent"]')).toHaveText(String(doubt.in_doubt), { timeout: 60_000 });
  await expect(card.locator('[data-figure="inDoubt"]')).toHaveCount(0);
  await expect(why.getByText(/^Outcome unknown/)).toHaveCount(0);
  const after = await figures(page.request, id);
  expect(after.sent + after.excluded, JSON.stringify(after)).toBe(after.targeted);
  expect(sms.api.to.slice(asked).sort()).toEqual([...first, ...first].sort());
  expect(consoleErrors).toEqual([]);
});

test('a provider failing every message rests: the monitor and Home say so, and the messages go once it answers', async ({ page, signIn, sms, consoleErrors }) => {
  test.setTimeout(240_000);
  await signIn();
  const name = `e2e-resting-${Date.now().toString(36)}`;
  await publish(page.request, name, smsCampaign(name, 'customer_id <= 20 and phone is not null'));
  sms.api.mode = 'down';
  const id = await startLive(page, name);

  const why = page.getByRole('region', { name: 'Why messages are not going out' });
  await expect(why.getByText('Waiting: the provider is resting')).toBeVisible({ timeout: 60_000 });
  const resting = await figures(page.request, id);
  const waiting = resting.pending_by_reason?.provider_unavailable ?? 0;
  expect(waiting, JSON.stringify(resting)).toBeGreaterThan(0);
  await expect(why.getByText(`${waiting.toLocaleString('en-US')} messages of text wait: the provider failed and is tried again shortly.`)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto('/');
  await expect(page.getByRole('alert').filter({ hasText: 'Providers resting after failures' })).toContainText('sms');

  // It answers again: the next try after its rest sends every message.
  sms.api.mode = 'ok';
  await page.goto(`/runs/${id}`);
  const card = page.locator('[data-delivery="text"]');
  await expect(card.locator('[data-figure="sent"]')).toHaveText(String(resting.targeted - resting.excluded), { timeout: 150_000 });
  await expect(why.getByText('Waiting: the provider is resting')).toHaveCount(0);
  const after = await figures(page.request, id);
  expect(after.sent + after.excluded, JSON.stringify(after)).toBe(after.targeted);
  expect(consoleErrors).toEqual([]);
});
