import { Group, NativeSelect, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { outline, useTree } from './context';
import type { Node, Path } from './node';

/** AudienceNode tests membership in a saved audience. */
export function AudienceNode({ node, path }: { node: Node; path: Path }) {
  const { t } = useTranslation();
  const { audiences, change } = useTree();
  const names = node.audience && !audiences.includes(node.audience) ? [...audiences, node.audience] : audiences;
  return (
    <Group gap="xs">
      <Text size="sm">{t('tree.inAudience')}</Text>
      <NativeSelect
        aria-label={t('tree.audienceOf', { n: outline(path) })}
        value={node.audience ?? ''}
        onChange={(e) => {
          const audience = e.currentTarget.value;
          change(path, () => ({ audience }));
        }}
        data={[{ value: '', label: t('tree.pickAudience'), disabled: true }, ...names.map((a) => ({ value: a, label: a }))]}
      />
    </Group>
  );
}
