import { Badge, Group, Paper, Text, Tooltip } from '@mantine/core';
import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Activity } from '../doc';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';
import type { ActivityType } from './model';

/** ActivityData is what the canvas draws of one activity. */
export type ActivityData = {
  activity: Activity;
  type?: ActivityType;
  outputs: string[];
  problems: number;
  /** The activity's state in the run shown, if any. */
  state?: string;
  rowsOut?: number;
};

export type ActivityNodeType = Node<ActivityData, 'activity'>;

/** The icon of each palette group (letters of the type, not pictures: no
 * image to label). */
export const groupColor: Record<string, string> = { flow: 'gray', targeting: 'indigo', channel: 'grape' };

// Ports large enough to grab at the zoom a whole campaign fits in.
const handle = { width: 10, height: 10 };

const stateColor: Record<string, string> = {
  pending: 'gray',
  queued: 'gray',
  running: 'blue',
  held: 'yellow',
  done: 'green',
  skipped: 'gray',
  failed: 'red',
  stopped: 'orange',
};

/** ActivityNode draws an activity: its type, id and label, an input on
 * the left (none for an entry), one named output per port on the right. */
export const ActivityNode = memo(function ActivityNode({ id, data, selected }: NodeProps<ActivityNodeType>) {
  const { t } = useTranslation();
  const { activity, type, outputs, problems, state } = data;
  // React Flow measures a node's ports when it first draws it: when they
  // change later (a split's subset or remainder added, a test's branch),
  // it must measure them again, or the transitions from the new ones are
  // not drawn. Not on the first draw: measuring twice then disturbs the
  // layout being written.
  const updateNodeInternals = useUpdateNodeInternals();
  const ports = outputs.join('\n');
  const drawn = useRef(ports);
  useEffect(() => {
    if (drawn.current === ports) return;
    drawn.current = ports;
    updateNodeInternals(id);
  }, [id, ports, updateNodeInternals]);
  const group = type?.group ?? 'flow';
  const label = typeof activity.label === 'string' ? activity.label : undefined;
  const border = problems > 0 ? 'var(--mantine-color-red-6)' : selected ? 'var(--mantine-color-blue-6)' : state ? `var(--mantine-color-${stateColor[state] ?? 'gray'}-6)` : 'var(--mantine-color-gray-4)';
  const height = Math.max(NODE_HEIGHT, 30 + outputs.length * 18);
  return (
    <Paper
      shadow={selected ? 'md' : 'xs'}
      radius="sm"
      p={6}
      style={{ width: NODE_WIDTH, minHeight: height, border: `2px solid ${border}`, background: 'var(--mantine-color-body)' }}
      data-testid={`activity-${id}`}
      data-problems={problems}
      data-state={state ?? ''}
      aria-label={t('canvas.nodeLabel', { id, type: activity.type })}
    >
      {!type?.entry && <Handle type="target" position={Position.Left} id="in" style={handle} />}
      <Group gap={4} wrap="nowrap" justify="space-between">
        <Badge size="xs" variant="light" color={groupColor[group] ?? 'gray'} style={{ textTransform: 'none' }}>
          {activity.type}
        </Badge>
        {problems > 0 && (
          <Tooltip label={t('canvas.problemCount', { count: problems })}>
            <Badge size="xs" color="red" data-testid={`problems-${id}`}>
              {problems}
            </Badge>
          </Tooltip>
        )}
        {state && (
          <Badge size="xs" variant="default" data-testid={`state-${id}`}>
            {t(`canvas.state.${state}`, { defaultValue: state })}
          </Badge>
        )}
      </Group>
      <Text size="sm" fw={600} truncate="end" mt={2}>
        {id}
      </Text>
      {label && (
        <Text size="xs" c="dimmed" truncate="end">
          {label}
        </Text>
      )}
      {outputs.map((o, i) => (
        <Handle key={o} type="source" position={Position.Right} id={o} style={{ ...handle, top: 24 + i * 18 }} title={t('canvas.output', { id, output: o })}>
          <span style={{ position: 'absolute', right: 10, top: -8, fontSize: 10, whiteSpace: 'nowrap', pointerEvents: 'none', color: 'var(--mantine-color-dimmed)' }}>{o}</span>
        </Handle>
      ))}
    </Paper>
  );
});
