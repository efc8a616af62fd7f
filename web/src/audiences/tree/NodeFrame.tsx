import { ActionIcon, Checkbox, Group, Paper, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useTree } from './context';
import { negate, pathKey, type Node, type Path } from './node';
import { missing } from './operators';

interface Props {
  /** Where the node is; notPath is where its negation sits (the same path
   * when it is not negated). */
  path: Path;
  notPath: Path;
  negated: boolean;
  /** What the node means, for its controls' labels ("condition 2.1"). */
  meaning: string;
  /** The node itself (without its not), to say what it still lacks. */
  node: Node;
  children: ReactNode;
}

/** NodeFrame draws one node of the rule tree: its negation, its removal,
 * and the server's problems with it, under it. */
export function NodeFrame({ path, notPath, negated, meaning, node, children }: Props) {
  const { t } = useTranslation();
  const { problems, change } = useTree();
  const mine = [...(problems.get(pathKey(path)) ?? []), ...(path.length !== notPath.length ? (problems.get(pathKey(notPath)) ?? []) : [])];
  const top = notPath.length === 0;
  const lacks = missing(node);
  return (
    <Paper withBorder p="xs" radius="sm" bd={mine.length > 0 ? '1px solid var(--mantine-color-red-7)' : undefined} data-node={pathKey(notPath)}>
      <Stack gap={6}>
        <Group gap="xs" wrap="nowrap" align="flex-start">
          {!top && (
            <Checkbox
              mt={8}
              label={t('tree.not')}
              aria-label={t('tree.negate', { what: meaning })}
              checked={negated}
              onChange={() => change(notPath, negate)}
            />
          )}
          <div style={{ flex: 1, minWidth: 0 }}>{children}</div>
          {!top && (
            <ActionIcon variant="subtle" color="red" mt={4} aria-label={t('tree.remove', { what: meaning })} onClick={() => change(notPath, () => undefined)}>
              <span aria-hidden>{t('tree.removeIcon')}</span>
            </ActionIcon>
          )}
        </Group>
        {lacks && (
          <Text size="sm" c="dimmed" data-missing={pathKey(notPath)}>
            {t(`tree.missing.${lacks}`)}
          </Text>
        )}
        {mine.map((m, i) => (
          <Text key={i} size="sm" c="red.8" role="alert" data-problem={pathKey(notPath)}>
            {m}
          </Text>
        ))}
      </Stack>
    </Paper>
  );
}
