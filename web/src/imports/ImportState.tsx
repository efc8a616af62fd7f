import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../api/client';

export type ImportJob = Schemas['ImportJob'];

const color: Record<ImportJob['state'], string> = { running: 'blue', done: 'green', failed: 'red', interrupted: 'gray' };

/** ImportState is an import's state as a badge. */
export function ImportState({ state }: { state: ImportJob['state'] }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={color[state]}>
      {t(`imports.state.${state}`)}
    </Badge>
  );
}
