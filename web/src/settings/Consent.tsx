import { Alert, Badge, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, APIError, must } from '../api/client';
import { formatTime } from '../format';

interface Entity {
  name: string;
  key?: string[];
  targeting?: Record<string, unknown>;
}

/** Consent looks a profile's consent up, per channel: its status, where it
 * came from and when. */
export function Consent() {
  const { t } = useTranslation();
  const model = useQuery({
    queryKey: ['model'],
    queryFn: async ({ signal }) => must(await api.GET('/api/model', { signal })),
    retry: false,
  });
  const dimensions = ((model.data?.model as { entities?: Entity[] } | undefined)?.entities ?? []).filter((e) => e.targeting);
  const [dimension, setDimension] = useState<string | null>(null);
  const dim = dimensions.find((d) => d.name === (dimension ?? dimensions[0]?.name));
  const keyAttrs = dim?.key ?? [];
  const [values, setValues] = useState<Record<string, string>>({});
  const [asked, setAsked] = useState<{ dimension: string; key: string[] } | null>(null);
  const lookup = useQuery({
    queryKey: ['consent', asked],
    queryFn: async ({ signal }) => (asked ? must(await api.GET('/api/consent', { params: { query: { dimension: asked.dimension, key: asked.key } }, signal })) : null),
    enabled: asked !== null,
    retry: false,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!dim) return;
    setAsked({ dimension: dim.name, key: keyAttrs.map((k) => (values[k] ?? '').trim()) });
  };
  return (
    <Card withBorder component="section" aria-labelledby="consent-title">
      <Title order={3} size="h4" mb="xs" id="consent-title">
        {t('settings.consent')}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {t('settings.consentIntro')}
      </Text>
      {model.error && <Alert color="red">{t('app.error', { message: model.error.message })}</Alert>}
      <form onSubmit={submit}>
        <Group align="end">
          {dimensions.length > 1 && (
            <Select label={t('settings.dimension')} data={dimensions.map((d) => d.name)} value={dim?.name ?? null} onChange={setDimension} allowDeselect={false} w={200} />
          )}
          {keyAttrs.map((k) => (
            <TextInput key={k} label={k} required value={values[k] ?? ''} onChange={(e) => setValues({ ...values, [k]: e.currentTarget.value })} w={200} />
          ))}
          <Button type="submit" disabled={!dim} loading={lookup.isFetching}>
            {t('settings.lookUp')}
          </Button>
        </Group>
      </form>
      {lookup.error && (
        <Alert color="red" mt="sm">
          {lookup.error instanceof APIError ? lookup.error.message : String(lookup.error)}
        </Alert>
      )}
      {lookup.data && (
        <Stack mt="md" gap="xs" aria-live="polite">
          <Text size="sm">{t('settings.profile', { profile: lookup.data.profile_key })}</Text>
          {(lookup.data.consent ?? []).length === 0 ? (
            <Text size="sm">{t('settings.noConsent')}</Text>
          ) : (
            <Table aria-label={t('settings.consentOf', { profile: lookup.data.profile_key })}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('settings.channel')}</Table.Th>
                  <Table.Th>{t('settings.status')}</Table.Th>
                  <Table.Th>{t('settings.source')}</Table.Th>
                  <Table.Th>{t('settings.updated')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(lookup.data.consent ?? []).map((c) => (
                  <Table.Tr key={c.channel}>
                    <Table.Td>{c.channel}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={c.status === 'opt_in' ? 'green' : 'red'}>
                        {t(`settings.consentStatus.${c.status}`)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{c.source}</Table.Td>
                    <Table.Td>{formatTime(c.updated_at)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      )}
    </Card>
  );
}
