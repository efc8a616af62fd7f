import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { onUnauthorized } from '../api/client';
import { currentSession, SessionError } from '../api/session';

/** signInPath is the sign-in page's address that returns to path. */
export function signInPath(path: string, reason?: 'expired'): string {
  const q = new URLSearchParams({ next: path });
  if (reason) q.set('reason', reason);
  return `/sign-in?${q.toString()}`;
}

/** RequireSession shows its children to a signed-in user, and sends anyone
 * else, or anyone whose call answers 401, to sign-in, keeping where they
 * were. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const here = location.pathname + location.search + location.hash;
  const hereRef = useRef(here);
  useEffect(() => {
    hereRef.current = here;
  }, [here]);

  useEffect(
    () =>
      onUnauthorized(() => {
        client.removeQueries({ queryKey: ['session'] });
        navigate(signInPath(hereRef.current, 'expired'), { replace: true });
      }),
    [client, navigate],
  );

  const session = useQuery({ queryKey: ['session'], queryFn: currentSession, retry: false, staleTime: 60_000 });
  if (session.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label={t('session.checking')} />
      </Center>
    );
  }
  if (session.error) {
    if (session.error instanceof SessionError && session.error.status === 401) {
      return <Navigate to={signInPath(here)} replace />;
    }
    return (
      <Center h="100vh">
        <Stack>
          <Alert color="red" title={t('app.name')}>
            {t('session.unavailable', { message: session.error.message })}
          </Alert>
          <Button onClick={() => void session.refetch()}>{t('app.retry')}</Button>
        </Stack>
      </Center>
    );
  }
  return children;
}
