// The model as GET /api/model answers it in `model` (the schema types it
// only as an object: internal/datamodel's JSON form), and what the console
// reads of a plan's changes.
import type { Schemas } from '../api/client';

export interface Attribute {
  name: string;
  type: string;
  values?: string[];
  description?: string;
  required?: boolean;
}

export interface Link {
  name: string;
  entity: string;
  /** many_to_one (the link's columns are on this entity) or one_to_many
   * (the reverse of another entity's link). */
  kind: string;
  columns?: string[];
  reverse?: string;
}

export interface Entity {
  name: string;
  description?: string;
  key?: string[];
  attributes?: Attribute[];
  links?: Link[];
  /** For a targeting dimension: each channel's address, an attribute's
   * name or, for push, where the devices are. */
  targeting?: Record<string, string | Record<string, string>>;
}

export type Change = Schemas['Change'];

/** entitiesOf reads the entities of a model answer. */
export function entitiesOf(model: unknown): Entity[] {
  return ((model as { entities?: Entity[] } | undefined)?.entities ?? []) as Entity[];
}

/** changeGroup sorts a change into what a diff shows: added, removed or
 * changed (internal/schema/diff.go names the kinds). */
export function changeGroup(kind: string): 'added' | 'removed' | 'changed' {
  switch (kind) {
    case 'create_entity':
    case 'add_attribute':
    case 'add_link':
      return 'added';
    case 'drop_entity':
    case 'drop_attribute':
    case 'drop_link':
      return 'removed';
    default:
      return 'changed';
  }
}
