import { Select } from '@mantine/core';
import type { ReactNode } from 'react';
import { attributeChoices, collectionLinks, type Model, type ModelEntity } from '../../audiences/tree/model';
import type { Activity, CampaignDoc } from '../doc';
import { usePanel } from './context';
import { linkPathTarget } from './dimension';
import { QueryField } from './QueryField';
import { MapField, Suggest, useErrors } from './SchemaForm';
import { getIn, type JSONSchema, type Path } from './schema';

// The settings with an editor of their own, by activity type and path
// (`split subsets[].where`; `*` for every type): a registry, not a switch.
// An editor answers undefined to leave the field to the schema's form,
// null to show nothing.

/** What an editor knows: the field, the activity, and what the panel read
 * for it (the model, the rows' dimension, the activity's inputs, the saved
 * audiences and the campaigns). */
export interface EditorContext {
  path: Path;
  schema: JSONSchema;
  label: string;
  activity: Activity;
  campaign: string;
  doc: CampaignDoc;
  model?: Model;
  /** The dimension of the rows the activity works on. */
  rows?: ModelEntity;
  inputs: string[];
  audiences: string[];
  campaigns: string[];
}

type Editor = (c: EditorContext) => ReactNode | undefined;

/** The types of a file's columns (docs/campaigns.md, load_file). */
const columnTypes = ['string', 'integer', 'decimal', 'boolean', 'date', 'timestamp'];

const attrs = (c: EditorContext, e: ModelEntity | undefined, types?: string[]) =>
  c.model
    ? attributeChoices(c.model, e)
        .filter((x) => !types || types.includes(x.attr.type))
        .map((x) => x.path)
    : [];
const sorted = (names: string[]) => names.flatMap((n) => [`${n} desc`, `${n} asc`]);
const own = (c: EditorContext) => ({ path: c.path, label: c.label, description: c.schema.description });

/** related is the entity an enrichment column's link leads to. */
function related(c: EditorContext): ModelEntity | undefined {
  const link = getIn(c.activity, ['columns', c.path[1] as number, 'link']);
  return c.model && typeof link === 'string' && link ? linkPathTarget(c.model, c.rows, link) : undefined;
}

/** A query of the activity's own dimension, written as text; its JSON
 * tree, when the document has one, is replaced by the text. */
const ownQuery: Editor = (c) => {
  const dim = typeof c.activity.dimension === 'string' ? c.activity.dimension : (c.rows?.name ?? c.doc.dimension);
  return <QueryField {...own(c)} dimension={dim} tree={['where']} />;
};
/** The JSON tree beside the text: shown (as YAML) only when written. */
const ownTree: Editor = (c) => (c.activity.where === undefined ? null : undefined);

const editors: Record<string, Editor> = {
  'build_audience query': ownQuery,
  'incremental_query query': ownQuery,
  'build_audience where': ownTree,
  'incremental_query where': ownTree,
  'incremental_query since': (c) => <Suggest {...own(c)} data={attrs(c, c.rows, ['date', 'timestamp'])} required />,
  'split subsets[].where': (c) => <QueryField {...own(c)} dimension={c.rows?.name} />,
  'split subsets[].order': (c) => <Suggest {...own(c)} data={['random', ...sorted(attrs(c, c.rows))]} />,
  'enrich columns[].where': (c) => <QueryField {...own(c)} dimension={related(c)?.name ?? c.rows?.name} />,
  'enrich columns[].link': (c) => <Suggest {...own(c)} data={collectionLinks(c.rows).map((l) => l.name)} />,
  'enrich columns[].attribute': (c) => <Suggest {...own(c)} data={attrs(c, related(c) ?? c.rows)} />,
  'enrich columns[].attributes': (c) => <Suggest {...own(c)} data={attrs(c, related(c))} multiple />,
  'enrich columns[].order_by': (c) => <Suggest {...own(c)} data={sorted(attrs(c, related(c)))} />,
  'deduplicate fields': (c) => <Suggest {...own(c)} data={attrs(c, c.rows)} multiple required />,
  'deduplicate by': (c) => <Suggest {...own(c)} data={attrs(c, c.rows)} multiple oneAlone />,
  'change_dimension link': (c) => <Suggest {...own(c)} data={(c.rows?.links ?? []).filter((l) => l.kind !== 'one_to_many').map((l) => l.name)} required />,
  'reconcile match[].attribute': (c) => <Suggest {...own(c)} data={attrs(c, c.rows)} required />,
  'combine primary': (c) => <Pick {...own(c)} data={c.inputs} />,
  'and_join primary': (c) => <Pick {...own(c)} data={c.inputs} />,
  'read_audience audience': (c) => <Pick {...own(c)} data={c.audiences} required />,
  'load_file columns': (c) => <MapField {...own(c)} schema={c.schema} choices={columnTypes} />,
  'end signal.campaign': (c) => <Suggest {...own(c)} data={c.campaigns.filter((n) => n !== c.campaign)} required />,
  '* dimension': (c) => (c.model ? <Pick {...own(c)} data={c.model.entities.filter((e) => e.targeting).map((e) => e.name)} /> : undefined),
};

/** patternOf writes a path as the registry names it: indexes as `[]`. */
export function patternOf(path: Path): string {
  return path.map((s, i) => (typeof s === 'number' ? '[]' : i === 0 ? s : `.${s}`)).join('');
}

/** editorFor answers a field's own editor, or undefined for the form's. */
export function editorFor(c: EditorContext): ReactNode | undefined {
  const p = patternOf(c.path);
  const editor = editors[`${c.activity.type} ${p}`] ?? editors[`* ${p}`];
  return editor?.(c);
}

/** Pick chooses a value among names (an input activity, a saved audience,
 * a dimension); a value not among them (typed in the YAML) stays shown. */
function Pick({ path, label, description, data, required }: { path: Path; label: string; description?: string; data: string[]; required?: boolean }) {
  const env = usePanel();
  const error = useErrors(path);
  const value = getIn(env.activity, path);
  const v = typeof value === 'string' ? value : null;
  const options = v && !data.includes(v) ? [...data, v] : data;
  return <Select label={label} description={description} data={options} value={v} onChange={(x) => env.set(path, x ?? undefined)} clearable={!required} searchable withAsterisk={required} error={error} />;
}
