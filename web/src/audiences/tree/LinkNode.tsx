import { Group, NativeSelect, NumberInput, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { AttributePicker } from './AttributePicker';
import { outline, useTree } from './context';
import { GroupNode } from './GroupNode';
import { attributeAt, collectionLinks, linkTarget, type ModelEntity } from './model';
import { asWhere, type Node, type Path } from './node';
import { aggregateTakes, AGGREGATES, COMPARE_OPS } from './operators';
import { ValueInput } from './ValueInput';

type Measure = 'exists' | (typeof AGGREGATES)[number];

function measureOf(n: Node): Measure {
  if (n.count) return 'count';
  if (n.aggregate) return n.aggregate.fn as Measure;
  return 'exists';
}

/** LinkNode edits a condition over a linked collection (purchases): that
 * some row exists, or how many there are, or an aggregate of one of their
 * attributes, compared with a value; the rows counted are filtered by the
 * collection's own rule tree, whose attributes are the linked entity's. */
export function LinkNode({ node, path, entity }: { node: Node; path: Path; entity?: ModelEntity }) {
  const { t } = useTranslation();
  const { model, change } = useTree();
  const n = outline(path);
  const links = collectionLinks(entity);
  const target = linkTarget(model, entity, node.link);
  const measure = measureOf(node);
  const what = t('tree.overLink', { link: node.link || '…', n });
  const set = (fn: (cur: Node) => Node) => change(path, fn);

  const setMeasure = (m: Measure) =>
    set((cur) => {
      const base: Node = { link: cur.link, ...(cur.where ? { where: cur.where } : {}) };
      if (m === 'exists') return base;
      if (m === 'count') return { ...base, count: { op: '>=', value: 1 } };
      const first = (target?.attributes ?? []).find((a) => aggregateTakes(m, a.type));
      const keep = cur.aggregate && attributeAt(model, target, cur.aggregate.attr) && aggregateTakes(m, attributeAt(model, target, cur.aggregate.attr)!.type);
      return { ...base, aggregate: { fn: m, attr: keep ? cur.aggregate!.attr : (first?.name ?? ''), op: cur.aggregate?.op ?? '>', value: cur.aggregate?.value ?? null } };
    });

  const aggAttr = node.aggregate ? attributeAt(model, target, node.aggregate.attr) : undefined;
  const linkData = links.map((l) => ({ value: l.name, label: l.name }));
  if (node.link && !links.some((l) => l.name === node.link)) linkData.push({ value: node.link, label: node.link });

  return (
    <Stack gap="xs">
      <Group gap="xs" align="flex-start">
        <NativeSelect
          aria-label={t('tree.measureOf', { what })}
          value={measure}
          onChange={(e) => setMeasure(e.currentTarget.value as Measure)}
          data={(['exists', ...AGGREGATES] as Measure[]).map((m) => ({ value: m, label: t(`tree.measures.${m}`) }))}
        />
        <NativeSelect
          aria-label={t('tree.linkOf', { n })}
          value={node.link ?? ''}
          onChange={(e) => {
            const link = e.currentTarget.value;
            // Another collection: its rows have other attributes.
            set(() => ({ link }));
          }}
          data={[{ value: '', label: t('tree.pickLink'), disabled: true }, ...linkData]}
        />
        {node.aggregate && (
          <AttributePicker
            model={model}
            entity={target}
            value={node.aggregate.attr}
            label={t('tree.aggregateAttrOf', { what })}
            accept={(type) => aggregateTakes(node.aggregate!.fn, type)}
            ownOnly
            w={180}
            onChange={(attr) => set((cur) => ({ ...cur, aggregate: { ...cur.aggregate!, attr } }))}
          />
        )}
        {node.count && (
          <>
            <NativeSelect
              aria-label={t('tree.compareOf', { what })}
              value={node.count.op}
              onChange={(e) => {
                const op = e.currentTarget.value;
                set((cur) => ({ ...cur, count: { ...cur.count!, op } }));
              }}
              data={COMPARE_OPS.map((o) => ({ value: o, label: t(`tree.ops.${o}`) }))}
            />
            <NumberInput
              aria-label={t('tree.countValueOf', { what })}
              value={typeof node.count.value === 'number' ? node.count.value : ''}
              allowDecimal={false}
              onChange={(v) => set((cur) => ({ ...cur, count: { ...cur.count!, value: v === '' ? null : Number(v) } }))}
              w={100}
            />
          </>
        )}
        {node.aggregate && (
          <>
            <NativeSelect
              aria-label={t('tree.compareOf', { what })}
              value={node.aggregate.op}
              onChange={(e) => {
                const op = e.currentTarget.value;
                set((cur) => ({ ...cur, aggregate: { ...cur.aggregate!, op } }));
              }}
              data={COMPARE_OPS.map((o) => ({ value: o, label: t(`tree.ops.${o}`) }))}
            />
            <ValueInput
              attr={node.aggregate.fn === 'avg' ? undefined : aggAttr}
              type={node.aggregate.fn === 'avg' ? 'decimal' : undefined}
              op="="
              value={node.aggregate.value}
              onChange={(value) => set((cur) => ({ ...cur, aggregate: { ...cur.aggregate!, value } }))}
              meaning={what}
            />
          </>
        )}
      </Group>
      {node.link && (
        <Stack gap={4} pl="md" style={{ borderLeft: '2px solid var(--mantine-color-gray-4)' }}>
          <Text size="sm" c="dimmed">
            {t('tree.whereOf', { link: node.link })}
          </Text>
          <GroupNode node={asWhere(node.where)} path={[...path, ['where']]} entity={target} />
        </Stack>
      )}
    </Stack>
  );
}
