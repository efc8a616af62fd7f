import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/** seriousViolations runs axe-core on the page as it is (an open dialog
 * included) and answers its serious and critical violations, each with
 * where it is; the browser tests expect none. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(' '));
      if (v.nodes.length > 3) where.push(`and ${v.nodes.length - 3} more`);
      return `${v.impact} ${v.id} on ${page.url()}: ${v.help} — ${where.join(', ')}`;
    });
}
