// Numbers and times in the user's language. Times are shown in the
// browser's time zone, named with each time.
import i18n from './i18n';

export function formatCount(n: number): string {
  return new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en').format(n);
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(i18n.resolvedLanguage ?? 'en', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(d);
}
