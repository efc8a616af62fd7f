import { Alert, Box, Button, Group, List, Loader, Paper, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery } from '@tanstack/react-query';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { lazy, Suspense, useCallback, useMemo, useState, type ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router';
import { api, errorMessage, must } from '../../api/client';
import { useRunWatch } from '../../runs/useRunWatch';
import { useTitle } from '../../useTitle';
import type { Activity, CampaignDoc, Transition } from '../doc';
import { CampaignSettings } from '../panel/CampaignSettings';
import { ActivityPanel as Panel } from '../panel/ActivityPanel';
import type { ActivityNodeType } from './ActivityNode';
import { getDraft, problemsOf, publish, saveDraft, simulate, type CampaignProblem, type Draft } from './draftApi';
import { EdgeDrawer } from './EdgeDrawer';
import { edgeKey, Graph, type Choice, type RunView } from './Graph';
import { autoLayout, NODE_HEIGHT, NODE_WIDTH, positions } from './layout';
import { addActivity, parseDoc, removeActivities, rename, serialize, type ActivityType } from './model';
import { Palette } from './Palette';
import { ProblemList } from './ProblemList';
import { Toolbar, type View } from './Toolbar';
import { useDraft } from './useDraft';
import { useHistory } from './useHistory';
import { useProblems } from './useProblems';

const TextView = lazy(() => import('./TextView'));

/** The side panel's props (H3's ActivityPanel, panel/ActivityPanel.tsx). */
interface ActivityPanelProps {
  campaign: string;
  id: string;
  doc: CampaignDoc;
  types: ActivityType[];
  problems: CampaignProblem[];
  onChange(next: Activity): void;
  onRename(newId: string): void;
  runId?: number;
}
const ActivityPanel = Panel as unknown as ComponentType<ActivityPanelProps>;

/** CampaignCanvas edits a campaign's document (/campaigns/:name/edit): the
 * graph, its YAML, the selected activity's panel, the problems; the draft
 * autosaves, and the campaign can be saved, published and simulated with
 * counts on every edge. */
export function CampaignCanvas() {
  const { name = '' } = useParams();
  return (
    <ReactFlowProvider>
      <Loader_ key={name} name={name} />
    </ReactFlowProvider>
  );
}

/** Loader reads the activity types and the draft, then opens the editor. */
function Loader_({ name }: { name: string }) {
  const { t } = useTranslation();
  useTitle(t('canvas.title', { name }));
  const types = useQuery({
    queryKey: ['activity-types'],
    queryFn: async ({ signal }) => must(await api.GET('/api/activity-types', { signal })).types ?? [],
    staleTime: Infinity,
  });
  const draftQ = useQuery({ queryKey: ['campaign-draft', name], queryFn: () => getDraft(name), staleTime: Infinity, gcTime: 0, refetchOnWindowFocus: false });
  const error = draftQ.error ?? types.error;
  if (error) return <Alert color="red">{t('canvas.loadFailed', { message: error.message })}</Alert>;
  if (!draftQ.data || !types.data) return <Loader aria-label={t('app.loading')} />;
  return <Editor name={name} initial={draftQ.data} types={types.data as ActivityType[]} />;
}

function Editor({ name, initial, types }: { name: string; initial: Draft; types: ActivityType[] }) {
  const { t } = useTranslation();
  const flow = useReactFlow<ActivityNodeType>();
  const typeMap = useMemo(() => new Map(types.map((ty) => [ty.type, ty])), [types]);
  const campaign = useQuery({
    queryKey: ['campaign', name],
    queryFn: async ({ signal }) => {
      const r = await api.GET('/api/campaigns/{name}', { params: { path: { name } }, signal });
      return r.response.status === 404 ? null : must(r);
    },
  });

  // The draft is compared with the published version (what runs), else
  // with the latest saved one.
  const published = campaign.data?.published_version;
  const publishedDoc = useQuery({
    queryKey: ['campaign-version', name, published],
    queryFn: async ({ signal }) => must(await api.GET('/api/campaigns/{name}/versions/{version}', { params: { path: { name, version: published ?? 0 } }, signal })),
    enabled: !!published,
  });

  const history = useHistory(initial.document);
  const text = history.text;
  const draft = useDraft(name, text, initial);
  const { set: setText } = history;

  // The graph shows the last text that parsed while the text does not.
  const parsed = useMemo(() => parseDoc(text), [text]);
  const [lastDoc, setLastDoc] = useState<CampaignDoc | undefined>(parsed.doc);
  if (parsed.doc && parsed.doc !== lastDoc) setLastDoc(parsed.doc);
  const doc = parsed.doc ?? lastDoc;

  const validation = useProblems(text);
  const problems = validation.problems;
  const problemCount = useMemo(() => {
    const m = new Map<string, number>();
    for (const p of problems) if (p.activity) m.set(p.activity, (m.get(p.activity) ?? 0) + 1);
    return m;
  }, [problems]);

  const [view, setView] = useState<View>('canvas');
  // ?select=<activity> opens with that activity selected (send to these
  // opens its channel activity so).
  const [params] = useSearchParams();
  const [selected, setSelectedState] = useState<string[]>(() => {
    const id = params.get('select');
    return id ? [id] : [];
  });
  const onSelect = useCallback((ids: string[]) => setSelectedState((prev) => (prev.join() === ids.join() ? prev : ids)), []);
  const [choice, setChoice] = useState<Choice | undefined>();
  // A selection asked for: shown at once in the panel, and on the canvas.
  const setSelected = useCallback(
    (ids: string[]) => {
      onSelect(ids);
      setChoice((c) => ({ ids, n: (c?.n ?? 0) + 1 }));
    },
    [onSelect],
  );
  const [refused, setRefused] = useState<{ title: string; problems?: CampaignProblem[]; message?: string } | undefined>();
  const [busy, setBusy] = useState<'save' | 'publish' | 'simulate' | undefined>();
  // ?run=<id> shows a run on the canvas (the monitor links so): its
  // activities' states and its edges' counts, live.
  const [runId, setRunId] = useState<number | undefined>(() => Number(params.get('run')) || undefined);
  const [edge, setEdge] = useState<Transition | undefined>();
  const watch = useRunWatch(runId ?? 0);

  const edit = useCallback((next: CampaignDoc) => setText(serialize(next)), [setText]);
  const editText = useCallback((next: string) => setText(next, 'text'), [setText]);
  const onError = useCallback((key: string) => notifications.show({ color: 'orange', message: t(key) }), [t]);

  const pick = useCallback(
    (id: string) => {
      setView('canvas');
      setSelected([id]);
      const n = flow.getNode(id);
      if (n) flow.setCenter(n.position.x + (n.measured?.width ?? 190) / 2, n.position.y + (n.measured?.height ?? 72) / 2, { zoom: Math.max(flow.getZoom(), 1), duration: 200 });
    },
    [flow, setSelected],
  );

  const addAtCentre = useCallback(
    (type: string) => {
      if (!doc) return;
      const box = document.querySelector('.react-flow')?.getBoundingClientRect();
      const p = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
      // Below the activities already there, not on top of one.
      const taken = Object.values(positions(doc));
      while (taken.some((q) => Math.abs(q.x - p.x) < NODE_WIDTH && Math.abs(q.y - p.y) < NODE_HEIGHT + 10)) p.y += NODE_HEIGHT + 20;
      const added = addActivity(doc, type, p);
      edit(added.doc);
      setSelected([added.id]);
    },
    [doc, flow, edit, setSelected],
  );

  const tidy = useCallback(() => {
    if (!doc) return;
    edit({ ...doc, layout: autoLayout(doc) });
    window.requestAnimationFrame(() => flow.fitView({ duration: 200 }));
  }, [doc, edit, flow]);

  const onImport = useCallback(
    async (file: File | null) => {
      if (!file) return;
      setText(await file.text());
    },
    [setText],
  );
  const onExport = useCallback(() => {
    const url = URL.createObjectURL(new Blob([history.text], { type: 'application/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}.yaml`;
    a.click();
    URL.revokeObjectURL(url);
  }, [history.text, name]);

  // A version from the draft: saved first, then made (when there is one).
  const saveVersion = useCallback(async () => {
    await draft.flush();
    if (draft.rev.current === 0) return;
    const c = await saveDraft(name, draft.rev.current);
    draft.versioned(history.text);
    await campaign.refetch();
    return c;
  }, [draft, name, history.text, campaign]);

  const act = useCallback(
    async (kind: 'save' | 'publish' | 'simulate') => {
      setBusy(kind);
      setRefused(undefined);
      try {
        await saveVersion();
        if (kind === 'publish') {
          await publish(name);
          await campaign.refetch();
          notifications.show({ color: 'green', message: t('canvas.published') });
        } else if (kind === 'simulate') {
          const run = await simulate(name);
          setRunId(run.id);
        } else notifications.show({ color: 'green', message: t('canvas.savedVersion') });
      } catch (err) {
        setRefused({ title: t(`canvas.refused.${kind}`), problems: problemsOf(err), message: errorMessage(err) });
      } finally {
        setBusy(undefined);
      }
    },
    [saveVersion, name, campaign, t],
  );

  const run = useMemo<RunView | undefined>(() => {
    const s = watch.update?.status;
    if (!s) return undefined;
    return {
      states: new Map((s.activities ?? []).map((a) => [a.id, { status: a.status, rowsOut: a.rows_out }])),
      // A transition taken with no rows has no count in the answer: 0.
      counts: new Map((s.transitions ?? []).filter((x) => x.count !== undefined || x.state !== 'pending').map((x) => [edgeKey(x), x.count ?? 0])),
    };
  }, [watch.update]);

  const reloadTheirs = async () => setText(await draft.reloadTheirs());

  const one = selected.length === 1 ? selected[0] : undefined;
  const current = one !== undefined && doc?.activities[one] ? one : undefined;
  const base =
    published && publishedDoc.data?.document !== undefined
      ? { text: publishedDoc.data.document, version: published, published: true }
      : campaign.data?.document && !published
        ? { text: campaign.data.document, version: campaign.data.latest_version, published: false }
        : undefined;

  return (
    <Stack gap="xs" style={{ height: 'calc(100dvh - 56px - 2 * var(--mantine-spacing-md))' }}>
      <Toolbar
        name={name}
        status={draft.status}
        view={view}
        onView={setView}
        canUndo={history.canUndo}
        canRedo={history.canRedo}
        onUndo={history.undo}
        onRedo={history.redo}
        onTidy={tidy}
        onImport={onImport}
        onExport={onExport}
        onSaveVersion={() => act('save')}
        onPublish={() => act('publish')}
        onSimulate={() => act('simulate')}
        busy={busy}
        runId={runId}
      />
      {draft.conflict && (
        <Alert color="orange" title={t('canvas.conflictTitle')} data-testid="conflict">
          <Text size="sm">{draft.conflict}</Text>
          <Group mt="xs">
            <Button size="xs" onClick={reloadTheirs}>
              {t('canvas.reloadTheirs')}
            </Button>
            <Button size="xs" variant="default" onClick={() => draft.overwrite()}>
              {t('canvas.overwrite')}
            </Button>
          </Group>
        </Alert>
      )}
      {draft.error && <Alert color="red">{t('canvas.saveFailed', { message: draft.error })}</Alert>}
      {refused && (
        <Alert color="red" title={refused.title} withCloseButton onClose={() => setRefused(undefined)} closeButtonLabel={t('canvas.close')} data-testid="refused">
          {refused.problems ? (
            <List size="sm">
              {refused.problems.map((p, i) => (
                <List.Item key={i}>{t('canvas.problemAt', { path: p.path, message: p.message })}</List.Item>
              ))}
            </List>
          ) : (
            refused.message
          )}
        </Alert>
      )}
      {watch.error && <Alert color="red">{watch.error}</Alert>}
      <Group gap="xs" align="stretch" wrap="nowrap" style={{ flex: 1, minHeight: 0 }}>
        <Paper withBorder w={170} style={{ flexShrink: 0 }}>
          <Palette types={types} onAdd={addAtCentre} />
        </Paper>
        <Paper withBorder style={{ flex: 1, minWidth: 0, position: 'relative', display: 'flex', flexDirection: 'column' }} aria-label={t('canvas.editor')} component="section">
          {view === 'canvas' && doc && (
            <Box style={{ flex: 1, minHeight: 0 }} data-testid="canvas">
              {parsed.error && (
                <Alert color="orange" py={4} style={{ position: 'absolute', zIndex: 5, left: 8, right: 8, top: 8 }}>
                  {t('canvas.graphBehind')}
                </Alert>
              )}
              <Graph
                doc={doc}
                types={typeMap}
                problemCount={problemCount}
                run={run}
                selected={selected}
                choice={choice}
                onSelect={onSelect}
                onChoose={setSelected}
                onEdit={edit}
                onEdgeOpen={setEdge}
                onUndo={history.undo}
                onRedo={history.redo}
                onError={onError}
              />
            </Box>
          )}
          {view === 'yaml' && (
            <Suspense fallback={<Loader aria-label={t('app.loading')} />}>
              <TextView text={history.text} onChange={editText} parseError={parsed.error} base={base} />
            </Suspense>
          )}
        </Paper>
        {current && doc && (
          <Paper withBorder w={300} p="xs" style={{ flexShrink: 0, overflow: 'auto' }} component="aside" aria-label={t('canvas.panel')} data-testid="side-panel">
            <Group justify="space-between" wrap="nowrap" mb="xs">
              <div>
                <Text size="xs" c="dimmed">
                  {doc.activities[current]?.type}
                </Text>
                <Text fw={700}>{current}</Text>
              </div>
              <Button
                size="xs"
                color="red"
                variant="light"
                onClick={() => {
                  edit(removeActivities(doc, [current]));
                  setSelected([]);
                }}
              >
                {t('canvas.delete')}
              </Button>
            </Group>
            <ActivityPanel
              campaign={name}
              id={current}
              doc={doc}
              types={types}
              problems={problems.filter((p) => p.activity === current)}
              onChange={(next) => edit({ ...doc, activities: { ...doc.activities, [current]: next } })}
              onRename={(to) => {
                edit(rename(doc, current, to));
                setSelected([to]);
              }}
              runId={runId}
            />
          </Paper>
        )}
        {!current && doc && (
          <Paper withBorder w={300} p="xs" style={{ flexShrink: 0, overflow: 'auto' }} component="aside" aria-label={t('canvas.panel')} data-testid="side-panel">
            <CampaignSettings doc={doc} problems={problems} onChange={edit} />
          </Paper>
        )}
      </Group>
      <Paper withBorder>
        <ProblemList problems={problems} pending={validation.pending} onPick={pick} />
      </Paper>
      {runId !== undefined && <EdgeDrawer runId={runId} edge={edge && { ...edge, count: run?.counts.get(edgeKey(edge)) }} onClose={() => setEdge(undefined)} />}
    </Stack>
  );
}
