import { useQuery } from '@tanstack/react-query';
import { api, errorMessage } from '../../api/client';

// The data model as the builder's pickers see it: for an entity, the
// attributes it can test (its own and, through many-to-one and one-to-one
// links, its parents': `product.category`) and the one-to-many links whose
// rows it can count.

export interface ModelAttribute {
  name: string;
  type: string;
  values?: string[];
  description?: string;
}

export interface ModelLink {
  name: string;
  entity: string;
  kind: string;
}

export interface ModelEntity {
  name: string;
  attributes?: ModelAttribute[];
  links?: ModelLink[];
  targeting?: unknown;
}

/** A testable attribute reached from an entity, by its path. */
export interface AttrChoice {
  path: string;
  attr: ModelAttribute;
}

export interface Model {
  entities: ModelEntity[];
  /** The targeting dimension (the entity with targeting, else the first). */
  dimension?: ModelEntity;
}

/** useModel reads GET /api/model once a minute at most. */
export function useModel() {
  return useQuery({
    queryKey: ['model'],
    queryFn: async ({ signal }) => {
      const { data, error } = await api.GET('/api/model', { signal });
      if (error) throw new Error(errorMessage(error));
      return data;
    },
    staleTime: 60_000,
    select: (m): Model => {
      const entities = ((m.model as { entities?: ModelEntity[] }).entities ?? []) as ModelEntity[];
      return { entities, dimension: entities.find((e) => e.targeting) ?? entities[0] };
    },
  });
}

export function entity(m: Model, name: string | undefined): ModelEntity | undefined {
  return m.entities.find((e) => e.name === name);
}

const toOne = (l: ModelLink) => l.kind === 'many_to_one' || l.kind === 'one_to_one';

/** MAX_HOPS bounds how far the picker follows to-one links: two hops
 * (purchase → product → brand) cover the usual models without a list of
 * thousands. Deeper paths still work typed in the text. */
const MAX_HOPS = 2;

/** attributeChoices lists the attributes testable from an entity: its own,
 * then those of its to-one links, by path. */
export function attributeChoices(m: Model, from: ModelEntity | undefined, maxHops = MAX_HOPS): AttrChoice[] {
  const out: AttrChoice[] = [];
  const walk = (e: ModelEntity, prefix: string, hops: number, seen: Set<string>) => {
    for (const a of e.attributes ?? []) out.push({ path: prefix + a.name, attr: a });
    if (hops >= maxHops) return;
    for (const l of (e.links ?? []).filter(toOne)) {
      const target = entity(m, l.entity);
      if (!target || seen.has(target.name)) continue;
      walk(target, `${prefix}${l.name}.`, hops + 1, new Set([...seen, target.name]));
    }
  };
  if (from) walk(from, '', 0, new Set([from.name]));
  return out;
}

/** collectionLinks lists an entity's one-to-many links (rows to count). */
export function collectionLinks(from: ModelEntity | undefined): ModelLink[] {
  return (from?.links ?? []).filter((l) => l.kind === 'one_to_many');
}

/** attributeAt finds the attribute a path names from an entity. */
export function attributeAt(m: Model, from: ModelEntity | undefined, path: string | undefined): ModelAttribute | undefined {
  if (!from || !path) return undefined;
  const parts = path.split('.');
  let e: ModelEntity | undefined = from;
  for (const p of parts.slice(0, -1)) {
    const l: ModelLink | undefined = e?.links?.find((x) => x.name === p);
    e = l ? entity(m, l.entity) : undefined;
  }
  return e?.attributes?.find((a) => a.name === parts[parts.length - 1]);
}

/** linkTarget is the entity a link of from leads to. */
export function linkTarget(m: Model, from: ModelEntity | undefined, link: string | undefined): ModelEntity | undefined {
  const l = from?.links?.find((x) => x.name === link);
  return l ? entity(m, l.entity) : undefined;
}
