import '@xyflow/react/dist/style.css';
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { transitionsOf, type CampaignDoc, type Position, type Transition } from '../doc';
import { ActivityNode, type ActivityNodeType } from './ActivityNode';
import { positions } from './layout';
import { addActivity, connect, connectProblem, copy, move, outputsOf, paste, removeActivities, removeTransitions, type ActivityType, type Clip } from './model';
import { DRAG_TYPE } from './Palette';

const nodeTypes = { activity: ActivityNode };

/** RunView is what a run shows on the canvas: each activity's state and
 * each transition's count. */
export interface RunView {
  states: Map<string, { status: string; rowsOut?: number }>;
  counts: Map<string, number>;
}

/** Choice is a selection asked for; n tells one request from the next. */
export interface Choice {
  ids: string[];
  n: number;
}

export const edgeKey = (t: Transition) => `${t.from}.${t.output}->${t.to}`;

interface Props {
  doc: CampaignDoc;
  types: Map<string, ActivityType>;
  problemCount: Map<string, number>;
  run?: RunView;
  /** The selected activities as React Flow last reported them. */
  selected: string[];
  /** A selection asked for (an activity added, pasted, or picked from the
   * problems): applied once per request. */
  choice?: Choice;
  /** Stable; called with every selection React Flow reports. */
  onSelect: (ids: string[]) => void;
  /** Ask for a selection (it comes back as choice). */
  onChoose: (ids: string[]) => void;
  /** Replace the document (an edit: one step of undo). */
  onEdit: (doc: CampaignDoc) => void;
  onEdgeOpen: (t: Transition) => void;
  onUndo: () => void;
  onRedo: () => void;
  onError: (key: string) => void;
}

/** editable says whether a key press belongs to a text field (CodeMirror
 * included), which handles its own undo, copy and paste. */
function editable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** Graph draws the document with React Flow and turns the user's gestures
 * into document edits. Positions being dragged live in view state until
 * the drag ends; then they are written into the layout. */
export function Graph({ doc, types, problemCount, run, selected, choice, onSelect, onChoose, onEdit, onEdgeOpen, onUndo, onRedo, onError }: Props) {
  const { t } = useTranslation();
  const flow = useReactFlow<ActivityNodeType>();
  const clip = useRef<Clip | undefined>(undefined);
  const pastes = useRef(0);

  // React Flow's own texts, in the user's language (kept: a new object
  // each render would reset its store).
  const labels = useMemo(
    () => ({
      'node.a11yDescription.default': t('canvas.a11yNode'),
      'node.a11yDescription.keyboardDisabled': t('canvas.a11yNode'),
      'edge.a11yDescription.default': t('canvas.a11yEdge'),
      'controls.ariaLabel': t('canvas.controls'),
      'controls.zoomIn.ariaLabel': t('canvas.zoomIn'),
      'controls.zoomOut.ariaLabel': t('canvas.zoomOut'),
      'controls.fitView.ariaLabel': t('canvas.fitView'),
      'controls.interactive.ariaLabel': t('canvas.interactive'),
      'minimap.ariaLabel': t('canvas.minimap'),
    }),
    [t],
  );
  const transitions = useMemo(() => transitionsOf(doc), [doc]);
  const at = useMemo(() => positions(doc), [doc]);
  const built = useMemo<ActivityNodeType[]>(() => {
    return Object.entries(doc.activities).map(([id, a]) => {
      const used = transitions.filter((x) => x.from === id).map((x) => x.output);
      const state = run?.states.get(id);
      return {
        id,
        type: 'activity',
        position: at[id] ?? { x: 0, y: 0 },
        data: { activity: a, type: types.get(a.type), outputs: outputsOf(a, types.get(a.type), used), problems: problemCount.get(id) ?? 0, state: state?.status, rowsOut: state?.rowsOut },
      };
    });
  }, [doc, at, transitions, types, problemCount, run]);
  // React Flow owns the selection (it reports it through onSelect, and
  // nothing flows back but a choice): two owners would chase each other.
  const [nodes, setNodes] = useState<ActivityNodeType[]>(() => built.map((n) => ({ ...n, selected: selected.includes(n.id) })));
  const [drawn, setDrawn] = useState({ built, choice });
  // The document changed, or a selection was asked for: draw it, keeping
  // what React Flow measured and selected.
  if (drawn.built !== built || drawn.choice !== choice) {
    const chosen = drawn.choice !== choice && choice ? new Set(choice.ids) : undefined;
    setDrawn({ built, choice });
    setNodes((prev) => {
      const old = new Map(prev.map((n) => [n.id, n]));
      return built.map((n) => {
        const o = old.get(n.id);
        return { ...n, ...(o?.measured ? { measured: o.measured } : {}), selected: chosen ? chosen.has(n.id) : (o?.selected ?? false) };
      });
    });
  }

  const builtEdges = useMemo<Edge[]>(
    () =>
      transitions.map((x) => {
        const count = run?.counts.get(edgeKey(x));
        return {
          id: edgeKey(x),
          source: x.from,
          sourceHandle: x.output,
          target: x.to,
          targetHandle: 'in',
          label: count !== undefined ? new Intl.NumberFormat().format(count) : undefined,
          data: { transition: x },
          markerEnd: { type: MarkerType.ArrowClosed },
          ariaLabel: t('canvas.edgeLabel', { from: x.from, output: x.output, to: x.to }),
          className: 'fanfare-edge',
        };
      }),
    [transitions, run, t],
  );
  const [edges, setEdges] = useState<Edge[]>(builtEdges);
  const [drawnEdges, setDrawnEdges] = useState(builtEdges);
  if (drawnEdges !== builtEdges) {
    setDrawnEdges(builtEdges);
    setEdges(builtEdges);
  }

  const onNodesChange = useCallback((changes: NodeChange<ActivityNodeType>[]) => {
    // Removals go through onDelete (the document's edit), not here.
    setNodes((ns) => applyNodeChanges(changes.filter((c) => c.type !== 'remove'), ns));
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => setEdges((es) => applyEdgeChanges(changes.filter((c) => c.type !== 'remove'), es)), []);

  const onNodeDragStop = useCallback(
    (_: unknown, __: unknown, dragged: ActivityNodeType[]) => {
      const complete = Object.keys(doc.activities).every((id) => doc.layout?.[id]);
      // A document without a full layout gets one: every activity where it is drawn.
      const moved = complete ? dragged : flow.getNodes();
      const byId = new Map(dragged.map((n) => [n.id, n.position]));
      onEdit(move(doc, Object.fromEntries(moved.map((n) => [n.id, byId.get(n.id) ?? n.position]))));
    },
    [doc, flow, onEdit],
  );

  const readConnection = (c: Connection | Edge): Transition | undefined => (c.source && c.target ? { from: c.source, output: c.sourceHandle ?? 'out', to: c.target } : undefined);
  const isValidConnection = useCallback(
    (c: Connection | Edge) => {
      const x = readConnection(c);
      return !!x && connectProblem(doc, types, x) === undefined;
    },
    [doc, types],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const x = readConnection(c);
      if (!x) return;
      const problem = connectProblem(doc, types, x);
      if (problem) onError(`canvas.connect.${problem}`);
      else onEdit(connect(doc, x));
    },
    [doc, types, onEdit, onError],
  );

  const onDelete = useCallback(
    ({ nodes: ns, edges: es }: { nodes: ActivityNodeType[]; edges: Edge[] }) => {
      let next = removeTransitions(doc, es.map((e) => (e.data as { transition: Transition }).transition));
      next = removeActivities(next, ns.map((n) => n.id));
      onEdit(next);
    },
    [doc, onEdit],
  );

  // Stable: React Flow calls a new handler at once with the selection it
  // holds, which may not have caught up with the document's yet.
  const onSelectionChange = useCallback(({ nodes: ns }: OnSelectionChangeParams) => onSelect(ns.map((n) => n.id)), [onSelect]);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(DRAG_TYPE);
      if (!type) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const added = addActivity(doc, type, p);
      onEdit(added.doc);
      onChoose([added.id]);
    },
    [doc, flow, onEdit, onChoose],
  );

  // Copy, paste, undo and redo while the focus is not in a text field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || editable(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === 'z' && !e.shiftKey) onUndo();
      else if ((k === 'z' && e.shiftKey) || k === 'y') onRedo();
      else if (k === 'c' && selected.length > 0) {
        const where: Record<string, Position> = Object.fromEntries(flow.getNodes().map((n) => [n.id, n.position]));
        clip.current = copy(doc, selected, where);
        pastes.current = 0;
      } else if (k === 'v' && clip.current) {
        pastes.current += 1;
        const shift = 40 * pastes.current;
        const r = paste(doc, clip.current, { x: shift, y: shift });
        onEdit(r.doc);
        onChoose(r.ids);
      } else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [doc, flow, selected, onEdit, onChoose, onUndo, onRedo]);

  return (
    <ReactFlow<ActivityNodeType>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onNodeDragStop={onNodeDragStop}
      onConnect={onConnect}
      isValidConnection={isValidConnection}
      onDelete={onDelete}
      deleteKeyCode={['Delete', 'Backspace']}
      onSelectionChange={onSelectionChange}
      onEdgeClick={(_, e) => onEdgeOpen((e.data as { transition: Transition }).transition)}
      onDrop={onDrop}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_TYPE)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }
      }}
      fitView
      minZoom={0.1}
      ariaLabelConfig={labels}
    >
      <Background />
      <Controls />
      <MiniMap pannable zoomable style={{ width: 140, height: 90 }} />
      <MarkDrawn />
    </ReactFlow>
  );
}

/** The user-timing mark made when the canvas has measured its nodes: what
 * a browser's performance trace times the canvas's opening by (the
 * 100-activity figure of docs/console.md). */
const DRAWN_MARK = 'fanfare:canvas-drawn';

function MarkDrawn() {
  const drawn = useNodesInitialized();
  useEffect(() => {
    if (drawn) performance.mark(DRAWN_MARK);
  }, [drawn]);
  return null;
}
