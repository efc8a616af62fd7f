// The console's messages live in the catalogs beside this file, one per
// language, with the same keys (scripts/check-catalogs.mjs). The language
// follows the browser until the user picks one (kept in local storage:
// only a pick is kept, so that until then a change of the browser's
// language shows at the next load).
import i18n from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import fr from './fr.json';

export const languages = ['en', 'fr'] as const;
export type Language = (typeof languages)[number];
const languageKey = 'fanfare.language';

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en }, fr: { translation: fr } },
    supportedLngs: languages,
    nonExplicitSupportedLngs: true,
    fallbackLng: 'en',
    interpolation: { escapeValue: false }, // React escapes
    // Components show times too: a change of the display zone
    // (prefs/timeZone.ts) renders them again as a language change does.
    react: { bindI18n: 'languageChanged timeZoneChanged' },
    detection: {
      order: ['localStorage', 'navigator'],
      lookupLocalStorage: languageKey,
      caches: [],
    },
  });

function setDocumentLanguage(lng: string) {
  document.documentElement.lang = lng;
}
setDocumentLanguage(i18n.resolvedLanguage ?? 'en');
i18n.on('languageChanged', () => setDocumentLanguage(i18n.resolvedLanguage ?? 'en'));

/** currentLanguage is the catalog in use: one of languages. */
export function currentLanguage(): Language {
  return i18n.resolvedLanguage === 'fr' ? 'fr' : 'en';
}

/** chooseLanguage switches the console to lng and keeps the pick. */
export function chooseLanguage(lng: Language) {
  try {
    localStorage.setItem(languageKey, lng);
  } catch {
    // storage refused: the pick lasts until the page reloads
  }
  void i18n.changeLanguage(lng);
}

export default i18n;
