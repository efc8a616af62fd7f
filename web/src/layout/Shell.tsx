import { Anchor, AppShell, Burger, Button, Group, Loader, NavLink, SegmentedControl, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { signOut } from '../api/session';
import { chooseLanguage, currentLanguage, languages } from '../i18n';
import classes from './Shell.module.css';

interface Section {
  to: string;
  key: string;
  children?: readonly { to: string; key: string }[];
}

const sections: readonly Section[] = [
  { to: '/', key: 'nav.home' },
  {
    to: '/data',
    key: 'nav.data',
    children: [
      { to: '/data', key: 'nav.model' },
      { to: '/data/imports', key: 'nav.imports' },
    ],
  },
  { to: '/audiences', key: 'nav.audiences' },
  { to: '/campaigns', key: 'nav.campaigns' },
  { to: '/messages', key: 'nav.messages' },
  { to: '/settings', key: 'nav.settings' },
];

/** LanguageSwitch changes the console's language (kept for next time;
 * until then it follows the browser's). */
export function LanguageSwitch() {
  const { t } = useTranslation();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('language.label')}
      value={currentLanguage()}
      onChange={(lng) => chooseLanguage(lng === 'fr' ? 'fr' : 'en')}
      data={languages.map((lng) => ({ value: lng, label: t(`language.${lng}`) }))}
    />
  );
}

/** Shell is the frame of every signed-in page: the header, the left
 * navigation and the page. */
export function Shell() {
  const { t } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  const client = useQueryClient();

  const leave = async () => {
    await signOut();
    client.clear();
    navigate('/sign-in?reason=signed-out', { replace: true });
  };
  const active = (to: string) => (to === '/' ? location.pathname === '/' : location.pathname === to || location.pathname.startsWith(`${to}/`));
  // Of a section's pages, the one of the longest address that holds this one.
  const activeChild = (s: Section) =>
    s.children
      ?.filter((c) => active(c.to))
      .sort((a, b) => b.to.length - a.to.length)[0]?.to;

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        {/* The first stop of the Tab key: past the header and the
            navigation to the page itself. */}
        <Anchor
          href="#main"
          className={classes.skip}
          onClick={(e) => {
            e.preventDefault();
            document.getElementById('main')?.focus();
          }}
        >
          {t('prefs.skip')}
        </Anchor>
        <Group h="100%" px="md" justify="space-between">
          <Group>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('nav.toggle')} />
            <Title order={1} size="h3">
              {t('app.name')}
            </Title>
          </Group>
          <Group>
            <LanguageSwitch />
            <Button variant="subtle" onClick={() => void leave()}>
              {t('session.signOut')}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label={t('nav.label')}>
        {sections.map((s) => (
          <NavLink
            key={s.to}
            component={Link}
            to={s.to}
            label={t(s.key)}
            active={active(s.to) && !s.children}
            aria-current={active(s.to) && !s.children ? 'page' : undefined}
            opened={s.children ? active(s.to) : undefined}
            onClick={s.children ? undefined : close}
          >
            {s.children?.map((c) => (
              <NavLink
                key={c.to}
                component={Link}
                to={c.to}
                label={t(c.key)}
                active={activeChild(s) === c.to}
                aria-current={activeChild(s) === c.to ? 'page' : undefined}
                onClick={close}
              />
            ))}
          </NavLink>
        ))}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1} className={classes.main}>
        <Suspense fallback={<Loader size="sm" aria-label={t('app.loading')} />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
