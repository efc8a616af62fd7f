import { Alert, Anchor, Button, Group, Loader, Menu, Select, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, must } from '../api/client';
import { formatTime } from '../format';
import { useTitle } from '../useTitle';
import { ArchiveCampaign, DeleteCampaign, DuplicateCampaign, NewCampaign, type CampaignDialog } from './list/CampaignDialogs';
import { keys, type Campaign, type Run } from './list/campaignApi';
import { LastRun, NextOccurrence, StatusBadge, Versions } from './list/CampaignCells';

/** The status filter's choices: active (drafts and published, the
 * default: archived campaigns are put away), one status, or all. */
const filters = ['active', 'draft', 'published', 'archived', 'all'] as const;
type Filter = (typeof filters)[number];

function shown(c: Campaign, filter: Filter, q: string): boolean {
  if (filter === 'active' && c.status === 'archived') return false;
  if (filter !== 'active' && filter !== 'all' && c.status !== filter) return false;
  return q === '' || c.name.toLowerCase().includes(q.toLowerCase());
}

/** CampaignList shows the campaigns with their status, versions, last run
 * and next scheduled run; filtered by status and searched by name, both
 * kept in the address. */
export function CampaignList() {
  const { t } = useTranslation();
  useTitle(t('campaignList.title'));
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const filter: Filter = (filters as readonly string[]).includes(params.get('status') ?? '') ? (params.get('status') as Filter) : 'active';
  const setParam = (key: string, value: string, fallback: string) =>
    setParams(
      (p) => {
        if (value === fallback) p.delete(key);
        else p.set(key, value);
        return p;
      },
      { replace: true },
    );
  const list = useQuery({
    queryKey: keys.list,
    queryFn: async ({ signal }) => must(await api.GET('/api/campaigns', { signal })).campaigns ?? [],
  });
  // The last run of each campaign, from one list of the recent runs (not
  // one call per campaign); a campaign whose runs are older shows none.
  const runs = useQuery({
    queryKey: keys.recentRuns,
    queryFn: async ({ signal }) => must(await api.GET('/api/runs', { params: { query: { limit: 500 } }, signal })).runs ?? [],
  });
  const lastRun = new Map<string, Run>();
  for (const r of runs.data ?? []) if (!lastRun.has(r.campaign)) lastRun.set(r.campaign, r);
  const [dialog, setDialog] = useState<{ kind: CampaignDialog; campaign: Campaign }>();
  const rows = (list.data ?? []).filter((c) => shown(c, filter, q));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('campaignList.title')}</Title>
        <NewCampaign />
      </Group>
      <Group align="flex-end">
        <TextInput label={t('campaignList.search')} placeholder={t('campaignList.searchHint')} value={q} onChange={(e) => setParam('q', e.currentTarget.value, '')} w={280} />
        <Select
          label={t('campaignList.filter')}
          data={filters.map((f) => ({ value: f, label: t(`campaignList.filters.${f}`) }))}
          value={filter}
          onChange={(v) => setParam('status', v ?? 'active', 'active')}
          allowDeselect={false}
          w={220}
        />
      </Group>
      {list.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {list.error && <Alert color="red">{t('app.error', { message: list.error.message })}</Alert>}
      {list.data && list.data.length === 0 && <Text>{t('campaignList.empty')}</Text>}
      {list.data && list.data.length > 0 && rows.length === 0 && <Text>{t('campaignList.noneShown')}</Text>}
      {rows.length > 0 && (
        <Table striped highlightOnHover aria-label={t('campaignList.listLabel')} verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('campaignList.name')}</Table.Th>
              <Table.Th>{t('campaignList.status')}</Table.Th>
              <Table.Th>{t('campaignList.versions')}</Table.Th>
              <Table.Th>{t('campaignList.lastRun')}</Table.Th>
              <Table.Th>{t('campaignList.next')}</Table.Th>
              <Table.Th>{t('campaignList.updated')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('campaignList.actions')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.name}>
                <Table.Td>
                  <Anchor component={Link} to={`/campaigns/${encodeURIComponent(c.name)}${c.latest_version > 0 ? '' : '/edit'}`}>
                    {c.name}
                  </Anchor>
                </Table.Td>
                <Table.Td miw={110}>
                  <StatusBadge status={c.status} />
                </Table.Td>
                <Table.Td>
                  <Versions campaign={c} />
                </Table.Td>
                <Table.Td>{runs.isPending ? <Loader size="xs" aria-label={t('app.loading')} /> : <LastRun run={lastRun.get(c.name)} />}</Table.Td>
                <Table.Td>{c.status === 'published' && <NextOccurrence name={c.name} />}</Table.Td>
                <Table.Td>{formatTime(c.updated_at)}</Table.Td>
                <Table.Td>
                  <Menu position="bottom-end">
                    <Menu.Target>
                      <Button size="compact-sm" variant="subtle" aria-label={t('campaignList.actionsOf', { name: c.name })}>
                        {t('campaignList.actions')}
                      </Button>
                    </Menu.Target>
                    <Menu.Dropdown>
                      <Menu.Item component={Link} to={`/campaigns/${encodeURIComponent(c.name)}/edit`}>
                        {t('campaignList.edit')}
                      </Menu.Item>
                      <Menu.Item onClick={() => setDialog({ kind: 'duplicate', campaign: c })}>{t('campaignList.duplicate')}</Menu.Item>
                      <Menu.Item onClick={() => setDialog({ kind: 'archive', campaign: c })}>{t(c.status === 'archived' ? 'campaignList.unarchive' : 'campaignList.archive')}</Menu.Item>
                      <Menu.Item color="red" onClick={() => setDialog({ kind: 'delete', campaign: c })}>
                        {t('campaignList.delete')}
                      </Menu.Item>
                    </Menu.Dropdown>
                  </Menu>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {dialog && (
        <>
          <DuplicateCampaign campaign={dialog.campaign} opened={dialog.kind === 'duplicate'} onClose={() => setDialog(undefined)} />
          <ArchiveCampaign campaign={dialog.campaign} opened={dialog.kind === 'archive'} onClose={() => setDialog(undefined)} />
          <DeleteCampaign campaign={dialog.campaign} opened={dialog.kind === 'delete'} onClose={() => setDialog(undefined)} />
        </>
      )}
    </Stack>
  );
}
