import { Alert, Badge, Button, Code, Loader, Modal, Table, Text, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../api/client';
import { formatTime } from '../format';

/** ModelVersions lists every applied version of the model, newest first,
 * and shows any version's document. */
export function ModelVersions({ current }: { current?: number }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<number | null>(null);
  const versions = useQuery({
    queryKey: ['model-versions'],
    queryFn: async ({ signal }) => [...(must(await api.GET('/api/model/versions', { signal })).versions ?? [])].sort((a, b) => b.version - a.version),
  });
  if (versions.isPending) return <Loader size="sm" aria-label={t('app.loading')} />;
  if (versions.error) return <Alert color="red">{t('app.error', { message: versions.error.message })}</Alert>;
  return (
    <>
      <Table aria-label={t('model.versions.label')}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('model.versions.version')}</Table.Th>
            <Table.Th>{t('model.versions.applied')}</Table.Th>
            <Table.Th>{t('model.versions.summary')}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{t('model.versions.document')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {versions.data.map((v) => (
            <Table.Tr key={v.version}>
              <Table.Td>
                {v.version}
                {v.version === current && (
                  <Badge ml="xs" size="sm" variant="light">
                    {t('model.versions.current')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{formatTime(v.applied_at)}</Table.Td>
              <Table.Td>
                <Text size="sm">{v.summary}</Text>
              </Table.Td>
              <Table.Td>
                <Button size="xs" variant="default" onClick={() => setOpen(v.version)}>
                  {t('model.versions.view', { version: v.version })}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Modal closeButtonProps={{ 'aria-label': t('model.close') }} opened={open !== null} onClose={() => setOpen(null)} title={t('model.versions.documentOf', { version: open ?? 0 })} size="xl">
        {open !== null && <VersionDocument version={open} />}
      </Modal>
    </>
  );
}

function VersionDocument({ version }: { version: number }) {
  const { t } = useTranslation();
  const doc = useQuery({
    queryKey: ['model-version', version],
    queryFn: async ({ signal }) => must(await api.GET('/api/model/versions/{version}', { params: { path: { version } }, signal })),
    staleTime: Infinity, // a version never changes
  });
  if (doc.isPending) return <Loader size="sm" aria-label={t('app.loading')} />;
  if (doc.error) return <Alert color="red">{t('app.error', { message: doc.error.message })}</Alert>;
  return (
    <Code block data-testid="version-document">
      {doc.data.document}
    </Code>
  );
}
