import { Button, Card, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, errorMessage, type ErrorBody, type Schemas } from '../api/client';
import { formatCount } from '../format';
import type { Node } from './tree/node';

class SaveError extends Error {
  constructor(
    readonly body: ErrorBody | undefined,
    readonly status: number,
  ) {
    super(errorMessage(body));
  }
}

/** SaveAudience saves the builder's query (its JSON tree) as a named
 * audience, its rows as of now, and opens it. */
export function SaveAudience({ where, count }: { where: Node; count?: number }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');

  const save = useMutation({
    mutationFn: async (): Promise<Schemas['Audience']> => {
      const { data, error, response } = await api.POST('/api/audiences', { body: { name: name.trim(), description: description.trim(), where: where as Record<string, never> } });
      if (!data) throw new SaveError(error as ErrorBody | undefined, response.status);
      return data;
    },
    onSuccess: (a) => {
      void client.invalidateQueries({ queryKey: ['audiences'] });
      notifications.show({ color: 'green', message: t('builder.saved', { name: a.name, count: formatCount(a.count) }) });
      navigate(`/audiences/${encodeURIComponent(a.name)}`);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() !== '') save.mutate();
  };
  const err = save.error instanceof SaveError ? save.error : undefined;
  const nameError = err?.status === 409 ? t('builder.nameTaken', { name: name.trim() }) : undefined;

  return (
    <Card withBorder component="section" aria-labelledby="save-title">
      <form onSubmit={submit}>
        <Stack gap="sm">
          <Title order={3} size="h5" id="save-title">
            {t('builder.save')}
          </Title>
          <TextInput label={t('audiences.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={nameError} required />
          <TextInput label={t('audiences.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          {save.error && !nameError && (
            <Text size="sm" c="red" role="alert">
              {t('builder.saveFailed', { message: save.error.message })}
            </Text>
          )}
          <Button type="submit" loading={save.isPending} disabled={name.trim() === ''}>
            {count === undefined ? t('builder.save') : t('builder.saveCount', { count: formatCount(count) })}
          </Button>
        </Stack>
      </form>
    </Card>
  );
}
