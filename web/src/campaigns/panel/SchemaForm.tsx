import { ActionIcon, Autocomplete, Button, Checkbox, Fieldset, Group, NumberInput, Paper, Select, Stack, TagsInput, Text, TextInput, Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import YAML from 'yaml';
import { usePanel } from './context';
import { getIn, kindOf, move, pathText, under, type JSONSchema, type Path } from './schema';

/** An instant as the document writes it (RFC 3339). */
const RFC3339_EXAMPLE = '2026-05-01T09:00:00+02:00';

/** useLabel answers a setting's label: its name in the user's words when
 * the catalog has it, else the document's key as written. */
export function useLabel() {
  const { t } = useTranslation();
  return (name: string) => t(`panel.field.${name}`, { defaultValue: name });
}

/** useOwnErrors answers the problems of a list or group itself (at its
 * path, or an item's): its fields show those below them. */
export function useOwnErrors(path: Path): string | undefined {
  const { problems } = usePanel();
  const p = pathText(path);
  const msgs = problems.filter((x) => x.rel === p || (x.rel.startsWith(p + '[') && /^\[\d+\]$/.test(x.rel.slice(p.length)))).map((x) => x.message);
  return msgs.length > 0 ? msgs.join(' · ') : undefined;
}

/** useErrors answers the problems shown on a field: those at its path or
 * below it, joined. */
export function useErrors(path: Path): string | undefined {
  const { problems } = usePanel();
  const msgs = under(problems, path);
  return msgs.length > 0 ? msgs.join(' · ') : undefined;
}

interface FieldsProps {
  schema: JSONSchema;
  path: Path;
  /** Keys edited elsewhere (an editor of their own). */
  omit?: string[];
}

/** Fields renders every property of an object schema, in the schema's
 * order; keys the schema does not know are never touched. */
export function Fields({ schema, path, omit = [] }: FieldsProps) {
  const props = Object.entries(schema.properties ?? {}).filter(([k]) => !omit.includes(k));
  return (
    <Stack gap="sm">
      {props.map(([name, s]) => (
        <Field key={name} name={name} schema={s} path={[...path, name]} required={schema.required?.includes(name) ?? false} />
      ))}
    </Stack>
  );
}

interface FieldProps {
  name: string;
  schema: JSONSchema;
  path: Path;
  required: boolean;
}

/** Field edits one setting by the kind of its schema. */
export function Field({ name, schema, path, required }: FieldProps) {
  const env = usePanel();
  const label = useLabel()(name);
  const kind = kindOf(schema);
  const leafErrors = useErrors(path);
  const ownErrors = useOwnErrors(path);
  const error = kind === 'object' ? ownErrors : leafErrors;
  const own = env.special?.(path, schema, label);
  if (own !== undefined) return own;
  const value = getIn(env.activity, path);
  const set = (v: unknown) => env.set(path, v);
  const description = schema.description;
  const testId = `field-${pathText(path)}`;
  switch (kind) {
    case 'enum':
      return (
        <Select
          label={label}
          description={description}
          data={(schema.enum ?? []).map(String)}
          value={value === undefined ? null : String(value)}
          onChange={(v) => set(v ?? undefined)}
          placeholder={schema.default !== undefined ? String(schema.default) : undefined}
          clearable={!required}
          withAsterisk={required}
          error={error}
          data-testid={testId}
        />
      );
    case 'boolean':
      return <Checkbox label={label} description={description} checked={value === true} onChange={(e) => set(e.currentTarget.checked ? true : undefined)} error={error} />;
    case 'integer':
    case 'number':
      return (
        <NumberInput
          label={label}
          description={description}
          value={typeof value === 'number' ? value : ''}
          onChange={(v) => set(typeof v === 'number' ? v : undefined)}
          allowDecimal={schema.type === 'number'}
          min={schema.minimum}
          max={schema.maximum}
          placeholder={schema.default !== undefined ? String(schema.default) : undefined}
          withAsterisk={required}
          error={error}
        />
      );
    case 'tags':
      return (
        <TagsInput
          label={label}
          description={description}
          value={Array.isArray(value) ? value.map(String) : []}
          onChange={(v) => set(v.length > 0 ? v : undefined)}
          withAsterisk={required}
          error={error}
        />
      );
    case 'list':
      return <ObjectList name={name} label={label} schema={schema} path={path} required={required} />;
    case 'object':
      return (
        <Fieldset legend={label} variant="filled" p="xs">
          {description && (
            <Text size="xs" c="dimmed" mb="xs">
              {description}
            </Text>
          )}
          <Fields schema={schema} path={path} />
          {error && (
            <Text size="sm" c="var(--mantine-color-error)" mt="xs">
              {error}
            </Text>
          )}
        </Fieldset>
      );
    case 'map':
      return <MapField label={label} description={description} path={path} schema={schema} />;
    case 'variants':
      return <VariantField label={label} schema={schema} path={path} required={required} />;
    case 'string':
      return (
        <TextInput
          label={label}
          description={description}
          value={typeof value === 'string' ? value : value === undefined ? '' : String(value)}
          onChange={(e) => set(e.currentTarget.value)}
          placeholder={schema.format === 'date-time' ? RFC3339_EXAMPLE : schema.default !== undefined ? String(schema.default) : undefined}
          withAsterisk={required}
          error={error}
          spellCheck={false}
        />
      );
    default:
      return <JSONField label={label} path={path} />;
  }
}

/** ObjectList edits a list of objects (enrichment columns, split subsets,
 * test branches, reconcile's match): one sub-form per item, added,
 * removed and moved. */
function ObjectList({ name, label, schema, path, required }: { name: string; label: string; schema: JSONSchema; path: Path; required: boolean }) {
  const { t } = useTranslation();
  const env = usePanel();
  const error = useOwnErrors(path);
  const raw = getIn(env.activity, path);
  const items = Array.isArray(raw) ? (raw as unknown[]) : [];
  const item = schema.items ?? {};
  const set = (next: unknown[]) => env.set(path, next.length > 0 || required ? next : undefined);
  const itemName = (v: unknown, i: number) => {
    const n = v && typeof v === 'object' ? (v as Record<string, unknown>).name : undefined;
    return typeof n === 'string' && n ? n : t('panel.item', { n: i + 1 });
  };
  return (
    <Fieldset legend={label} variant="filled" p="xs" data-testid={`list-${name}`}>
      <Stack gap="xs">
        {schema.description && (
          <Text size="xs" c="dimmed">
            {schema.description}
          </Text>
        )}
        {items.map((v, i) => (
          <Paper key={i} withBorder p={8} role="group" aria-label={t('panel.itemOf', { list: label, item: itemName(v, i) })}>
            <Group justify="space-between" mb={4} wrap="nowrap">
              <Text size="sm" fw={600}>
                {itemName(v, i)}
              </Text>
              <Group gap={4} wrap="nowrap">
                <ActionIcon variant="subtle" size="sm" disabled={i === 0} onClick={() => set(move(items, i, -1))} aria-label={t('panel.moveUp', { item: itemName(v, i) })}>
                  ↑
                </ActionIcon>
                <ActionIcon variant="subtle" size="sm" disabled={i === items.length - 1} onClick={() => set(move(items, i, 1))} aria-label={t('panel.moveDown', { item: itemName(v, i) })}>
                  ↓
                </ActionIcon>
                <ActionIcon variant="subtle" color="red" size="sm" onClick={() => set(items.filter((_, j) => j !== i))} aria-label={t('panel.remove', { item: itemName(v, i) })}>
                  ×
                </ActionIcon>
              </Group>
            </Group>
            <Fields schema={item} path={[...path, i]} />
          </Paper>
        ))}
        <Group>
          <Button size="xs" variant="light" onClick={() => set([...items, {}])}>
            {t('panel.add', { list: label })}
          </Button>
        </Group>
        {error && (
          <Text size="sm" c="var(--mantine-color-error)">
            {error}
          </Text>
        )}
      </Stack>
    </Fieldset>
  );
}

/** scalar reads a value typed in a map's cell: YAML's scalars (15, true,
 * "15") for values of any kind, the text as it is for string values. */
function scalar(text: string, strings: boolean): unknown {
  if (strings) return text;
  try {
    const v = YAML.parse(text) as unknown;
    return v === null || typeof v === 'object' ? text : v;
  } catch {
    return text;
  }
}

/** MapField edits a map of names to values (load_file's columns, headers,
 * a push's data, an end signal's params) as rows of name and value. */
export function MapField({ label, description, path, schema, choices }: { label: string; description?: string; path: Path; schema: JSONSchema; choices?: string[] }) {
  const { t } = useTranslation();
  const env = usePanel();
  const error = useErrors(path);
  const raw = getIn(env.activity, path);
  const entries = raw && typeof raw === 'object' && !Array.isArray(raw) ? Object.entries(raw as Record<string, unknown>) : [];
  const strings = typeof schema.additionalProperties === 'object' && schema.additionalProperties.type === 'string';
  const write = (next: [string, unknown][]) => env.set(path, next.length > 0 ? Object.fromEntries(next) : undefined);
  return (
    <Fieldset legend={label} variant="filled" p="xs">
      <Stack gap={6}>
        {description && (
          <Text size="xs" c="dimmed">
            {description}
          </Text>
        )}
        {entries.map(([k, v], i) => (
          <Group key={i} gap="xs" wrap="nowrap" align="end">
            <TextInput
              size="xs"
              label={t('panel.mapKey', { field: label, n: i + 1 })}
              value={k}
              onChange={(e) => write(entries.map((x, j) => (j === i ? [e.currentTarget.value, x[1]] : x)))}
              spellCheck={false}
              style={{ flex: 1 }}
            />
            {choices ? (
              <Select
                size="xs"
                label={t('panel.mapValue', { field: label, n: i + 1 })}
                data={choices}
                value={typeof v === 'string' ? v : null}
                onChange={(x) => write(entries.map((e, j) => (j === i ? [e[0], x ?? ''] : e)))}
                style={{ flex: 1 }}
              />
            ) : (
              <TextInput
                size="xs"
                label={t('panel.mapValue', { field: label, n: i + 1 })}
                value={typeof v === 'string' ? v : JSON.stringify(v)}
                onChange={(e) => write(entries.map((x, j) => (j === i ? [x[0], scalar(e.currentTarget.value, strings)] : x)))}
                spellCheck={false}
                style={{ flex: 1 }}
              />
            )}
            <ActionIcon variant="subtle" color="red" mb={4} onClick={() => write(entries.filter((_, j) => j !== i))} aria-label={t('panel.remove', { item: k || String(i + 1) })}>
              ×
            </ActionIcon>
          </Group>
        ))}
        <Group>
          <Button size="xs" variant="light" onClick={() => write([...entries, [entries.some(([k]) => k === '') ? `key${entries.length + 1}` : '', '']])}>
            {t('panel.addEntry', { field: label })}
          </Button>
        </Group>
        {error && (
          <Text size="sm" c="var(--mantine-color-error)">
            {error}
          </Text>
        )}
      </Stack>
    </Fieldset>
  );
}

/** VariantField edits a value that may take several shapes (oneOf,
 * anyOf): a name or a list of names (deduplicate's by) as tags, one name
 * being written alone; a count or a text (split's limit: 100 or 10%) as
 * text, digits written as a number; else one variant chosen at a time. */
function VariantField({ label, schema, path, required }: { label: string; schema: JSONSchema; path: Path; required: boolean }) {
  const env = usePanel();
  const error = useErrors(path);
  const value = getIn(env.activity, path);
  const set = (v: unknown) => env.set(path, v);
  const variants = schema.oneOf ?? schema.anyOf ?? [];
  const types = variants.map((v) => (v.type === 'array' ? `array:${String(v.items?.type)}` : String(v.type)));
  if (types.includes('string') && types.includes('array:string')) {
    const tags = Array.isArray(value) ? value.map(String) : typeof value === 'string' && value ? [value] : [];
    return (
      <TagsInput
        label={label}
        description={schema.description}
        value={tags}
        onChange={(v) => set(v.length === 0 ? undefined : v.length === 1 ? v[0] : v)}
        withAsterisk={required}
        error={error}
      />
    );
  }
  if (types.includes('string') && (types.includes('integer') || types.includes('number'))) {
    return (
      <TextInput
        label={label}
        description={schema.description}
        value={value === undefined ? '' : String(value)}
        onChange={(e) => {
          const text = e.currentTarget.value;
          set(/^\d+$/.test(text.trim()) ? Number(text.trim()) : text);
        }}
        withAsterisk={required}
        error={error}
        spellCheck={false}
      />
    );
  }
  return <JSONField label={label} path={path} description={schema.description} />;
}

/** JSONField edits a value no form knows (a JSON rule tree kept as it
 * is) as YAML text, read back when it parses. */
function JSONField({ label, path, description }: { label: string; path: Path; description?: string }) {
  const { t } = useTranslation();
  const env = usePanel();
  const error = useErrors(path);
  const value = getIn(env.activity, path);
  const text = value === undefined ? '' : YAML.stringify(value).trimEnd();
  return (
    <Textarea
      label={label}
      description={description ?? t('panel.yamlValue')}
      defaultValue={text}
      key={text}
      onBlur={(e) => {
        const v = e.currentTarget.value;
        try {
          env.set(path, v.trim() === '' ? undefined : (YAML.parse(v) as unknown));
        } catch {
          /* kept as typed until it parses */
        }
      }}
      autosize
      minRows={2}
      error={error}
      spellCheck={false}
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
    />
  );
}

/** Suggest edits a name with suggestions (attribute paths, links): any
 * text may still be typed, the server checks it. */
export function Suggest({
  path,
  label,
  description,
  data,
  required,
  multiple,
  oneAlone,
}: {
  path: Path;
  label: string;
  description?: string;
  data: string[];
  required?: boolean;
  multiple?: boolean;
  /** A list of one is written as its one name (deduplicate's by). */
  oneAlone?: boolean;
}) {
  const env = usePanel();
  const error = useErrors(path);
  const value = getIn(env.activity, path);
  if (multiple) {
    return (
      <TagsInput
        label={label}
        description={description}
        data={data}
        value={Array.isArray(value) ? value.map(String) : typeof value === 'string' && value ? [value] : []}
        onChange={(v) => env.set(path, v.length === 0 ? undefined : oneAlone && v.length === 1 ? v[0] : v)}
        withAsterisk={required}
        error={error}
        limit={50}
      />
    );
  }
  return (
    <Autocomplete
      label={label}
      description={description}
      data={data}
      value={typeof value === 'string' ? value : ''}
      onChange={(v) => env.set(path, v)}
      withAsterisk={required}
      error={error}
      limit={50}
      spellCheck={false}
    />
  );
}
