import { Alert, Button, Center, Group, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { SessionError, signIn } from '../api/session';
import { LanguageSwitch } from '../layout/Shell';
import { useTitle } from '../useTitle';

/** safeNext keeps a return address only when it is a path of this site
 * (never another origin: no open redirect). */
function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/sign-in')) return '/';
  return next;
}

/** SignIn exchanges an API token for the session cookie, then returns to
 * the page the user was on. */
export function SignIn() {
  const { t } = useTranslation();
  useTitle(t('signIn.submit'));
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reason = params.get('reason');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (token.trim() === '') {
      setError(t('signIn.tokenRequired'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(token.trim());
      client.setQueryData(['session'], session);
      // resume: the page left for sign-in takes up its unsaved work
      // (the builder's draft) rather than what its address says.
      navigate(safeNext(params.get('next')), { replace: true, state: { resume: true } });
    } catch (err) {
      setError(err instanceof SessionError && err.status === 401 ? t('signIn.invalid') : t('signIn.failed', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={420} component="main">
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Stack>
            <Group justify="space-between">
              <Title order={1} size="h2">
                {t('signIn.title')}
              </Title>
              <LanguageSwitch />
            </Group>
            {reason === 'expired' && <Alert color="yellow">{t('session.expired')}</Alert>}
            {reason === 'signed-out' && <Alert color="blue">{t('session.signedOut')}</Alert>}
            <Text size="sm">{t('signIn.intro')}</Text>
            <PasswordInput
              label={t('signIn.token')}
              description={t('signIn.tokenHelp')}
              value={token}
              onChange={(e) => setToken(e.currentTarget.value)}
              error={error ?? undefined}
              autoComplete="current-password"
              data-autofocus
              required
            />
            <Button type="submit" loading={busy}>
              {t('signIn.submit')}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
