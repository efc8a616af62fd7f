import { Select } from '@mantine/core';
import { useMemo } from 'react';
import { attributeChoices, type Model, type ModelEntity } from './model';

interface Props {
  model: Model;
  entity?: ModelEntity;
  value: string | undefined;
  onChange: (path: string) => void;
  label: string;
  /** Only attributes whose type this accepts (aggregates). */
  accept?: (type: string) => boolean;
  /** Only the entity's own attributes (an aggregate's). */
  ownOnly?: boolean;
  w?: number;
}

/** AttributePicker picks an attribute path the model offers from an
 * entity: its own attributes, then its parents' through links
 * (`product.category`), grouped by where they come from. */
export function AttributePicker({ model, entity, value, onChange, label, accept, ownOnly, w = 220 }: Props) {
  const data = useMemo(() => {
    const groups = new Map<string, { value: string; label: string }[]>();
    for (const c of attributeChoices(model, entity, ownOnly ? 0 : undefined)) {
      if (accept && !accept(c.attr.type)) continue;
      const from = c.path.includes('.') ? c.path.slice(0, c.path.lastIndexOf('.')) : (entity?.name ?? '');
      if (!groups.has(from)) groups.set(from, []);
      groups.get(from)!.push({ value: c.path, label: c.path });
    }
    return [...groups].map(([group, items]) => ({ group, items }));
  }, [model, entity, accept, ownOnly]);
  const known = data.some((g) => g.items.some((i) => i.value === value));
  // A path the picker does not list (deeper than it goes, or unknown) is
  // still shown, so that the text's tree loses nothing.
  const all = value && !known ? [...data, { group: '…', items: [{ value, label: value }] }] : data;
  return <Select aria-label={label} data={all} value={value || null} onChange={(v) => v && onChange(v)} searchable w={w} allowDeselect={false} maxDropdownHeight={320} />;
}
