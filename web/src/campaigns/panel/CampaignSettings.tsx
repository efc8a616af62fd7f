import { Alert, Button, Fieldset, Loader, Select, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, type JSX, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../../api/client';
import { useModel } from '../../audiences/tree/model';
import type { Activity, CampaignDoc } from '../doc';
import { PanelContext, usePanel, type FieldProblem, type PanelEnv } from './context';
import { ScheduleEditor } from './ScheduleEditor';
import { Fields } from './SchemaForm';
import { setIn, type JSONSchema, type Path, type Problem } from './schema';

// The document's own fields the canvas edits elsewhere (the graph, its
// layout) or that name it (its name is its address).
const elsewhere = ['name', 'activities', 'transitions', 'layout', 'dimension'];

/** CampaignSettings edits the campaign's own settings when no activity is
 * selected: its description, default dimension (a targeting dimension of
 * the model), variables, schedule and policy (confirm send, tracking,
 * errors, retention), in a form made from the document's JSON Schema that
 * the server publishes (GET /api/campaign-schema); problems without an
 * activity show on their field. */
export function CampaignSettings({ doc, problems, onChange }: { doc: CampaignDoc; problems: Problem[]; onChange(next: CampaignDoc): void }): JSX.Element {
  const { t } = useTranslation();
  const schema = useQuery({
    queryKey: ['campaign-schema'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/campaign-schema', { signal });
      if (error) throw new Error(errorMessage(error));
      return data as unknown as JSONSchema;
    },
    staleTime: Infinity,
  });
  const model = useModel();
  const dimensions = useMemo(() => (model.data?.entities ?? []).filter((e) => e.targeting).map((e) => e.name), [model.data]);
  const set = useCallback((path: Path, value: unknown) => onChange(setIn(doc, path, value)), [doc, onChange]);
  const fieldProblems = useMemo<FieldProblem[]>(() => problems.filter((p) => !p.activity).map((p) => ({ rel: p.path, message: p.message, line: p.line })), [problems]);
  // The form edits the document as it edits an activity: one object, one
  // way to change it.
  // The schedule has the scheduler's editor (presets, zone, next
  // occurrences), not a bare form.
  const special = useCallback((path: Path, s: JSONSchema, label: string): ReactNode | undefined => (path.length === 1 && path[0] === 'schedule' ? <CampaignSchedule schema={s} label={label} /> : undefined), []);
  const env = useMemo<PanelEnv>(() => ({ campaign: doc.name, id: '', doc, activity: doc as unknown as Activity, set, problems: fieldProblems, special }), [doc, set, fieldProblems, special]);
  const dimensionError = fieldProblems.filter((p) => p.rel === 'dimension').map((p) => p.message).join(' · ') || undefined;
  return (
    <Stack gap="sm" component="section" aria-labelledby="campaign-settings-title" data-testid="campaign-settings">
      <Title order={3} size="h5" id="campaign-settings-title">
        {t('panel.campaign.title')}
      </Title>
      <Text size="xs" c="dimmed">
        {t('panel.campaign.hint')}
      </Text>
      <Select
        label={t('panel.campaign.dimension')}
        description={t('panel.campaign.dimensionHint')}
        data={dimensions}
        value={doc.dimension ?? null}
        onChange={(v) => set(['dimension'], v ?? undefined)}
        clearable
        error={dimensionError}
      />
      {schema.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {schema.error && <Alert color="red">{schema.error.message}</Alert>}
      {schema.data && (
        <PanelContext.Provider value={env}>
          <Fields schema={schema.data} path={[]} omit={elsewhere} />
        </PanelContext.Provider>
      )}
      {fieldProblems.some((p) => p.rel === '') && (
        <Alert color="red">
          {fieldProblems
            .filter((p) => p.rel === '')
            .map((p) => p.message)
            .join(' · ')}
        </Alert>
      )}
    </Stack>
  );
}

/** CampaignSchedule edits the campaign's schedule (when runs start by
 * themselves) with the scheduler's editor, over doc.schedule: its
 * problems are the schedule's, its changes land under schedule (emptied,
 * the schedule goes). */
function CampaignSchedule({ schema, label }: { schema: JSONSchema; label: string }) {
  const { t } = useTranslation();
  const env = usePanel();
  const schedule = env.doc.schedule;
  const inner = useMemo<PanelEnv>(
    () => ({
      ...env,
      activity: (schedule ?? {}) as unknown as Activity,
      set: (path: Path, value: unknown) => env.set(['schedule', ...path], value),
      problems: env.problems.filter((p) => p.rel === 'schedule' || p.rel.startsWith('schedule.')).map((p) => ({ ...p, rel: p.rel.replace(/^schedule\.?/, '') })),
      special: undefined,
    }),
    [env, schedule],
  );
  return (
    <Fieldset legend={label} variant="filled" p="xs" data-testid="campaign-schedule">
      <PanelContext.Provider value={inner}>
        <ScheduleEditor schema={schema} />
      </PanelContext.Provider>
      {schedule !== undefined && (
        <Button variant="default" size="compact-sm" mt="sm" onClick={() => env.set(['schedule'], undefined)}>
          {t('panel.campaign.removeSchedule')}
        </Button>
      )}
    </Fieldset>
  );
}
