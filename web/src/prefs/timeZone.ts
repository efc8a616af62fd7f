// The time zone the console shows times in: the browser's until the user
// picks another (UTC or any IANA zone), kept in local storage like the
// language. A change is announced on i18next's emitter, which every
// useTranslation listens to (see i18n/index.ts), so every time on the
// page is shown again in the new zone.
import i18n from '../i18n';

const storageKey = 'fanfare.timeZone';

/** The choice that follows the browser's zone. */
export const browserChoice = 'browser';

/** The event emitted on i18n when the zone changes. */
export const timeZoneChanged = 'timeZoneChanged';

/** browserTimeZone is the zone the browser runs in (e.g. Europe/Paris). */
export function browserTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function valid(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function stored(): string | null {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

let current = ((z) => (z && valid(z) ? z : browserChoice))(stored());

/** timeZoneChoice is what the user picked: browserChoice or a zone. */
export function timeZoneChoice(): string {
  return current;
}

/** displayTimeZone is the zone times are shown in. */
export function displayTimeZone(): string {
  const c = timeZoneChoice();
  return c === browserChoice ? browserTimeZone() : c;
}

/** chooseTimeZone keeps the user's pick and shows every time again. */
export function chooseTimeZone(choice: string) {
  if (choice !== browserChoice && !valid(choice)) return;
  current = choice;
  try {
    if (choice === browserChoice) localStorage.removeItem(storageKey);
    else localStorage.setItem(storageKey, choice);
  } catch {
    // storage refused (private mode): the choice lasts until the page reloads
  }
  i18n.emit(timeZoneChanged, choice);
}

/** timeZones lists UTC and every zone the browser knows, by name. */
export function timeZones(): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...all.filter((z) => z !== 'UTC')];
}
