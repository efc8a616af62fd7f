import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { AudienceNode } from './AudienceNode';
import { ConditionNode } from './ConditionNode';
import { outline } from './context';
import { GroupNode } from './GroupNode';
import { LinkNode } from './LinkNode';
import type { ModelEntity } from './model';
import { kindOf, type Kind, type Node, type Path } from './node';
import { NodeFrame } from './NodeFrame';

type NodeProps = { node: Node; path: Path; entity?: ModelEntity };

/** The editor of each kind of node: a registry, not a switch (arrows: GroupNode
 * and LinkNode import this module in turn, so nothing is read before
 * render). */
const EDITORS: Record<Exclude<Kind, 'not'>, (p: NodeProps) => ReactNode> = {
  group: (p) => <GroupNode {...p} />,
  condition: (p) => <ConditionNode {...p} />,
  link: (p) => <LinkNode {...p} />,
  audience: (p) => <AudienceNode {...p} />,
};

const MEANING: Record<Kind, string> = { group: 'tree.groupN', condition: 'tree.condition', link: 'tree.collectionN', audience: 'tree.audienceN', not: 'tree.condition' };

/** NodeView draws a child of a group in its frame: a negated node as the
 * node with its "not" ticked. */
export function NodeView({ node, path, entity }: NodeProps) {
  const { t } = useTranslation();
  const negated = !!node.not && kindOf(node.not) !== 'not';
  const inner = negated ? node.not! : node;
  const innerPath: Path = negated ? [...path, ['not']] : path;
  const kind = kindOf(inner);
  const n = outline(path);
  const meaning = inner.attr ? t('tree.onAttr', { attr: inner.attr, n }) : t(MEANING[kind], { n });
  if (kind === 'not') {
    // not not a: drawn as a negated group of one.
    return (
      <NodeFrame path={path} notPath={path} negated={false} meaning={meaning} node={inner}>
        <NodeView node={inner.not!} path={[...path, ['not']]} entity={entity} />
      </NodeFrame>
    );
  }

  return (
    <NodeFrame path={innerPath} notPath={path} negated={negated} meaning={meaning} node={inner}>
      {EDITORS[kind as Exclude<Kind, 'not'>]({ node: inner, path: innerPath, entity })}
    </NodeFrame>
  );
}
