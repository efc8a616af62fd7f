import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/** seriousViolations runs axe-core on the page as it is (an open dialog
 * included; an email's sandboxed frame left out) and answers its serious and critical violations, each with
 * where it is; the browser tests expect none. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // An email's own HTML (a message's page shows it in a sandboxed frame,
  // no script allowed) is its author's, not the console's; and axe cannot
  // run in a frame that allows no script: it waited on it forever.
  const result = await new AxeBuilder({ page }).exclude('iframe[sandbox]').analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(' '));
      if (v.nodes.length > 3) where.push(`and ${v.nodes.length - 3} more`);
      return `${v.impact} ${v.id} on ${page.url()}: ${v.help} — ${where.join(', ')}`;
    });
}
