import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** useTitle names the browser tab after the page (history and bookmarks
 * read it too). */
export function useTitle(page: string) {
  const { t } = useTranslation();
  const app = t('app.name');
  useEffect(() => {
    document.title = page ? `${page} · ${app}` : app;
  }, [page, app]);
}
