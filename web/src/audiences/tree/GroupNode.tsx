import { Button, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { outline, useTree } from './context';
import { collectionLinks, type ModelEntity } from './model';
import { appendChild, groupOf, setGroupOp, type Node, type Path } from './node';
import { NodeView } from './NodeView';

/** GroupNode edits an all-of or any-of group: its children, and buttons
 * to add a condition, a group, a collection condition or a saved
 * audience (only on the targeting dimension's rows). */
export function GroupNode({ node, path, entity }: { node: Node; path: Path; entity?: ModelEntity }) {
  const { t } = useTranslation();
  const { model, change } = useTree();
  const { op, children } = groupOf(node);
  const n = outline(path);
  const inLink = path.some((s) => s[0] === 'where');
  const what = path.length === 0 ? t('tree.top') : inLink && path[path.length - 1]?.[0] === 'where' ? t('tree.whereGroup', { n }) : t('tree.groupN', { n });
  const add = (child: Node) => change(path, (g) => appendChild(g, child));
  const links = collectionLinks(entity);
  const canAudience = !inLink && entity?.name === model.dimension?.name;

  return (
    <Stack gap="xs" role="group" aria-label={what}>
      <Group gap="xs">
        <NativeSelect
          aria-label={t('tree.combineOf', { what })}
          value={op}
          onChange={(e) => {
            const v = e.currentTarget.value as 'and' | 'or';
            change(path, (g) => setGroupOp(g, v));
          }}
          data={[
            { value: 'and', label: t('tree.allOf') },
            { value: 'or', label: t('tree.anyOf') },
          ]}
        />
        {children.length === 0 && (
          <Text size="sm" c="dimmed">
            {inLink ? t('tree.anyRow') : t('tree.everyone')}
          </Text>
        )}
      </Group>
      {children.map((c, i) => (
        <NodeView key={i} node={c} path={[...path, [op, i]]} entity={entity} />
      ))}
      <Group gap="xs">
        <Button size="compact-sm" variant="light" aria-label={t('tree.addCondition', { what })} onClick={() => add({ attr: '', op: '=', value: null })}>
          {t('tree.btnCondition')}
        </Button>
        <Button size="compact-sm" variant="light" aria-label={t('tree.addGroup', { what })} onClick={() => add({ or: [] })}>
          {t('tree.btnGroup')}
        </Button>
        {links[0] && (
          <Button size="compact-sm" variant="light" aria-label={t('tree.addCollection', { what })} onClick={() => add({ link: links[0]!.name, count: { op: '>=', value: 1 } })}>
            {t('tree.btnCollection')}
          </Button>
        )}
        {canAudience && (
          <Button size="compact-sm" variant="light" aria-label={t('tree.addAudience', { what })} onClick={() => add({ audience: '' })}>
            {t('tree.btnAudience')}
          </Button>
        )}
      </Group>
    </Stack>
  );
}
