import { Alert, Anchor, Badge, Box, Button, Card, Code, Group, Image, Loader, Paper, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, APIError, must } from '../api/client';
import { formatBytes, formatTime } from '../format';
import { useTitle } from '../useTitle';
import { content, origin, type EmailContent, type PushContent, type SMSContent } from './content';
import { segmentInfo } from './sms';

/** MessagePage shows one captured message: an email's headers, text and
 * HTML (in a sandboxed frame: no scripts, another origin), an SMS with its
 * segments, a push as the phone would show it. */
export function MessagePage() {
  const { t } = useTranslation();
  const id = useParams().id ?? '';
  useTitle(t('messages.message'));
  const msg = useQuery({
    queryKey: ['message', id],
    queryFn: async ({ signal }) => must(await api.GET('/api/messages/{id}', { params: { path: { id } }, signal })),
    retry: false,
  });
  const o = origin(id);
  const c = content(msg.data?.content);
  return (
    <Stack>
      <Anchor component={Link} to={o.run !== undefined ? `/messages?run=${o.run}` : '/messages'} size="sm">
        {t('messages.back')}
      </Anchor>
      <Title order={2}>{t('messages.message')}</Title>
      {msg.isPending && <Loader size="sm" aria-label={t('app.loading')} />}
      {msg.error &&
        (msg.error instanceof APIError && msg.error.status === 404 ? (
          <Alert color="yellow">{t('messages.notFound')}</Alert>
        ) : (
          <Alert color="red">{t('app.error', { message: msg.error.message })}</Alert>
        ))}
      {msg.data && (
        <>
          <Card withBorder>
            <Table variant="vertical" withTableBorder={false} aria-label={t('messages.envelope')}>
              <Table.Tbody>
                <Row label={t('messages.id')} value={<Code>{msg.data.id}</Code>} />
                <Row label={t('messages.channel')} value={<Badge variant="light">{c.email ? t('messages.channels.email') : c.sms ? t('messages.channels.sms') : c.push ? t('messages.channels.push') : msg.data.channel}</Badge>} />
                <Row label={t('messages.to')} value={msg.data.address} />
                <Row label={t('messages.sent')} value={formatTime(msg.data.sent_at)} />
                {o.activity && <Row label={t('messages.activity')} value={t('messages.fromRun', { run: o.run, activity: o.activity })} />}
                {msg.data.copies > 1 && <Row label={t('messages.copiesLabel')} value={<Text c="red">{t('messages.copies', { count: msg.data.copies })}</Text>} />}
              </Table.Tbody>
            </Table>
          </Card>
          {c.email && <Email id={msg.data.id} email={c.email} dropped={c.email.body_dropped_bytes ?? c.body_dropped_bytes} />}
          {c.sms && <SMS sms={c.sms} />}
          {c.push && <Push push={c.push} platform={c.platform ?? c.push.platform} />}
        </>
      )}
    </Stack>
  );
}

function Row({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={180}>{label}</Table.Th>
      <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
    </Table.Tr>
  );
}

function Email({ id, email, dropped }: { id: string; email: EmailContent; dropped?: number }) {
  const { t } = useTranslation();
  const headers: [string, string | undefined][] = [
    [t('messages.from'), email.from],
    [t('messages.replyTo'), email.reply_to],
    [t('messages.subject'), email.subject],
    [t('messages.preheader'), email.preheader],
    [t('messages.unsubscribe'), email.unsubscribe_url],
    ...Object.entries(email.headers ?? {}),
  ];
  const kept = !!(email.html || email.text);
  // Remote images load only once the reader asks (a click): loading them
  // may tell the sender the email was opened.
  const [remote, setRemote] = useState(false);
  const src = `/api/messages/${encodeURIComponent(id)}/html${remote ? '?images=remote' : ''}`;
  return (
    <>
      <Card withBorder component="section" aria-labelledby="headers-title">
        <Title order={3} size="h4" mb="sm" id="headers-title">
          {t('messages.headers')}
        </Title>
        <Table variant="vertical" withTableBorder={false} aria-labelledby="headers-title">
          <Table.Tbody>
            {headers
              .filter(([, v]) => v)
              .map(([k, v]) => (
                <Row key={k} label={k} value={v} />
              ))}
          </Table.Tbody>
        </Table>
      </Card>
      {!kept && <Alert color="blue">{dropped ? t('messages.dropped', { size: formatBytes(dropped) }) : t('messages.noBody')}</Alert>}
      {kept && (
        <Tabs defaultValue={email.html ? 'html' : 'text'} keepMounted={false}>
          <Tabs.List aria-label={t('messages.parts')}>
            <Tabs.Tab value="html" disabled={!email.html}>
              {t('messages.html')}
            </Tabs.Tab>
            <Tabs.Tab value="text" disabled={!email.text}>
              {t('messages.text')}
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="html" pt="sm">
            {/* sandbox="" with no allow-* token: no script runs, and the
                frame is another origin, so it reaches neither the console
                nor its cookie; the server's CSP loads nothing remote. */}
            <Group justify="space-between" mb="xs">
              <Text size="xs" c="dimmed">
                {remote ? t('inbox.remoteShown') : t('messages.htmlNote')}
              </Text>
              <Button size="xs" variant="default" onClick={() => setRemote(!remote)}>
                {remote ? t('inbox.hideRemote') : t('inbox.showRemote')}
              </Button>
            </Group>
            <Box
              component="iframe"
              key={src}
              sandbox=""
              src={src}
              title={t('messages.htmlFrame', { subject: email.subject ?? '' })}
              referrerPolicy="no-referrer"
              w="100%"
              h={600}
              style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 4, background: 'white' }}
            />
          </Tabs.Panel>
          <Tabs.Panel value="text" pt="sm">
            <Code block style={{ whiteSpace: 'pre-wrap' }}>
              {email.text}
            </Code>
          </Tabs.Panel>
        </Tabs>
      )}
    </>
  );
}

function Phone({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Paper withBorder radius={28} p="md" pt="xl" maw={340} bg="var(--mantine-color-gray-1)" role="figure" aria-label={label} style={{ minHeight: 220 }}>
      {children}
    </Paper>
  );
}

function SMS({ sms }: { sms: SMSContent }) {
  const { t } = useTranslation();
  const info = segmentInfo(sms.text ?? '');
  return (
    <Card withBorder component="section" aria-labelledby="sms-title">
      <Title order={3} size="h4" mb="sm" id="sms-title">
        {t('messages.sms')}
      </Title>
      <Group align="start" gap="xl">
        <Phone label={t('messages.smsPreview')}>
          {sms.from && (
            <Text size="xs" c="dimmed" ta="center" mb="xs">
              {sms.from}
            </Text>
          )}
          <Paper radius="lg" p="sm" bg="var(--mantine-color-body)" shadow="xs" maw="85%">
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {sms.text}
            </Text>
          </Paper>
        </Phone>
        <Stack gap={4}>
          <Text fw={600}>{t('messages.segments', { count: info.segments })}</Text>
          <Text size="sm">{t('messages.encoding', { encoding: info.encoding, chars: info.chars })}</Text>
          <Text size="xs" c="dimmed" maw={320}>
            {t('messages.segmentsHelp')}
          </Text>
        </Stack>
      </Group>
    </Card>
  );
}

function Push({ push, platform }: { push: PushContent; platform?: string }) {
  const { t } = useTranslation();
  const details: [string, string | number | undefined][] = [
    [t('messages.platform'), platform],
    [t('messages.deepLink'), push.deep_link],
    [t('messages.image'), push.image],
    [t('messages.badge'), push.badge],
    [t('messages.sound'), push.sound],
    [t('messages.category'), push.category],
    [t('messages.androidChannel'), push.android_channel],
    [t('messages.priority'), push.priority],
    ...Object.entries(push.data ?? {}).map(([k, v]) => [t('messages.dataKey', { key: k }), v] as [string, string]),
  ];
  return (
    <Card withBorder component="section" aria-labelledby="push-title">
      <Title order={3} size="h4" mb="sm" id="push-title">
        {t('messages.push')}
      </Title>
      <Group align="start" gap="xl">
        <Phone label={t('messages.pushPreview')}>
          <Paper radius="lg" p="sm" bg="var(--mantine-color-body)" shadow="sm">
            <Group gap="xs" mb={4}>
              <Text size="xs" fw={600} c="dimmed">
                {t('app.name')}
              </Text>
              <Text size="xs" c="dimmed">
                {t('messages.now')}
              </Text>
            </Group>
            {push.title && (
              <Text size="sm" fw={600}>
                {push.title}
              </Text>
            )}
            {push.body && <Text size="sm">{push.body}</Text>}
            {push.image?.startsWith('data:') && <Image src={push.image} alt="" radius="sm" mt="xs" />}
          </Paper>
        </Phone>
        <Table variant="vertical" withTableBorder={false} maw={480} aria-labelledby="push-title">
          <Table.Tbody>
            {details
              .filter(([, v]) => v !== undefined && v !== '')
              .map(([k, v]) => (
                <Row key={k} label={k} value={String(v)} />
              ))}
          </Table.Tbody>
        </Table>
      </Group>
    </Card>
  );
}
