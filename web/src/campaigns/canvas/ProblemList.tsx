import { Badge, Group, ScrollArea, Text, UnstyledButton } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CampaignProblem } from './draftApi';

interface Props {
  problems: CampaignProblem[];
  pending: boolean;
  /** Select and centre an activity. */
  onPick: (activity: string) => void;
}

/** ProblemList lists the document's problems; one of an activity, pressed,
 * selects and centres it. */
export function ProblemList({ problems, pending, onPick }: Props) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="problems-title" aria-busy={pending} data-testid="problem-list">
      <Group gap="xs" px="xs" py={4}>
        <Text size="sm" fw={600} id="problems-title">
          {t('canvas.problems')}
        </Text>
        <Badge size="sm" color={problems.length > 0 ? 'red' : 'green'} variant="light">
          {problems.length}
        </Badge>
        {problems.length === 0 && (
          <Text size="xs" c="dimmed">
            {t('canvas.noProblems')}
          </Text>
        )}
      </Group>
      {problems.length > 0 && (
        <ScrollArea.Autosize mah={120} type="auto" viewportProps={{ tabIndex: 0 }}>
          <ul style={{ margin: 0, padding: '0 8px 4px', listStyle: 'none' }}>
            {problems.map((p, i) => (
              <li key={i}>
                {p.activity ? (
                  <UnstyledButton onClick={() => onPick(p.activity!)} fz="sm" data-activity={p.activity}>
                    {t('canvas.problemOf', { activity: p.activity, path: p.path, message: p.message })}
                  </UnstyledButton>
                ) : (
                  <Text size="sm">{t('canvas.problemAt', { path: p.path || t('canvas.document'), message: p.message })}</Text>
                )}
              </li>
            ))}
          </ul>
        </ScrollArea.Autosize>
      )}
    </section>
  );
}
