import { defineConfig } from '@playwright/test';
import type { StoreOption } from './e2e/servers';

// End-to-end tests of the console against a real `fanfare serve --demo`,
// once on the embedded store and once on PostgreSQL (e2e/global-setup.ts
// starts both). Debian's Chromium, never a downloaded browser; one worker,
// no retries (a flake shows), waits on expectations, never on sleeps.
// Run with `make e2e` (docs/console.md).
const chromium = process.env.FANFARE_E2E_CHROMIUM || '/usr/lib/chromium/chromium';

export default defineConfig<StoreOption>({
  testDir: './e2e',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  retries: 0,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  // Generous for a loaded 2-core machine (a test took 41 s under a load
  // average of 18), but a hang still ends.
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  outputDir: process.env.FANFARE_E2E_OUTPUT || '/tmp/fanfare-e2e-results',
  use: {
    browserName: 'chromium',
    headless: true,
    locale: 'en-US',
    timezoneId: 'UTC',
    // Mantine leaves its animations out (theme.respectReducedMotion): axe
    // measures colours as they end, not half faded in.
    reducedMotion: 'reduce',
    launchOptions: {
      executablePath: chromium,
      // The network is closed: without these Chromium can hang on its
      // background fetches.
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    },
    trace: 'retain-on-failure',
  },
  projects: [
    { name: 'embedded', use: { store: 'embedded' } },
    { name: 'postgres', use: { store: 'postgres' } },
  ],
});
