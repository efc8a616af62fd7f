import { Card, Group, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../layout/Shell';
import { TimeZoneSelect } from '../prefs/TimeZoneSelect';
import { Consent } from '../settings/Consent';
import { Suppressions } from '../settings/Suppressions';
import { useTitle } from '../useTitle';

export function Settings() {
  const { t } = useTranslation();
  useTitle(t('settings.title'));
  return (
    <Stack>
      <Title order={2}>{t('settings.title')}</Title>
      <Card withBorder component="section" aria-labelledby="display-title">
        <Title order={3} size="h4" mb="sm" id="display-title">
          {t('prefs.title')}
        </Title>
        <Stack>
          <Group justify="space-between">
            <Text>{t('settings.language')}</Text>
            <LanguageSwitch />
          </Group>
          <TimeZoneSelect />
        </Stack>
      </Card>
      <Consent />
      <Suppressions />
    </Stack>
  );
}
