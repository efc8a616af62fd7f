import { Button, ScrollArea, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { groupColor } from './ActivityNode';
import type { ActivityType } from './model';

/** The drag's data type: an activity type dropped on the canvas. */
export const DRAG_TYPE = 'application/x-fanfare-activity';

const groups = ['flow', 'targeting', 'channel'] as const;

/** Palette lists every activity type by group: drag one onto the canvas,
 * or press it (click, Enter) to add it in the middle of the view. */
export function Palette({ types, onAdd }: { types: ActivityType[]; onAdd: (type: string) => void }) {
  const { t } = useTranslation();
  return (
    <ScrollArea h="100%" type="auto" viewportProps={{ tabIndex: -1 }}>
      <Stack gap="xs" p="xs" component="nav" aria-label={t('canvas.palette')}>
        {groups.map((g) => (
          <Stack key={g} gap={4} role="group" aria-labelledby={`palette-${g}`}>
            <Text size="xs" fw={700} c="dimmed" tt="uppercase" id={`palette-${g}`}>
              {t(`canvas.group.${g}`)}
            </Text>
            {types
              .filter((ty) => ty.group === g)
              .map((ty) => (
                <Button
                  key={ty.type}
                  size="compact-sm"
                  variant="light"
                  color={groupColor[g]}
                  justify="flex-start"
                  draggable
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, ty.type);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onClick={() => onAdd(ty.type)}
                  aria-label={t('canvas.add', { type: ty.type })}
                  data-testid={`palette-${ty.type}`}
                >
                  {ty.type}
                </Button>
              ))}
          </Stack>
        ))}
      </Stack>
    </ScrollArea>
  );
}
