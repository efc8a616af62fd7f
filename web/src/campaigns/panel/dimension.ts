import { entity, type Model, type ModelEntity } from '../../audiences/tree/model';
import { upstreamOf, type CampaignDoc } from '../doc';

const selecting = new Set(['build_audience', 'incremental_query', 'reconcile']);

/** rowsDimension answers the dimension of the rows an activity works on
 * (docs/campaigns.md, Dimensions): a selecting activity's own dimension,
 * else the nearest upstream one's, else the campaign's, else the model's
 * targeting dimension. A change_dimension upstream is followed through
 * its link. */
export function rowsDimension(m: Model, doc: CampaignDoc, id: string): ModelEntity | undefined {
  const own = doc.activities[id];
  if (own && selecting.has(own.type) && typeof own.dimension === 'string') return entity(m, own.dimension) ?? m.dimension;
  if (own && selecting.has(own.type)) return entity(m, doc.dimension) ?? m.dimension;
  for (const up of upstreamOf(doc, id)) {
    const a = doc.activities[up];
    if (!a) continue;
    if (a.type === 'change_dimension' && typeof a.link === 'string') {
      const from = rowsDimension(m, doc, up);
      return linkPathTarget(m, from, a.link) ?? from;
    }
    if (selecting.has(a.type)) return entity(m, typeof a.dimension === 'string' ? a.dimension : doc.dimension) ?? m.dimension;
  }
  return entity(m, doc.dimension) ?? m.dimension;
}

/** linkPathTarget follows a link path (`purchases`, `store.purchases`)
 * from an entity to the entity it ends at. */
export function linkPathTarget(m: Model, from: ModelEntity | undefined, path: string): ModelEntity | undefined {
  let e = from;
  for (const step of path.split('.')) {
    const l = e?.links?.find((x) => x.name === step.trim());
    e = l ? entity(m, l.entity) : undefined;
  }
  return e;
}
