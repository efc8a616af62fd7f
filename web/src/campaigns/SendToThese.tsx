import { Button, Modal, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { stringify } from 'yaml';
import { api, errorMessage } from '../api/client';
import { formatCount } from '../format';
import type { CampaignDoc } from './doc';

/** Whom "send to these" sends to: a query's JSON tree over a dimension,
 * a saved audience, or the rows a run's transition carried (kept first as
 * an audience of the campaign's name). */
export type Recipients = { dimension?: string; where: unknown } | { audience: string } | { run: number; activity: string; port: string };

const CHANNELS = ['email', 'sms', 'push'] as const;
type Channel = (typeof CHANNELS)[number];

/** draftFor is the campaign that sends one message to the recipients: the
 * audience, one channel activity (its content to write), and the send held
 * for an operator's confirmation, which shows the count. */
export function draftFor(name: string, to: Exclude<Recipients, { run: number }>, channel: Channel): CampaignDoc {
  const audience =
    'audience' in to ? { type: 'read_audience', audience: to.audience } : { type: 'build_audience', where: to.where, ...(to.dimension ? { dimension: to.dimension } : {}) };
  return {
    name,
    description: 'audience' in to ? `Sent to the saved audience ${to.audience}.` : 'Sent to an audience built in the console.',
    ...('audience' in to || !to.dimension ? {} : { dimension: to.dimension }),
    policy: { confirm_send: true },
    activities: { start: { type: 'start' }, audience, [channel]: { type: channel } },
    transitions: ['start -> audience', `audience -> ${channel}`],
  };
}

/** SendToThese turns an audience into a draft campaign at once — the
 * audience and one channel activity, with confirm_send on — and opens it on
 * the canvas with the channel's message editor. Nothing is sent before the
 * campaign is published, run, and its send confirmed. */
export function SendToThese({ to, count }: { to: Recipients; count?: number }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<Channel>('email');
  const create = useMutation({
    mutationFn: async () => {
      const n = name.trim();
      let recipients: Exclude<Recipients, { run: number }>;
      if ('run' in to) {
        // The transition's rows, kept as an audience of the campaign's name.
        const saved = await api.POST('/api/runs/{id}/audience', { params: { path: { id: to.run } }, body: { activity: to.activity, port: to.port, name: n } });
        if (saved.error) throw new Error(errorMessage(saved.error));
        recipients = { audience: n };
      } else {
        recipients = to;
      }
      const { error } = await api.PUT('/api/campaigns/{name}/draft', {
        params: { path: { name: n } },
        body: { document: stringify(draftFor(n, recipients, channel)), revision: 0 },
      });
      if (error) throw new Error(errorMessage(error));
      return n;
    },
    onSuccess: (n) => navigate(`/campaigns/${encodeURIComponent(n)}/edit?select=${channel}`),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() !== '') create.mutate();
  };
  return (
    <>
      <Button variant="light" onClick={open}>
        {count === undefined ? t('sendTo.button') : t('sendTo.buttonCount', { count: formatCount(count) })}
      </Button>
      <Modal closeButtonProps={{ 'aria-label': t('sendTo.close') }} opened={opened} onClose={close} title={t('sendTo.title')}>
        <form onSubmit={submit}>
          <Stack gap="sm">
            <Text size="sm">{t('sendTo.explain')}</Text>
            {'run' in to && <Text size="sm">{t('sendTo.fromRun')}</Text>}
            <TextInput label={t('sendTo.name')} description={t('sendTo.nameRule')} value={name} onChange={(e) => setName(e.currentTarget.value)} required data-autofocus />
            <div>
              <Text size="sm" fw={500} id="send-channel">
                {t('sendTo.channel')}
              </Text>
              <SegmentedControl aria-labelledby="send-channel" value={channel} onChange={(v) => setChannel(v as Channel)} data={CHANNELS.map((c) => ({ value: c, label: t(`sendTo.channels.${c}`) }))} />
            </div>
            {create.error && (
              <Text size="sm" c="red" role="alert">
                {create.error.message}
              </Text>
            )}
            <Button type="submit" loading={create.isPending} disabled={name.trim() === ''}>
              {t('sendTo.create')}
            </Button>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
