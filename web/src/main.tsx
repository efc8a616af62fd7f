import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './i18n';
import { Badge, createTheme, type CSSVariablesResolver, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';

// Every text meets WCAG AA contrast (axe's color-contrast, checked by the
// browser tests): the primary colour one shade darker than Mantine's
// default, text on a filled colour chosen black or white by its
// luminance, and dimmed text a darker grey.
// A light badge (a status on its colour's tint) writes in near black: its
// colour's own shade on the tint is under 4.5:1 for green, yellow, red.
// Animations (notifications sliding in, dialogs fading) are left out for
// whoever asks the system for reduced motion (and in the browser tests,
// which ask it, so that axe never measures a half-faded colour).
const theme = createTheme({
  respectReducedMotion: true,
  primaryColor: 'indigo',
  primaryShade: 8,
  autoContrast: true,
  components: {
    Badge: Badge.extend({
      styles: (_theme, props) => (props.variant === 'light' ? { root: { color: 'var(--mantine-color-dark-9)' } } : {}),
    }),
  },
});

const contrast: CSSVariablesResolver = () => ({
  variables: {},
  // Mantine's error red (red 6, 3.3:1 on white) fails AA; red 9 reads at
  // 5.2:1 even on a filled fieldset's grey (an iOS option's problem).
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)', '--mantine-color-error': 'var(--mantine-color-red-9)' },
  dark: {},
});

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx is an answer, not a glitch: retry only what may pass later.
      retry: (failures, error) => failures < 2 && !(error && 'status' in error && Number(error.status) < 500),
      refetchOnWindowFocus: false,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={contrast} defaultColorScheme="light">
      <Notifications />
      <QueryClientProvider client={queries}>
        <App />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
