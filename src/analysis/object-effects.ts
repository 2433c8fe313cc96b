import type { EffectList, EffectOptions } from './effect-list.js';
import { list, nameParts, nodeOf, qualifiedName, relationName, type Node } from './tree.js';

/**
 * The locks statements on objects other than tables take on relations: views,
 * materialized views, sequences and foreign tables (each a relation of its
 * own), and the tables that domains, types, schemas, publications, triggers
 * and comments reach. Measured on the server by test/corpus.
 */

/** Object kinds that are relations: dropping, renaming or altering one locks it ACCESS EXCLUSIVE. */
const RELATION_KINDS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);

export function isRelationKind(kind: unknown): boolean {
  return typeof kind === 'string' && RELATION_KINDS.has(kind);
}

/** What DROP ... CASCADE reaches beyond the objects it names: the tables whose columns use a dropped type, those of a dropped schema. */
export function dropCascadeEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  if (node.behavior !== 'DROP_CASCADE') return;
  for (const object of list(node.objects)) {
    switch (node.removeType) {
      case 'OBJECT_TYPE':
      case 'OBJECT_DOMAIN': {
        const type = qualifiedName(nameParts(nodeOf(object, 'TypeName')?.names));
        for (const table of options.schema.tablesUsingType(type))
          effects.add(table, 'ACCESS EXCLUSIVE', `DROP ${String(node.removeType).slice(7)} CASCADE`, { reached: true });
        break;
      }
      case 'OBJECT_SCHEMA': {
        const schema = nodeOf(object, 'String')?.sval;
        if (typeof schema === 'string')
          for (const table of options.schema.tablesInSchema(schema)) effects.add(table, 'ACCESS EXCLUSIVE', 'DROP SCHEMA CASCADE', { reached: true });
        break;
      }
      case 'OBJECT_FUNCTION': {
        // The triggers that call it go with it.
        const name = nameParts(nodeOf(object, 'ObjectWithArgs')?.objname).at(-1);
        for (const table of name ? options.schema.tablesCalling(name) : []) effects.add(table, 'ACCESS EXCLUSIVE', 'DROP FUNCTION CASCADE', { reached: true });
        break;
      }
      default:
        break;
    }
  }
}

/**
 * ALTER DOMAIN: adding a checked constraint, validating one or SET NOT NULL
 * reads every row of every table with a column of the domain under SHARE.
 */
export function alterDomainEffects(node: Node, options: EffectOptions, effects: EffectList): void {
  const checks = (node.subtype === 'C' && nodeOf(node.def, 'Constraint')?.skip_validation !== true) || node.subtype === 'V' || node.subtype === 'O';
  if (!checks) return;
  const domain = qualifiedName(nameParts(node.typeName));
  for (const table of options.schema.tablesUsingType(domain)) effects.add(table, 'SHARE', 'ALTER DOMAIN', { scan: true, reached: true });
}

/** CREATE/ALTER SEQUENCE: OWNED BY reads the owning table; ALTER SEQUENCE writes the sequence's one row anew under SHARE ROW EXCLUSIVE. */
export function sequenceEffects(kind: 'CreateSeqStmt' | 'AlterSeqStmt', node: Node, effects: EffectList): void {
  for (const option of list(node.options)) {
    const definition = nodeOf(option, 'DefElem');
    if (definition?.defname !== 'owned_by') continue;
    const parts = nameParts(nodeOf(definition.arg, 'List')?.items);
    if (parts.length > 1) effects.add(qualifiedName(parts.slice(0, -1)), 'ACCESS SHARE', 'OWNED BY');
  }
  // Any option but OWNED BY writes the sequence anew.
  const rewrite = list(node.options).some((option) => nodeOf(option, 'DefElem')?.defname !== 'owned_by');
  if (kind === 'AlterSeqStmt') effects.add(relationName(node.sequence), 'SHARE ROW EXCLUSIVE', 'ALTER SEQUENCE', { rewrite, sequence: true });
}

/** CREATE PUBLICATION / ALTER PUBLICATION: each table named is locked SHARE UPDATE EXCLUSIVE. */
export function publicationEffects(node: Node, effects: EffectList): void {
  for (const item of list(node.pubobjects)) {
    const spec = nodeOf(item, 'PublicationObjSpec');
    if (spec?.pubobjtype !== 'PUBLICATIONOBJ_TABLE') continue;
    const table = (nodeOf(spec.pubtable, 'PublicationTable') ?? (spec.pubtable as Node | undefined))?.relation;
    effects.add(relationName(table), 'SHARE UPDATE EXCLUSIVE', 'publication');
  }
}

/**
 * COMMENT ON: a relation's comment (or its column's) takes SHARE UPDATE
 * EXCLUSIVE on it; one on a constraint, policy, trigger or rule only reads the
 * table it belongs to.
 */
export function commentEffects(node: Node, effects: EffectList): void {
  const parts = nameParts(nodeOf(node.object, 'List')?.items);
  switch (node.objtype) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_SEQUENCE':
    case 'OBJECT_FOREIGN_TABLE':
      return effects.add(qualifiedName(parts), 'SHARE UPDATE EXCLUSIVE', 'COMMENT');
    case 'OBJECT_COLUMN':
      return effects.add(qualifiedName(parts.slice(0, -1)), 'SHARE UPDATE EXCLUSIVE', 'COMMENT');
    case 'OBJECT_TABCONSTRAINT':
    case 'OBJECT_POLICY':
    case 'OBJECT_TRIGGER':
    case 'OBJECT_RULE':
      return effects.add(qualifiedName(parts.slice(0, -1)), 'ACCESS SHARE', 'COMMENT');
    default:
      return undefined;
  }
}

/** A new partition of a table with a DEFAULT partition: the default's rows are checked against the new bounds, under ACCESS EXCLUSIVE. */
export function defaultPartitionChecked(parent: string | undefined, options: EffectOptions, effects: EffectList): void {
  const fallback = parent ? options.schema.table(parent)?.defaultPartition : undefined;
  if (fallback) effects.add(fallback, 'ACCESS EXCLUSIVE', 'new partition beside the DEFAULT one', { scan: true });
}
