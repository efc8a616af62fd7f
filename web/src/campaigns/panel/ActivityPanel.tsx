import { Alert, Badge, Group, List, SegmentedControl, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useState, type JSX, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../../api/client';
import { attributeChoices, collectionLinks, useModel, type ModelEntity } from '../../audiences/tree/model';
import { transitionsOf, type Activity, type CampaignDoc } from '../doc';
import { PanelContext, usePanel as useContextEnv, type FieldProblem, type PanelEnv } from './context';
import { linkPathTarget, rowsDimension } from './dimension';
import { MessageEditor } from './MessageEditor';
import { QueryField } from './QueryField';
import { ScheduleEditor } from './ScheduleEditor';
import { Field, Fields, MapField, Suggest, useErrors } from './SchemaForm';
import { getIn, IDENTIFIER, relative, settingsOf, setIn, type ActivityType, type JSONSchema, type Path, type Problem } from './schema';

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
/** The types of a file's columns (docs/campaigns.md, load_file). */
const columnTypes = ['string', 'integer', 'decimal', 'boolean', 'date', 'timestamp'];
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

  const special = useCallback(
    (path: Path, s: JSONSchema, label: string): ReactNode | undefined => {
      if (!activity) return undefined;
      const type = activity.type;
      const key = path.join('.');
      const m = model.data;
      if ((type === 'build_audience' || type === 'incremental_query') && key === 'query') {
        const dim = typeof activity.dimension === 'string' ? activity.dimension : (rows?.name ?? doc.dimension);
        return <QueryField path={path} label={label} description={s.description} dimension={dim} tree={['where']} />;
      }
      if ((type === 'build_audience' || type === 'incremental_query') && key === 'where') return activity.where === undefined ? null : undefined;
      if (type === 'split' && path[0] === 'subsets' && path[2] === 'where') return <QueryField path={path} label={label} description={s.description} dimension={rows?.name} />;
      if (type === 'enrich' && path[0] === 'columns' && path[2] === 'where') {
        const link = getIn(activity, ['columns', path[1] as number, 'link']);
        const target = m && typeof link === 'string' && link ? linkPathTarget(m, rows, link) : undefined;
        return <QueryField path={path} label={label} description={s.description} dimension={target?.name ?? rows?.name} />;
      }
      if ((type === 'combine' || type === 'and_join') && key === 'primary') {
        return <Pick path={path} label={label} description={s.description} data={inputs} />;
      }
      if (type === 'read_audience' && key === 'audience') {
        return <Pick path={path} label={label} description={s.description} data={(audiences.data ?? []).map((a) => a.name)} required />;
      }
      if (m) {
        const attrs = (e: ModelEntity | undefined, types?: string[]) => attributeChoices(m, e).filter((c) => !types || types.includes(c.attr.type)).map((c) => c.path);
        const sorted = (names: string[]) => names.flatMap((n) => [`${n} desc`, `${n} asc`]);
        const own = { path, label, description: s.description, required: false };
        if (type === 'deduplicate' && key === 'fields') return <Suggest {...own} data={attrs(rows)} multiple required />;
        if (type === 'deduplicate' && key === 'by') return <Suggest {...own} data={attrs(rows)} multiple oneAlone />;
        if (type === 'incremental_query' && key === 'since') return <Suggest {...own} data={attrs(rows, ['date', 'timestamp'])} required />;
        if (type === 'change_dimension' && key === 'link') return <Suggest {...own} data={(rows?.links ?? []).filter((l) => l.kind !== 'one_to_many').map((l) => l.name)} required />;
        if (type === 'split' && path[0] === 'subsets' && path[2] === 'order') return <Suggest {...own} data={['random', ...sorted(attrs(rows))]} />;
        if (type === 'reconcile' && path[0] === 'match' && path[2] === 'attribute') return <Suggest {...own} data={attrs(rows)} required />;
        if (type === 'enrich' && path[0] === 'columns' && typeof path[1] === 'number') {
          const link = getIn(activity, ['columns', path[1], 'link']);
          const related = typeof link === 'string' && link ? linkPathTarget(m, rows, link) : undefined;
          if (path[2] === 'link') return <Suggest {...own} data={collectionLinks(rows).map((l) => l.name)} />;
          if (path[2] === 'attribute') return <Suggest {...own} data={attrs(related ?? rows)} />;
          if (path[2] === 'attributes') return <Suggest {...own} data={attrs(related)} multiple />;
          if (path[2] === 'order_by') return <Suggest {...own} data={sorted(attrs(related))} />;
        }
      }
      if (type === 'load_file' && key === 'columns') return <MapField path={path} label={label} description={s.description} schema={s} choices={columnTypes} />;
      if (type === 'end' && key === 'signal.campaign') {
        return <Suggest path={path} label={label} description={s.description} data={(campaigns.data ?? []).map((c) => c.name).filter((n) => n !== campaign)} required />;
      }
      if (key === 'dimension' && m) {
        return <Pick path={path} label={label} description={s.description} data={m.entities.filter((e) => e.targeting).map((e) => e.name)} />;
      }
      return undefined;
    },
    [activity, model.data, rows, doc.dimension, inputs, audiences.data, campaigns.data, campaign],
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
        <Group justify="space-between" wrap="nowrap">
          <Title order={3} size="h4" id="panel-title">
            {t('panel.title', { id })}
          </Title>
          <Badge variant="light">{typeName}</Badge>
        </Group>
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

/** Pick chooses a value among names (an input activity, a saved audience,
 * a dimension); a value not among them (typed in the YAML) stays shown. */
function Pick({ path, label, description, data, required }: { path: Path; label: string; description?: string; data: string[]; required?: boolean }) {
  const env = useContextEnv();
  const error = useErrors(path);
  const value = getIn(env.activity, path);
  const v = typeof value === 'string' ? value : null;
  const options = v && !data.includes(v) ? [...data, v] : data;
  return <Select label={label} description={description} data={options} value={v} onChange={(x) => env.set(path, x ?? undefined)} clearable={!required} searchable withAsterisk={required} error={error} />;
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
