import { Button, Collapse, Group, Paper, ScrollArea, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useContext, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { attributeChoices, collectionLinks, entity, type Model, type ModelEntity } from '../../audiences/tree/model';
import { upstreamOf, type CampaignDoc } from '../doc';
import { InsertContext } from './liquid';

/** One thing the picker inserts: its Liquid, and the path it shows. */
export interface Pick {
  group: 'profile' | 'collections' | 'target' | 'vars' | 'other';
  /** What the list shows (`profile.first_name`). */
  label: string;
  snippet: string;
  /** The collection an item belongs to (a loop over it). */
  collection?: string;
}

/** loopVar names a collection's row in a loop: `purchases` → `purchase`. */
function loopVar(link: string): string {
  if (link.endsWith('ies')) return link.slice(0, -3) + 'y';
  if (link.endsWith('s') && link.length > 1) return link.slice(0, -1);
  return 'item';
}

/** enrichColumns lists the columns the enrich activities upstream of id
 * add (docs/campaigns.md: a first-N column gives `<name>_<i>_<attribute>`,
 * a path's dots made `_`). */
export function enrichColumns(doc: CampaignDoc, id: string): string[] {
  const out: string[] = [];
  for (const up of upstreamOf(doc, id)) {
    const a = doc.activities[up];
    if (a?.type !== 'enrich' || !Array.isArray(a.columns)) continue;
    for (const c of a.columns as Record<string, unknown>[]) {
      if (typeof c?.name !== 'string' || !c.name) continue;
      if (typeof c.first === 'number' && Array.isArray(c.attributes)) {
        for (let i = 1; i <= c.first; i++) for (const at of c.attributes) out.push(`${c.name}_${i}_${String(at).replaceAll('.', '_')}`);
      } else out.push(c.name);
    }
  }
  return out;
}

/** picks lists what a channel activity's templates can use (docs/delivery.md:
 * profile, its to-one links and collections, target, vars, the unsubscribe
 * link, campaign and run). */
export function picks(m: Model | undefined, dim: ModelEntity | undefined, doc: CampaignDoc, id: string, channel: string): Pick[] {
  const out: Pick[] = [];
  if (m && dim) {
    for (const c of attributeChoices(m, dim)) out.push({ group: 'profile', label: `profile.${c.path}`, snippet: `{{ profile.${c.path} }}` });
    for (const l of collectionLinks(dim)) {
      const v = loopVar(l.name);
      const target = entity(m, l.entity);
      out.push({ group: 'collections', label: `profile.${l.name}`, collection: l.name, snippet: `{% for ${v} in profile.${l.name} limit: 5 %}\n  {{ ${v} }}\n{% endfor %}` });
      for (const c of attributeChoices(m, target, 1)) {
        out.push({ group: 'collections', label: `${v}.${c.path}`, collection: l.name, snippet: `{% for ${v} in profile.${l.name} limit: 5 %}{{ ${v}.${c.path} }} {% endfor %}` });
      }
    }
  }
  for (const c of enrichColumns(doc, id)) out.push({ group: 'target', label: `target.${c}`, snippet: `{{ target.${c} }}` });
  for (const v of Object.keys(doc.variables ?? {})) out.push({ group: 'vars', label: `vars.${v}`, snippet: `{{ vars.${v} }}` });
  if (channel === 'email') out.push({ group: 'other', label: 'unsubscribe_url', snippet: '{{ unsubscribe_url }}' });
  out.push({ group: 'other', label: 'campaign.name', snippet: '{{ campaign.name }}' }, { group: 'other', label: 'run.id', snippet: '{{ run.id }}' });
  return out;
}

const groups: Pick['group'][] = ['profile', 'collections', 'target', 'vars', 'other'];

/** Picker is the personalisation picker: a searchable tree of what a
 * template can use; a click inserts its Liquid at the cursor of the field
 * last focused. */
export function Picker({ items, height = 320 }: { items: Pick[]; height?: number }) {
  const { t } = useTranslation();
  const ins = useContext(InsertContext);
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const [last, setLast] = useState<string | undefined>();
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return q ? items.filter((p) => p.label.toLowerCase().includes(q)) : items;
  }, [items, search]);
  const insert = (p: Pick) => {
    const target = ins?.current();
    target?.insert(p.snippet);
    setLast(target ? t('panel.picker.inserted', { what: p.label, field: t(`panel.field.${target.field}`, { defaultValue: target.field }) }) : undefined);
  };
  const item = (p: Pick, loop = false) => (
    <UnstyledButton key={p.label + p.snippet} onClick={() => insert(p)} px={6} py={2} className="picker-item" style={{ borderRadius: 4, display: 'block', width: '100%' }} aria-label={loop ? t('panel.picker.loop', { collection: p.label }) : t('panel.picker.insert', { what: p.label })}>
      <Text size="xs" ff="monospace">
        {loop ? t('panel.picker.loopLabel') : p.label}
      </Text>
    </UnstyledButton>
  );
  return (
    <Paper withBorder p="xs" component="section" aria-labelledby="picker-title">
      <Text fw={600} size="sm" id="picker-title">
        {t('panel.picker.title')}
      </Text>
      <Text size="xs" c="dimmed" mb={4}>
        {t('panel.picker.help')}
      </Text>
      <TextInput size="xs" label={t('panel.picker.search')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} mb="xs" />
      <ScrollArea.Autosize mah={height} type="auto">
        <Stack gap={6}>
          {groups.map((g) => {
            const list = shown.filter((p) => p.group === g);
            if (list.length === 0) return null;
            if (g !== 'collections') {
              return (
                <div key={g} role="group" aria-label={t(`panel.picker.${g}`)}>
                  <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                    {t(`panel.picker.${g}`)}
                  </Text>
                  {list.map((p) => item(p))}
                </div>
              );
            }
            const names = [...new Set(list.map((p) => p.collection ?? ''))];
            return (
              <div key={g} role="group" aria-label={t('panel.picker.collections')}>
                <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                  {t('panel.picker.collections')}
                </Text>
                {names.map((c) => {
                  const rows = list.filter((p) => p.collection === c);
                  const head = rows.find((p) => p.label === `profile.${c}`);
                  const expanded = open[c] || search.trim() !== '';
                  return (
                    <div key={c}>
                      <Group gap={4} wrap="nowrap">
                        <Button variant="subtle" size="compact-xs" onClick={() => setOpen((o) => ({ ...o, [c]: !o[c] }))} aria-expanded={expanded} aria-controls={`picker-${c}`}>
                          {t('panel.picker.collection', { name: c })}
                        </Button>
                      </Group>
                      <Collapse expanded={expanded} id={`picker-${c}`}>
                        <div style={{ paddingLeft: 12 }}>
                          {head && item(head, true)}
                          {rows.filter((p) => p !== head).map((p) => item(p))}
                        </div>
                      </Collapse>
                    </div>
                  );
                })}
              </div>
            );
          })}
          {shown.length === 0 && (
            <Text size="xs" c="dimmed">
              {t('panel.picker.nothing')}
            </Text>
          )}
        </Stack>
      </ScrollArea.Autosize>
      <Text size="xs" c="dimmed" mt={4} aria-live="polite">
        {last ?? '\u00a0'}
      </Text>
    </Paper>
  );
}
