// Numbers and times in the user's language. Times are shown in the zone
// the user picked (the browser's by default; prefs/timeZone.ts), named
// with each time.
import i18n from './i18n';
import { displayTimeZone } from './prefs/timeZone';

export function formatCount(n: number): string {
  return new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en').format(n);
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(i18n.resolvedLanguage ?? 'en', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: displayTimeZone() }).format(d);
}

const byteUnits = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** formatBytes says a size in the largest unit under 1024 of it (1.5 MB). */
export function formatBytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < byteUnits.length - 1) {
    v /= 1024;
    i++;
  }
  return new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en', { style: 'unit', unit: byteUnits[i], unitDisplay: i === 0 ? 'long' : 'short', maximumFractionDigits: i === 0 ? 0 : 1 }).format(v);
}

/** formatPercent says a fraction (0–1) as a percentage. */
export function formatPercent(f: number): string {
  return new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en', { style: 'percent', maximumFractionDigits: 0 }).format(f);
}

/** formatDecimal says a number with at most digits decimals. */
export function formatDecimal(n: number, digits: number): string {
  return new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en', { maximumFractionDigits: digits }).format(n);
}
