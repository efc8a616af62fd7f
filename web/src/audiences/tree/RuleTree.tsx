import { useMemo } from 'react';
import { TreeContext, type TreeEnv } from './context';
import { GroupNode } from './GroupNode';
import type { Model } from './model';
import { problemKey, treeKey, update, type Node } from './node';
import type { Problem } from '../useLiveCount';

interface Props {
  tree: Node;
  onChange: (fn: (tree: Node) => Node) => void;
  model: Model;
  audiences: string[];
  /** The server's problems with the tree's wire form (toWire). */
  problems?: Problem[];
}

/** RuleTree edits the audience's JSON tree: nested all-of / any-of groups
 * of conditions over the targeting dimension. The server's problems show
 * on the node they name. */
export function RuleTree({ tree, onChange, model, audiences, problems }: Props) {
  const env = useMemo<TreeEnv>(() => {
    const byNode = new Map<string, string[]>();
    for (const p of problems ?? []) {
      const wire = problemKey(p.path);
      if (wire === undefined) continue;
      const key = treeKey(tree, wire);
      byNode.set(key, [...(byNode.get(key) ?? []), p.message]);
    }
    return { model, audiences, problems: byNode, change: (path, fn) => onChange((root) => update(root, path, fn)) };
  }, [tree, problems, model, audiences, onChange]);
  return (
    <TreeContext.Provider value={env}>
      <GroupNode node={tree} path={[]} entity={model.dimension} />
    </TreeContext.Provider>
  );
}
