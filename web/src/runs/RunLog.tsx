// A run's log (GET /api/runs/{id}/log): what happened to the run and each
// of its activities, in order, each line worded from its event and
// figures in the reader's language (the server's English message when an
// event is new to the console).
import { Alert, Badge, Button, Loader, Modal, Table } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, errorMessage } from '../api/client';
import type { components } from '../api/schema';
import { formatCount, formatDecimal, formatTime } from '../format';

type LogEntry = components['schemas']['LogEntry'];

const levelColors: Record<LogEntry['level'], string> = { info: 'gray', warn: 'orange', error: 'red' };

/** words says a line in the reader's language from its event and figures. */
function useWords() {
  const { t, i18n } = useTranslation();
  return (l: LogEntry): string => {
    const d = (l.details ?? {}) as Record<string, unknown>;
    const n = (k: string) => formatCount(Number(d[k] ?? 0));
    const key = l.event === 'failed' && l.activity === '' ? 'runFailed' : l.event;
    if (!i18n.exists(`runLog.event.${key}`)) return l.message;
    const outputs = Object.entries((d.outputs ?? {}) as Record<string, number>);
    return t(`runLog.event.${key}`, {
      attempt: d.attempt,
      attempts: d.attempts,
      error: d.error ?? '',
      activity: d.activity ?? '',
      mode: d.mode ? t(`run.mode.${String(d.mode)}`) : '',
      version: d.version,
      trigger: d.trigger ?? '',
      by: d.by ? t('runLog.by', { who: d.by }) : '',
      messages: n('messages'),
      rowsIn: n('rows_in'),
      rowsOut: n('rows_out'),
      seconds: formatDecimal(Number(d.ms ?? 0) / 1000, 2),
      retryIn: n('retry_in_s'),
      outputs: outputs.length > 1 ? ` (${outputs.map(([port, rows]) => `${port} ${formatCount(rows)}`).join(', ')})` : '',
    });
  };
}

/** LogTable lists lines of a run's log. */
function LogTable({ run, activity, stamp }: { run: number; activity?: string; stamp: string }) {
  const { t } = useTranslation();
  const words = useWords();
  // stamp changes with the run's state: a line written since is read.
  const log = useQuery({
    queryKey: ['runLog', run, activity ?? null, stamp],
    queryFn: async ({ signal }): Promise<LogEntry[]> => {
      const query = activity === undefined ? {} : { activity };
      const { data, error } = await api.GET('/api/runs/{id}/log', { params: { path: { id: run }, query }, signal });
      if (error) throw new Error(errorMessage(error));
      return data.entries ?? [];
    },
    placeholderData: (previous) => previous,
  });
  if (log.isPending) return <Loader size="sm" aria-label={t('app.loading')} />;
  if (log.error) return <Alert color="red">{t('app.error', { message: log.error.message })}</Alert>;
  const lines = log.data ?? [];
  if (lines.length === 0) return <Alert color="gray">{t('runLog.empty')}</Alert>;
  return (
    <Table striped aria-label={activity === undefined ? t('runLog.runTitle', { id: run }) : t('runLog.title', { activity })}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('runLog.at')}</Table.Th>
          {activity === undefined && <Table.Th>{t('runMonitor.activity')}</Table.Th>}
          <Table.Th>{t('runLog.level')}</Table.Th>
          <Table.Th>{t('runLog.what')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {lines.map((l) => (
          <Table.Tr key={l.seq} data-log-event={l.event} data-log-activity={l.activity}>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(l.at)}</Table.Td>
            {activity === undefined && <Table.Td>{l.activity || t('runLog.theRun')}</Table.Td>}
            <Table.Td>
              <Badge color={levelColors[l.level]} variant="light">
                {t(`runLog.levels.${l.level}`)}
              </Badge>
            </Table.Td>
            <Table.Td>{words(l)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** RunLogButton opens a run's log, or one activity's lines, in a dialog
 * that follows the run (stamp: see LogTable). */
export function RunLogButton({ run, activity, stamp }: { run: number; activity?: string; stamp: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const title = activity === undefined ? t('runLog.runTitle', { id: run }) : t('runLog.title', { activity });
  return (
    <>
      <Button size="compact-sm" variant="default" onClick={() => setOpen(true)} aria-label={title}>
        {activity === undefined ? t('runLog.runButton') : t('runLog.button')}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title} size="xl" closeButtonProps={{ 'aria-label': t('campaignList.close') }}>
        {open && <LogTable run={run} activity={activity} stamp={stamp} />}
      </Modal>
    </>
  );
}
