import { MultiSelect, ScrollArea, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Sample } from '../useLiveCount';

interface Props {
  sample?: Sample;
  /** The attribute paths offered as columns. */
  choices: string[];
  columns: string[];
  onColumns: (c: string[]) => void;
  stale: boolean;
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** SampleTable shows the first matching rows with the chosen attributes
 * (every attribute of the dimension when none is chosen). */
export function SampleTable({ sample, choices, columns, onColumns, stale }: Props) {
  const { t } = useTranslation();
  return (
    <>
      <MultiSelect label={t('tree.sampleColumns')} placeholder={t('tree.sampleAll')} data={choices} value={columns} onChange={onColumns} searchable clearable />
      {sample && sample.rows && sample.rows.length === 0 && <Text size="sm">{t('tree.sampleEmpty')}</Text>}
      {sample && sample.rows && sample.rows.length > 0 && (
        // Focusable: a region that scrolls must be reachable from the keyboard.
        <ScrollArea type="auto" opacity={stale ? 0.6 : 1} viewportProps={{ tabIndex: 0 }}>
          <Table striped withTableBorder aria-label={t('tree.sampleLabel')} fz="xs">
            <Table.Thead>
              <Table.Tr>
                {(sample.columns ?? []).map((c) => (
                  <Table.Th key={c}>{c}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sample.rows.map((r, i) => (
                <Table.Tr key={i}>
                  {(r as unknown[]).map((v, j) => (
                    <Table.Td key={j}>{cell(v)}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
    </>
  );
}
