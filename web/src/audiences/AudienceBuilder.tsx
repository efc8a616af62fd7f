import { Alert, Card, Grid, Group, List, Loader, Paper, Select, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useSearchParams } from 'react-router';
import { api, errorMessage } from '../api/client';
import { formatCount } from '../format';
import { SendToThese } from '../campaigns/SendToThese';
import { SaveAudience } from './SaveAudience';
import { attributeChoices, useModel } from './tree/model';
import { normalize, toWire, walk, type Node } from './tree/node';
import { missing } from './tree/operators';
import { RuleTree } from './tree/RuleTree';
import { SampleTable } from './tree/SampleTable';
import { TextPanel } from './tree/TextPanel';
import { useValidate } from './tree/useValidate';
import { queryKey, useLiveCount, type CountQuery } from './useLiveCount';
import { useTitle } from '../useTitle';

const BreakdownChart = lazy(() => import('./BreakdownChart'));

const DRAFT_KEY = 'fanfare.builder.draft';
const SAMPLE_ROWS = 10;

interface Draft {
  tree: Node;
  text?: string;
  /** Text typed in the text panel that the tree does not have yet. */
  pending?: string;
}

function readDraft(): Draft | undefined {
  try {
    const d = JSON.parse(localStorage.getItem(DRAFT_KEY) ?? 'null') as Draft | null;
    return d && typeof d.tree === 'object' ? d : undefined;
  } catch {
    return undefined;
  }
}

/** AudienceBuilder: a rule tree over the data model and, beside it, the
 * same query in the text syntax; the live exact count, a breakdown and
 * sample rows follow the tree. The tree is the one source of truth; the
 * text is its view, printed and read by the server. The query is kept in
 * the address (?q=, shareable) and in local storage (an expired session
 * loses nothing). */
export function AudienceBuilder() {
  const { t } = useTranslation();
  useTitle(t('builder.title'));
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const home = useRef(location.pathname);
  const [start] = useState(() => {
    const q = params.get('q') ?? undefined;
    const draft = readDraft();
    // Back from a sign-in (the session had ended): the draft is the work
    // in progress, newer than the address, which lags behind it.
    const resume = (location.state as { resume?: boolean } | null)?.resume === true;
    if (resume && draft) return { tree: normalize(draft.tree), initial: draft.pending };
    if (q === undefined) return { tree: normalize(draft?.tree), initial: draft?.pending };
    // The address wins; the stored tree is it when the texts agree.
    return draft?.text === q ? { tree: normalize(draft.tree), initial: undefined } : { tree: normalize(null), initial: q };
  });
  const [tree, setTree] = useState<Node>(start.tree);
  const [edits, setEdits] = useState(0);
  const [textOpen, setTextOpen] = useState(params.get('text') !== '0');
  const [by, setBy] = useState<string | null>(() => params.get('by'));
  const [columns, setColumns] = useState<string[]>(() => params.get('cols')?.split(',').filter(Boolean) ?? []);
  const model = useModel();
  const audiences = useQuery({
    queryKey: ['audiences'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/audiences', { signal });
      if (error) throw new Error(errorMessage(error));
      return data.audiences ?? [];
    },
  });
  const audienceNames = useMemo(() => (audiences.data ?? []).map((a) => a.name), [audiences.data]);

  const wire = useMemo(() => toWire(tree), [tree]);
  // A tree with a half-made condition is not sent: its nodes say what
  // they lack, and the count stays the last one, greyed.
  const incomplete = useMemo(() => {
    let lacks = false;
    walk(tree, (n) => (lacks ||= missing(n) !== undefined));
    return lacks;
  }, [tree]);
  // The text has edits the tree does not have yet (being read, or not
  // readable): the count shown is not the text's.
  const [textDirty, setTextDirty] = useState(start.initial !== undefined);
  const [typed, setTyped] = useState<string | undefined>(start.initial);
  const both = useValidate(incomplete ? undefined : { where: wire });
  const wireKey = JSON.stringify({ where: wire });
  const valid = both.key === wireKey && !!both.result;
  // The text of the tree, once the server printed it; kept while the
  // tree has problems (then it is the last valid one).
  const text = both.last?.text;

  const countQuery: CountQuery = { where: wire, sample: SAMPLE_ROWS, ...(columns.length > 0 ? { attributes: columns } : {}) };
  const live = useLiveCount(incomplete ? undefined : countQuery);
  const split = useLiveCount(by && !incomplete ? { where: wire, breakdown: by } : undefined);
  const stale = live.pending || live.countedKey !== queryKey(countQuery) || !!live.problems || textDirty;
  const problems = both.key === wireKey ? both.problems : undefined;

  const editTree = useCallback((fn: (t: Node) => Node) => {
    setTree(fn);
    setEdits((e) => e + 1);
  }, []);
  const fromText = useCallback((next: Node) => setTree(next), []);

  useEffect(() => {
    const pending = textDirty ? typed : undefined;
    localStorage.setItem(DRAFT_KEY, JSON.stringify({ tree, text: valid ? both.result?.text : undefined, pending } satisfies Draft));
  }, [tree, valid, both.result, textDirty, typed]);

  useEffect(() => {
    const next: Record<string, string> = {};
    const q = valid ? both.result?.text : (params.get('q') ?? undefined);
    if (q) next.q = q;
    if (by) next.by = by;
    if (columns.length > 0) next.cols = columns.join(',');
    if (!textOpen) next.text = '0';
    // Only while the builder is still the page: a save navigates to the
    // audience, and a write landing after it put ?q= on that page's address.
    const timer = setTimeout(() => {
      if (window.location.pathname === home.current) setParams(next, { replace: true });
    }, 300);
    return () => clearTimeout(timer);
  }, [valid, both.result, by, columns, textOpen, setParams]); // eslint-disable-line react-hooks/exhaustive-deps -- params is read, not followed

  const dimensionAttrs = useMemo(() => (model.data ? attributeChoices(model.data, model.data.dimension).map((c) => c.path) : []), [model.data]);
  const ownAttrs = useMemo(() => (model.data?.dimension?.attributes ?? []).map((a) => a.name), [model.data]);

  return (
    <Stack>
      <Title order={2}>{t('builder.title')}</Title>
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack>
            <Paper withBorder p="sm" component="section" aria-labelledby="tree-title">
              <Text fw={600} id="tree-title" mb="xs">
                {t('tree.title')}
              </Text>
              {model.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
              {model.error && <Alert color="red">{t('app.error', { message: model.error.message })}</Alert>}
              {model.data && <RuleTree tree={tree} onChange={editTree} model={model.data} audiences={audienceNames} problems={problems} />}
            </Paper>
            <TextPanel
              text={text}
              initial={start.initial}
              onTree={fromText}
              dirty={textDirty}
              onDirty={setTextDirty}
              onTyped={setTyped}
              open={textOpen}
              onToggle={() => setTextOpen((o) => !o)}
              behind={!!problems || incomplete}
              edits={edits}
            />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack>
            <Card withBorder aria-live="polite" aria-busy={live.pending}>
              <Text size="sm" c="dimmed">
                {t('builder.count')}
              </Text>
              {/* Greyed at 0.6, not less: still readable (axe's color-contrast). */}
              <Group gap="sm" align="center">
                <Text size="2.5rem" fw={700} opacity={stale ? 0.6 : 1} data-testid="live-count">
                  {live.count === undefined ? '—' : formatCount(live.count)}
                </Text>
                {live.pending && <Loader size="sm" aria-label={t('builder.counting')} />}
              </Group>
              <Text size="xs" c="dimmed">
                {incomplete ? t('tree.incomplete') : live.millis !== undefined && !stale ? t('builder.millis', { millis: Math.round(live.millis) }) : '\u00a0'}
              </Text>
            </Card>
            {problems && problems.length > 0 && (
              <Alert color="red" title={t('builder.problems')}>
                <List size="sm">
                  {problems.map((p, i) => (
                    <List.Item key={i}>{t('builder.problemAt', { path: p.path, message: p.message })}</List.Item>
                  ))}
                </List>
              </Alert>
            )}
            {(live.error || both.error) && <Alert color="red">{t('builder.failed', { message: live.error ?? both.error })}</Alert>}
            <SaveAudience where={wire} count={stale ? undefined : live.count} />
            {!incomplete && (
              <Group>
                <SendToThese to={{ where: wire, dimension: model.data?.dimension?.name }} count={stale ? undefined : live.count} />
              </Group>
            )}
            <Card withBorder component="section" aria-busy={split.pending}>
              <Select label={t('builder.breakdown')} placeholder={t('builder.breakdownNone')} data={dimensionAttrs} value={by} onChange={setBy} clearable searchable />
              {by && split.breakdown && (
                <Stack mt="sm" opacity={split.pending ? 0.6 : 1}>
                  <Suspense fallback={<Loader size="sm" aria-label={t('app.loading')} />}>
                    <BreakdownChart breakdown={split.breakdown} />
                  </Suspense>
                </Stack>
              )}
            </Card>
            <Card withBorder component="section" aria-labelledby="sample-title">
              <Text fw={600} id="sample-title" mb="xs">
                {t('tree.sampleTitle')}
              </Text>
              <SampleTable sample={live.sample} choices={dimensionAttrs.length > 0 ? dimensionAttrs : ownAttrs} columns={columns} onColumns={setColumns} stale={stale} />
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
