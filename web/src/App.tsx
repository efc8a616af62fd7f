import { useTranslation } from 'react-i18next';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { Shell } from './layout/Shell';
import { Home } from './pages/Home';
import { NotFound } from './pages/NotFound';
import { Placeholder } from './pages/Placeholder';
import { Settings } from './pages/Settings';
import { SignIn } from './pages/SignIn';
import { RequireSession } from './session/RequireSession';

function Soon({ section }: { section: 'data' | 'audiences' | 'campaigns' | 'messages' }) {
  const { t } = useTranslation();
  return <Placeholder title={t(`${section}.title`)} text={t(section === 'audiences' ? 'audiences.empty' : `${section}.soon`)} />;
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
      { path: 'audiences/*', element: <Soon section="audiences" /> },
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
