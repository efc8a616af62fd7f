import { lazy } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { Shell } from './layout/Shell';
import { Home } from './pages/Home';
import { NotFound } from './pages/NotFound';
import { SignIn } from './pages/SignIn';
import { RequireSession } from './session/RequireSession';

// The builder (its pickers, the chart) loads when first opened: the first
// load stays small.
const AudienceBuilder = lazy(() => import('./audiences/AudienceBuilder').then((m) => ({ default: m.AudienceBuilder })));
// So do the other pages with forms and tables (the imports' dropzone, the
// messages, the settings).
const Imports = lazy(() => import('./imports/Imports').then((m) => ({ default: m.Imports })));
const Messages = lazy(() => import('./pages/Messages').then((m) => ({ default: m.Messages })));
const Settings = lazy(() => import('./pages/Settings').then((m) => ({ default: m.Settings })));
const MessagePage = lazy(() => import('./messages/MessagePage').then((m) => ({ default: m.MessagePage })));
// The data model's page (its diagram, the apply flow, the versions) and
// the audiences' pages (one audience's versions, append, export, delete) too.
const Data = lazy(() => import('./pages/Data').then((m) => ({ default: m.Data })));
const AudienceList = lazy(() => import('./audiences/AudienceList').then((m) => ({ default: m.AudienceList })));
const AudienceDetail = lazy(() => import('./audiences/AudienceDetail').then((m) => ({ default: m.AudienceDetail })));
// The campaigns: their list, one campaign's page, the canvas (React Flow,
// CodeMirror: the heaviest pages) and a run's live monitor.
const CampaignList = lazy(() => import('./campaigns/CampaignList').then((m) => ({ default: m.CampaignList })));
const CampaignPage = lazy(() => import('./campaigns/CampaignPage').then((m) => ({ default: m.CampaignPage })));
const CampaignCanvas = lazy(() => import('./campaigns/canvas/CampaignCanvas').then((m) => ({ default: m.CampaignCanvas })));
const RunReport = lazy(() => import('./runs/RunReport').then((m) => ({ default: m.RunReport })));
const CampaignReport = lazy(() => import('./campaigns/report/CampaignReport').then((m) => ({ default: m.CampaignReport })));
const RunMonitor = lazy(() => import('./runs/RunMonitor').then((m) => ({ default: m.RunMonitor })));
const ImportDetail = lazy(() => import('./imports/ImportDetail').then((m) => ({ default: m.ImportDetail })));

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
      { path: 'data', element: <Data /> },
      { path: 'data/imports', element: <Imports /> },
      { path: 'data/imports/:id', element: <ImportDetail /> },
      { path: 'audiences', element: <AudienceList /> },
      { path: 'audiences/new', element: <AudienceBuilder /> },
      { path: 'audiences/:name', element: <AudienceDetail /> },
      { path: 'campaigns', element: <CampaignList /> },
      { path: 'campaigns/:name', element: <CampaignPage /> },
      { path: 'campaigns/:name/edit', element: <CampaignCanvas /> },
      { path: 'campaigns/:name/report', element: <CampaignReport /> },
      { path: 'runs/:id', element: <RunMonitor /> },
      { path: 'runs/:id/report', element: <RunReport /> },
      { path: 'messages', element: <Messages /> },
      { path: 'messages/:id', element: <MessagePage /> },
      { path: 'settings', element: <Settings /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

export function App() {
  return <RouterProvider router={router} />;
}
