import { Checkbox, Group, NativeSelect } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { AttributePicker } from './AttributePicker';
import { outline, useTree } from './context';
import { attributeAt, type ModelEntity } from './model';
import type { Node, Path } from './node';
import { CASE_OPS, fitValue, operatorsFor } from './operators';
import { ValueInput } from './ValueInput';

/** ConditionNode edits an attribute condition: the attribute (from the
 * model, through to-one links), the operators its type takes, and a value
 * input fitted to both. */
export function ConditionNode({ node, path, entity }: { node: Node; path: Path; entity?: ModelEntity }) {
  const { t } = useTranslation();
  const { model, change } = useTree();
  const n = outline(path);
  const attr = attributeAt(model, entity, node.attr);
  // An operator the type does not take (from the text) is still shown, as
  // it is: the server's problem on this condition says why.
  const ops = node.op && !operatorsFor(attr?.type).includes(node.op) ? [...operatorsFor(attr?.type), node.op] : operatorsFor(attr?.type);
  const where = node.attr ? t('tree.onAttr', { attr: node.attr, n }) : t('tree.condition', { n });
  const set = (patch: Partial<Node>) => change(path, (cur) => clean({ ...cur, ...patch }));

  return (
    <Group gap="xs" align="flex-start">
      <AttributePicker
        model={model}
        entity={entity}
        value={node.attr}
        label={t('tree.attributeOf', { n })}
        onChange={(p) => {
          const a = attributeAt(model, entity, p);
          const allowed = operatorsFor(a?.type);
          const op = node.op && allowed.includes(node.op) ? node.op : (allowed[0] ?? '=');
          set({ attr: p, op, value: a?.type === attr?.type ? fitValue(op, node.value) : fitValue(op, undefined) });
        }}
      />
      <NativeSelect
        aria-label={t('tree.operatorOf', { what: where })}
        value={node.op ?? ''}
        onChange={(e) => {
          const op = e.currentTarget.value;
          set({ op, value: fitValue(op, node.value), case_insensitive: CASE_OPS.includes(op) ? node.case_insensitive : undefined });
        }}
        data={ops.map((o) => ({ value: o, label: t(`tree.ops.${o}`, { defaultValue: o }) }))}
      />
      <ValueInput attr={attr} op={node.op} value={node.value} onChange={(value) => set({ value })} meaning={where} />
      {node.op && CASE_OPS.includes(node.op) && (
        <Checkbox mt={8} label={t('tree.anyCase')} aria-label={t('tree.anyCaseOf', { what: where })} checked={!!node.case_insensitive} onChange={(e) => set({ case_insensitive: e.currentTarget.checked || undefined })} />
      )}
    </Group>
  );
}

/** clean drops what JSON would not carry (undefined fields). */
function clean(n: Node): Node {
  const out: Node = {};
  for (const [k, v] of Object.entries(n)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
