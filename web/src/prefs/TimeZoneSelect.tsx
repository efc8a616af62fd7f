import { Select } from '@mantine/core';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { formatTime } from '../format';
import { browserChoice, browserTimeZone, chooseTimeZone, timeZoneChoice, timeZones } from './timeZone';

/** TimeZoneSelect picks the zone every time of the console is shown in:
 * the browser's (the default), UTC or any zone the browser knows, found
 * by typing part of its name (the first few matches shown). */
export function TimeZoneSelect() {
  const { t } = useTranslation();
  const zones = useMemo(() => timeZones(), []);
  const data = [{ value: browserChoice, label: t('prefs.browserZone', { zone: browserTimeZone() }) }, ...zones.map((z) => ({ value: z, label: z }))];
  return (
    <Select
      label={t('prefs.timeZone')}
      description={t('prefs.timeZoneNow', { time: formatTime(new Date().toISOString()) })}
      searchable
      allowDeselect={false}
      nothingFoundMessage={t('prefs.noZone')}
      // A few at a time, found by typing: a list of 400 zones would need
      // a scrolled region, which a keyboard cannot scroll (focus stays on
      // the input) and axe fails.
      limit={8}
      maxDropdownHeight={400}
      value={timeZoneChoice()}
      onChange={(v) => v && chooseTimeZone(v)}
      data={data}
      w={340}
    />
  );
}
