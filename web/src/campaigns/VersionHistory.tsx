import { Badge, Button, Code, Loader, Modal, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../api/client';
import { formatTime } from '../format';

/** VersionHistory lists a campaign's versions, newest first — when each
 * was made and published, the one that runs marked — and shows one's
 * document. */
export function VersionHistory({ name, latest, published }: { name: string; latest: number; published?: number }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<number | null>(null);
  const versions = useQuery({
    // Read again when a version is saved or published.
    queryKey: ['campaign-versions', name, latest, published],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/campaigns/{name}/versions', { params: { path: { name } }, signal });
      if (error) throw new Error(errorMessage(error));
      return data.versions ?? [];
    },
  });
  const doc = useQuery({
    queryKey: ['campaign-version', name, open],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/campaigns/{name}/versions/{version}', { params: { path: { name, version: open ?? 0 } }, signal });
      if (error) throw new Error(errorMessage(error));
      return data;
    },
    enabled: open !== null,
  });
  if (versions.isPending) return <Loader size="sm" aria-label={t('app.loading')} />;
  if (versions.error) return <Text c="red">{versions.error.message}</Text>;
  return (
    <>
      <Table mt="sm" aria-label={t('campaignPage.history')} data-testid="campaign-versions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('campaignPage.version')}</Table.Th>
            <Table.Th>{t('campaignPage.made')}</Table.Th>
            <Table.Th>{t('campaignPage.publishedAt')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {versions.data.map((v) => (
            <Table.Tr key={v.version}>
              <Table.Td>
                {v.version}{' '}
                {v.current && (
                  <Badge size="xs" color="green" variant="light">
                    {t('campaignPage.inService')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{formatTime(v.created_at)}</Table.Td>
              <Table.Td>{v.published_at ? formatTime(v.published_at) : ''}</Table.Td>
              <Table.Td ta="right">
                <Button size="compact-xs" variant="subtle" onClick={() => setOpen(v.version)} aria-label={t('campaignPage.viewVersion', { version: v.version })}>
                  {t('campaignPage.view')}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Modal closeButtonProps={{ 'aria-label': t('campaignList.close') }} opened={open !== null} onClose={() => setOpen(null)} title={t('campaignPage.versionTitle', { version: open ?? 0 })} size="xl">
        {doc.isPending ? (
          <Loader size="sm" aria-label={t('app.loading')} />
        ) : (
          // Reachable by keyboard: a long line scrolls.
          <Code block tabIndex={0}>
            {doc.data?.document ?? doc.error?.message}
          </Code>
        )}
      </Modal>
    </>
  );
}
