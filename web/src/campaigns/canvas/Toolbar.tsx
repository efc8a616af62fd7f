import { Anchor, Badge, Button, FileButton, Group, SegmentedControl, Title, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { SaveStatus } from './useDraft';

export type View = 'canvas' | 'yaml';

interface Props {
  name: string;
  status: SaveStatus;
  view: View;
  onView: (v: View) => void;
  canUndo: boolean;
  canRedo: boolean;
  onUndo: () => void;
  onRedo: () => void;
  onTidy: () => void;
  onImport: (file: File | null) => void;
  onExport: () => void;
  onSaveVersion: () => void;
  onPublish: () => void;
  onSimulate: () => void;
  /** The action under way, if any. */
  busy?: 'save' | 'publish' | 'simulate';
  runId?: number;
}

const statusColor: Record<SaveStatus, string> = { saved: 'green', saving: 'blue', unsaved: 'gray', conflict: 'orange', error: 'red' };

/** Toolbar: the campaign's name and draft state, the edit commands, the
 * views, and the actions (save a version, publish, simulate). */
export function Toolbar(p: Props) {
  const { t } = useTranslation();
  return (
    <Group justify="space-between" gap="xs" wrap="wrap">
      <Group gap="xs">
        <Title order={2} size="h3">
          {t('canvas.title', { name: p.name })}
        </Title>
        <Badge color={statusColor[p.status]} variant="light" data-testid="save-status" aria-live="polite">
          {t(`canvas.status.${p.status}`)}
        </Badge>
        <Anchor component={Link} to={`/campaigns/${encodeURIComponent(p.name)}`} size="sm">
          {t('canvas.back')}
        </Anchor>
      </Group>
      <Group gap="xs">
        <Tooltip label={t('canvas.undoHint')}>
          <Button size="xs" variant="default" onClick={p.onUndo} disabled={!p.canUndo}>
            {t('canvas.undo')}
          </Button>
        </Tooltip>
        <Tooltip label={t('canvas.redoHint')}>
          <Button size="xs" variant="default" onClick={p.onRedo} disabled={!p.canRedo}>
            {t('canvas.redo')}
          </Button>
        </Tooltip>
        <Button size="xs" variant="default" onClick={p.onTidy} disabled={p.view !== 'canvas'}>
          {t('canvas.tidy')}
        </Button>
        <SegmentedControl
          size="xs"
          aria-label={t('canvas.view')}
          value={p.view}
          onChange={(v) => p.onView(v as View)}
          data={[
            { value: 'canvas', label: t('canvas.viewCanvas') },
            { value: 'yaml', label: t('canvas.viewYaml') },
          ]}
        />
        <FileButton onChange={p.onImport} accept=".yaml,.yml,.json,application/json,application/yaml">
          {(props) => (
            <Button size="xs" variant="default" {...props}>
              {t('canvas.import')}
            </Button>
          )}
        </FileButton>
        <Button size="xs" variant="default" onClick={p.onExport}>
          {t('canvas.export')}
        </Button>
        <Button size="xs" variant="default" onClick={p.onSaveVersion} loading={p.busy === 'save'} disabled={!!p.busy}>
          {t('canvas.saveVersion')}
        </Button>
        <Button size="xs" variant="light" onClick={p.onPublish} loading={p.busy === 'publish'} disabled={!!p.busy}>
          {t('canvas.publish')}
        </Button>
        <Button size="xs" onClick={p.onSimulate} loading={p.busy === 'simulate'} disabled={!!p.busy}>
          {t('canvas.simulate')}
        </Button>
        {p.runId !== undefined && (
          <Anchor component={Link} to={`/runs/${p.runId}`} size="sm" data-testid="run-link">
            {t('canvas.runLink', { id: p.runId })}
          </Anchor>
        )}
      </Group>
    </Group>
  );
}
