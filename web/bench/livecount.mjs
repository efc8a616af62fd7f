// The live count's latency in the browser, over a scripted editing
// session (issue 15's benchmark), and the console's first load.
//
//   node bench/livecount.mjs <server URL> <API token> [edits]
//
// run by `make bench-ui` against `fanfare serve` on the demo data (1M
// customers by default). Each edit replaces the builder's query text with
// a variant of `make bench`'s two-hop or 365-day-aggregate query, then
// waits until the count asked after it is painted (the builder reads the
// text into its rule tree, then counts the tree). For each edit it
// records, in the page's own clock:
//   - request → painted: from the count request leaving the browser (the
//     fetch call) to the first animation frame that shows its count, no
//     longer greyed (what the target is about);
//   - server: the query's own time as the API reports it (millis);
//   - edit → painted: from the keystroke, so with the debounce.
// It prints p50 and p95 of each, per query and overall, as JSON.
import { readFileSync } from 'node:fs';
import { chromium } from '@playwright/test';

const [url, token, editsArg] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node bench/livecount.mjs <server URL> <API token> [edits]');
  process.exit(2);
}
const edits = Number(editsArg ?? 50);
const executablePath = process.env.FANFARE_E2E_CHROMIUM || '/usr/bin/chromium';

// Variants of the two queries: each edit changes a threshold or a window,
// as a marketer tuning the audience would, so no two consecutive texts are
// the same and each needs a real count.
function variant(i) {
  const k = Math.floor(i / 2);
  if (i % 2 === 0) {
    return `count(purchases where product.category = "fashion" and purchased_at within last ${60 + k}d) >= ${2 + (k % 3)}`;
  }
  return `sum(purchases.amount where purchased_at within last ${300 + k}d) > ${400 + 10 * k}`;
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

function summary(xs) {
  return { n: xs.length, p50: Math.round(quantile(xs, 0.5)), p95: Math.round(quantile(xs, 0.95)), max: Math.round(Math.max(...xs)) };
}

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
});
try {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();

  // First load: a cold cache (new context), the home page signed in.
  const res = await page.request.post('/api/session', { data: { token } });
  if (res.status() !== 200) throw new Error(`sign-in: ${res.status()} ${await res.text()}`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let wire = 0;
  cdp.on('Network.loadingFinished', (e) => (wire += e.encodedDataLength));
  await page.goto('/');
  await page.getByRole('heading', { level: 2, name: 'Home' }).waitFor();
  const firstLoad = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return { domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd), loadMs: Math.round(nav.loadEventEnd), interactiveMs: Math.round(performance.now()) };
  });
  firstLoad.bytesOnTheWire = wire;

  // Every count request's start, end and answer, in the page's clock.
  await page.addInitScript(() => {
    const calls = [];
    window.__counts = calls;
    const orig = window.fetch;
    window.fetch = async (input, init) => {
      const u = typeof input === 'string' ? input : input.url;
      if (!u.includes('/api/audiences/count')) return orig(input, init);
      const req = input instanceof Request ? input.clone() : null;
      const body = init?.body ?? (req ? await req.text() : undefined);
      const call = { start: performance.now(), body, aborted: false };
      calls.push(call);
      try {
        const r = await orig(input, init);
        const data = await r.clone().json();
        call.end = performance.now();
        call.count = data.count;
        call.millis = data.millis;
        return r;
      } catch (e) {
        call.aborted = true;
        throw e;
      }
    };
  });
  await page.goto('/audiences/new');
  const box = page.getByRole('textbox', { name: 'Query' });
  await box.waitFor();
  // The empty tree's text first, so that the first edit replaces it.
  for (let i = 0; i < 400 && (await box.inputValue()) !== 'all'; i++) await page.waitForTimeout(50);

  const rows = [];
  for (let i = 0; i < edits; i++) {
    const text = variant(i);
    const editAt = await page.evaluate(() => performance.now());
    await box.fill(text);
    // Wait, frame by frame, until the count of this text is painted.
    // The builder reads the text into its rule tree (POST
    // /api/audiences/validate), then counts the tree: the count asked
    // after this edit, once painted, is this edit's.
    const r = await page.evaluate(
      (after) =>
        new Promise((resolve) => {
          const check = () => {
            const call = [...window.__counts].reverse().find((c) => c.start > after && c.end !== undefined && !c.aborted);
            const el = document.querySelector('[data-testid="live-count"]');
            if (call && el && getComputedStyle(el).opacity === '1' && el.textContent.replace(/\D/g, '') === String(call.count)) {
              resolve({ painted: performance.now(), start: call.start, end: call.end, millis: call.millis, count: call.count });
              return;
            }
            requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        }),
      editAt,
    );
    rows.push({ query: i % 2 === 0 ? 'two_hop_count' : 'aggregate_365d', requestToPaint: r.painted - r.start, server: r.millis, editToPaint: r.painted - editAt, count: r.count });
  }

  const byQuery = {};
  for (const name of ['two_hop_count', 'aggregate_365d', 'all']) {
    const xs = rows.filter((r) => name === 'all' || r.query === name);
    byQuery[name] = {
      requestToPaintMs: summary(xs.map((r) => r.requestToPaint)),
      serverMs: summary(xs.map((r) => r.server)),
      editToPaintMs: summary(xs.map((r) => r.editToPaint)),
    };
  }
  // The debounce the builder uses, from its source (the build minifies it).
  const source = readFileSync(new URL('../src/audiences/useLiveCount.ts', import.meta.url), 'utf8');
  const debounce = Number(/DEBOUNCE_MS = (\d+)/.exec(source)?.[1]);
  console.log(JSON.stringify({ edits, debounceMs: debounce, firstLoad, byQuery }, null, 2));
} finally {
  await browser.close();
}
