import { lazy } from 'react';
import { useTranslation } from 'react-i18next';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { AudienceDetail } from './audiences/AudienceDetail';
import { AudienceList } from './audiences/AudienceList';
import { Shell } from './layout/Shell';
import { Home } from './pages/Home';
import { NotFound } from './pages/NotFound';
import { Placeholder } from './pages/Placeholder';
import { Settings } from './pages/Settings';
import { SignIn } from './pages/SignIn';
import { RequireSession } from './session/RequireSession';

// The builder (its pickers, the chart) loads when first opened: the first
// load stays small.
const AudienceBuilder = lazy(() => import('./audiences/AudienceBuilder').then((m) => ({ default: m.AudienceBuilder })));

function Soon({ section }: { section: 'data' | 'campaigns' | 'messages' }) {
  const { t } = useTranslation();
  return <Placeholder title={t(`${section}.title`)} text={t(`${section}.soon`)} />;
}

// Every page has its own address (shareable, back and forward work); the
// server answers index.html for each of them (internal/console).
const router = createBrowserRouter([
  { path: '/sign-in', element: <SignIn /> },
  {
    element: (
      <RequireSession>
        <Shell />
      </RequireSession>
    ),
    children: [
      { index: true, element: <Home /> },
      { path: 'data/*', element: <Soon section="data" /> },
      { path: 'audiences', element: <AudienceList /> },
      { path: 'audiences/new', element: <AudienceBuilder /> },
      { path: 'audiences/:name', element: <AudienceDetail /> },
      { path: 'campaigns/*', element: <Soon section="campaigns" /> },
      { path: 'messages/*', element: <Soon section="messages" /> },
      { path: 'settings', element: <Settings /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

export function App() {
  return <RouterProvider router={router} />;
}
