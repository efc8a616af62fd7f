import { Alert, List, SegmentedControl, Stack, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useState, type JSX, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../../api/client';
import { useModel } from '../../audiences/tree/model';
import { transitionsOf, type Activity, type CampaignDoc } from '../doc';
import { PanelContext, usePanel as useContextEnv, type FieldProblem, type PanelEnv } from './context';
import { rowsDimension } from './dimension';
import { editorFor } from './editors';
import { MessageEditor } from './MessageEditor';
import { ScheduleEditor } from './ScheduleEditor';
import { Field, Fields } from './SchemaForm';
import { IDENTIFIER, relative, settingsOf, setIn, type ActivityType, type JSONSchema, type Path, type Problem } from './schema';

export type { ActivityType, Problem } from './schema';

export interface ActivityPanelProps {
  /** The campaign's name. */
  campaign: string;
  /** The activity's id. */
  id: string;
  /** The whole document being edited (read-only). */
  doc: CampaignDoc;
  /** The activity types (GET /api/activity-types). */
  types: ActivityType[];
  /** Validation problems of this activity. */
  problems: Problem[];
  /** Replace this activity's object in the document. */
  onChange(next: Activity): void;
  /** Rename the activity. */
  onRename(newId: string): void;
  /** A simulate run being shown, if any. */
  runId?: number;
}

const LABEL = 'label';
const channels = new Set(['email', 'sms', 'push']);

/** ActivityPanel edits the selected activity: its id and label, and its
 * settings in a form made from its type's JSON Schema, with editors of
 * their own for queries (the audience builder), schedules, waits and a
 * channel's message. Problems show on the field their path names; keys
 * the form does not know are kept as they are. */
export function ActivityPanel({ campaign, id, doc, types, problems, onChange, onRename, runId }: ActivityPanelProps): JSX.Element {
  const { t } = useTranslation();
  const activity = doc.activities[id];
  const schema = useMemo(() => settingsOf(types, activity?.type ?? ''), [types, activity?.type]);
  const model = useModel();
  const rows = useMemo(() => (model.data ? rowsDimension(model.data, doc, id) : undefined), [model.data, doc, id]);
  const fieldProblems = useMemo<FieldProblem[]>(
    () => problems.flatMap((p) => {
      const rel = relative(p, id);
      return rel === undefined ? [] : [{ rel, message: p.message, line: p.line }];
    }),
    [problems, id],
  );
  const set = useCallback(
    (path: Path, value: unknown) => {
      if (!activity) return;
      onChange(setIn(activity, path, value));
    },
    [activity, onChange],
  );
  const inputs = useMemo(() => transitionsOf(doc).filter((tr) => tr.to === id).map((tr) => tr.from), [doc, id]);
  const audiences = useQuery({
    queryKey: ['audiences'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/audiences', { signal });
      if (error) throw new Error(errorMessage(error));
      return data.audiences ?? [];
    },
    enabled: activity?.type === 'read_audience',
  });
  const campaigns = useQuery({
    queryKey: ['panel', 'campaigns'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/campaigns', { signal });
      if (error) throw new Error(errorMessage(error));
      return data.campaigns ?? [];
    },
    enabled: activity?.type === 'end',
  });

  const audienceNames = useMemo(() => (audiences.data ?? []).map((a) => a.name), [audiences.data]);
  const campaignNames = useMemo(() => (campaigns.data ?? []).map((c) => c.name), [campaigns.data]);
  const special = useCallback(
    (path: Path, s: JSONSchema, label: string): ReactNode | undefined =>
      activity ? editorFor({ path, schema: s, label, activity, campaign, doc, model: model.data, rows, inputs, audiences: audienceNames, campaigns: campaignNames }) : undefined,
    [activity, campaign, doc, model.data, rows, inputs, audienceNames, campaignNames],
  );

  const env = useMemo<PanelEnv | undefined>(
    () => (activity ? { campaign, id, doc, activity, set, problems: fieldProblems, special } : undefined),
    [campaign, id, doc, activity, set, fieldProblems, special],
  );

  if (!activity || !env) {
    return <Alert color="yellow">{t('panel.missing', { id })}</Alert>;
  }
  // Problems no field shows: the activity's own, or a key the form lacks.
  const known = new Set(['label', 'type', ...Object.keys(schema.properties ?? {})]);
  const general = fieldProblems.filter((p) => p.rel === '' || !known.has(p.rel.split(/[.[]/)[0] ?? ''));
  const labelError = errorsAt(fieldProblems, LABEL);
  const type = activity.type;
  const typeName = t(`panel.type.${type}`, { defaultValue: type });

  return (
    <PanelContext.Provider value={env}>
      {/* Keyed by the activity: another one selected starts afresh (its
          editors' modes, the profile previewed). */}
      <Stack key={`${id}:${type}`} gap="sm" component="section" aria-labelledby="panel-title" data-testid="activity-panel">
        {/* The canvas shows the activity's type and id above the panel:
            the heading names the region for assistive technology only. */}
        <VisuallyHidden>
          <Title order={3} id="panel-title">
            {t('panel.title', { id, type: typeName })}
          </Title>
        </VisuallyHidden>
        <Rename key={id} id={id} doc={doc} onRename={onRename} />
        <TextInput
          label={t('panel.label')}
          description={t('panel.labelHelp')}
          value={typeof activity.label === 'string' ? activity.label : ''}
          onChange={(e) => set(['label'], e.currentTarget.value)}
          error={labelError}
        />
        {general.length > 0 && (
          <Alert color="red" title={t('panel.problems', { count: general.length })} data-testid="panel-problems">
            <List size="sm">
              {general.map((p, i) => (
                <List.Item key={i}>{p.rel ? t('panel.problemAt', { path: p.rel, message: p.message }) : p.message}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {channels.has(type) ? (
          <MessageEditor schema={schema} runId={runId} />
        ) : type === 'scheduler' ? (
          <ScheduleEditor schema={schema} />
        ) : type === 'wait' ? (
          <WaitEditor schema={schema} />
        ) : Object.keys(schema.properties ?? {}).length === 0 ? (
          <Text size="sm" c="dimmed">
            {t('panel.noSettings')}
          </Text>
        ) : (
          <Fields schema={schema} path={[]} />
        )}
      </Stack>
    </PanelContext.Provider>
  );
}

function errorsAt(problems: FieldProblem[], rel: string): string | undefined {
  const m = problems.filter((p) => p.rel === rel).map((p) => p.message);
  return m.length > 0 ? m.join(' · ') : undefined;
}

/** Rename edits the activity's id: an identifier no other activity has,
 * applied when the field is left or Enter pressed. */
function Rename({ id, doc, onRename }: { id: string; doc: CampaignDoc; onRename: (id: string) => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState(id);
  const problem = text === id ? undefined : !IDENTIFIER.test(text) ? t('panel.rename.invalid') : doc.activities[text] ? t('panel.rename.taken', { id: text }) : undefined;
  const apply = () => {
    if (text !== id && !problem) onRename(text);
  };
  return (
    <TextInput
      label={t('panel.rename.label')}
      description={t('panel.rename.help')}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={apply}
      onKeyDown={(e) => {
        if (e.key === 'Enter') apply();
        if (e.key === 'Escape') setText(id);
      }}
      error={problem}
      spellCheck={false}
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
    />
  );
}

/** WaitEditor edits a wait: a duration or an instant, one of them. */
function WaitEditor({ schema }: { schema: JSONSchema }) {
  const { t } = useTranslation();
  const env = useContextEnv();
  const [mode, setMode] = useState<'duration' | 'until'>(typeof env.activity.until === 'string' && env.activity.duration === undefined ? 'until' : 'duration');
  const props = schema.properties ?? {};
  const s = props[mode];
  return (
    <Stack gap="sm">
      <SegmentedControl
        value={mode}
        onChange={(v) => {
          const next = v as 'duration' | 'until';
          // One of them: the other is removed as the choice changes.
          const other = next === 'duration' ? 'until' : 'duration';
          if (env.activity[other] !== undefined) env.set([other], undefined);
          setMode(next);
        }}
        data={[
          { value: 'duration', label: t('panel.wait.duration') },
          { value: 'until', label: t('panel.wait.until') },
        ]}
        aria-label={t('panel.wait.kind')}
      />
      {s && <Field name={mode} schema={s} path={[mode]} required />}
    </Stack>
  );
}
