import { columnTypeOf } from './column-types.js';
import { list, nameParts, nodeOf, qualifiedName, relationName, stringOf, type Node } from './tree.js';

/**
 * Objects other than tables that running code names: a query selects from a
 * view, calls a function, casts to a type, takes nextval of a sequence. The
 * rules on dropping, renaming and moving objects speak of these by kind.
 */
export type ObjectKind =
  | 'view'
  | 'materialized view'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'type'
  | 'domain'
  | 'sequence'
  | 'schema'
  | 'extension'
  | 'publication'
  | 'policy'
  | 'trigger';

/** The parser's object types (DropStmt removeType, RenameStmt renameType, AlterObjectSchemaStmt objectType) that are such objects. */
export const OBJECT_KINDS: Readonly<Record<string, ObjectKind>> = {
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
  OBJECT_ROUTINE: 'function',
  OBJECT_AGGREGATE: 'aggregate',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_SCHEMA: 'schema',
};

/**
 * Objects whose DROP takes away what the running application relies on,
 * without its queries naming them: an extension's functions and types, the
 * changes a publication sends, the rows a policy lets roles see, what a
 * trigger does on each write. Renaming them breaks nothing.
 */
const DROPPED_KINDS: Readonly<Record<string, ObjectKind>> = {
  OBJECT_EXTENSION: 'extension',
  OBJECT_PUBLICATION: 'publication',
  OBJECT_POLICY: 'policy',
  OBJECT_TRIGGER: 'trigger',
};

/** A policy's or trigger's name as written with its table (`[schema,] table, name`): `name on table`. */
function onTable(names: unknown): string | undefined {
  const parts = nameParts(names);
  return parts.length >= 2 ? `${parts.at(-1)} on ${qualifiedName(parts.slice(0, -1))}` : undefined;
}

/** Kinds whose objects are told apart by their argument types too (overloads). */
const ROUTINE_KINDS: readonly ObjectKind[] = ['function', 'procedure', 'aggregate'];

/**
 * A function's identity: its name and the types of its arguments, as the
 * server tells overloads apart (`add(int4, int4)`; modifiers do not count).
 */
function signature(name: string, types: unknown[]): string {
  const labels = types.map((type) => {
    const parsed = columnTypeOf(type as Node);
    return parsed ? `${parsed.name}${parsed.array ? '[]' : ''}` : (nameParts((type as Node).names).at(-1) ?? '?');
  });
  return `${name}(${labels.join(', ')})`;
}

/**
 * `name` and `candidate` name the same object of `kind`: equal, or, for a
 * function written without its arguments (`DROP FUNCTION f`, which PostgreSQL
 * allows when the name has one overload), any overload of that name.
 */
export function sameObject(kind: ObjectKind, name: string, candidate: string): boolean {
  if (name === candidate) return true;
  return ROUTINE_KINDS.includes(kind) && !name.includes('(') && candidate.startsWith(`${name}(`);
}

/**
 * The name of an object as a DROP, RENAME or SET SCHEMA writes it, as astra
 * compares names (`schema.name`, or `name` in public): a qualified name
 * (List), a function's name with its argument types (ObjectWithArgs; the
 * name alone when written without them), a type's (TypeName), a schema's
 * (String) or a relation's (RangeVar).
 */
export function objectName(value: unknown): string | undefined {
  const routine = nodeOf(value, 'ObjectWithArgs');
  if (routine) {
    const parts = nameParts(routine.objname);
    if (parts.length === 0) return undefined;
    return routine.args_unspecified === true
      ? qualifiedName(parts)
      : signature(
          qualifiedName(parts),
          list(routine.objargs).map((arg) => nodeOf(arg, 'TypeName') ?? arg),
        );
  }
  const names = nodeOf(value, 'List')?.items ?? nodeOf(value, 'TypeName')?.names;
  if (names !== undefined) {
    const parts = nameParts(names);
    return parts.length > 0 ? qualifiedName(parts) : undefined;
  }
  return stringOf(value) ?? relationName(value);
}

/**
 * The object a statement creates, when it surely creates it (CREATE OR
 * REPLACE and IF NOT EXISTS may meet one the application uses, so they do
 * not count).
 */
export function createdObject(kind: string, node: Node, options: { replacing?: boolean } = {}): { kind: ObjectKind; name: string } | undefined {
  // IF NOT EXISTS may find the application's own object there: not new then. (After a DROP of it, it makes it again.)
  if (node.if_not_exists === true && options.replacing !== true) return undefined;
  if (options.replacing === true) node = { ...node, replace: false };
  const named = (objectKind: ObjectKind, name: string | undefined) => (name ? { kind: objectKind, name } : undefined);
  switch (kind) {
    case 'ViewStmt':
      return node.replace === true ? undefined : named('view', relationName(node.view));
    case 'CreateTableAsStmt':
      return node.objtype === 'OBJECT_MATVIEW'
        ? named('materialized view', relationName(nodeOf(node.into, 'IntoClause')?.rel ?? (node.into as Node | undefined)?.rel))
        : undefined;
    case 'CreateFunctionStmt': {
      if (node.replace === true) return undefined;
      const parts = nameParts(node.funcname);
      // OUT and TABLE parameters are results, not part of the identity.
      const inputs = list(node.parameters).flatMap((item) => {
        const parameter = nodeOf(item, 'FunctionParameter');
        return parameter && parameter.mode !== 'FUNC_PARAM_OUT' && parameter.mode !== 'FUNC_PARAM_TABLE' ? [parameter.argType] : [];
      });
      return named(node.is_procedure === true ? 'procedure' : 'function', parts.length > 0 ? signature(qualifiedName(parts), inputs) : undefined);
    }
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      return named('type', qualifiedName(nameParts(node.typeName)));
    case 'CompositeTypeStmt':
      return named('type', relationName(node.typevar));
    case 'CreateDomainStmt':
      return named('domain', qualifiedName(nameParts(node.domainname)));
    case 'CreateSeqStmt':
      return named('sequence', relationName(node.sequence));
    case 'CreateSchemaStmt':
      return named('schema', typeof node.schemaname === 'string' ? node.schemaname : undefined);
    case 'CreateExtensionStmt':
      return named('extension', typeof node.extname === 'string' ? node.extname : undefined);
    case 'CreatePublicationStmt':
      return named('publication', typeof node.pubname === 'string' ? node.pubname : undefined);
    case 'CreatePolicyStmt':
      return named('policy', typeof node.policy_name === 'string' ? `${node.policy_name} on ${relationName(node.table)}` : undefined);
    case 'CreateTrigStmt':
      return node.replace === true
        ? undefined
        : named('trigger', typeof node.trigname === 'string' ? `${node.trigname} on ${relationName(node.relation)}` : undefined);
    default:
      return undefined;
  }
}

/** The objects a DROP names, with their kind; empty for a DROP of something else (a table, an index...). */
export function droppedObjects(node: Node): { kind: ObjectKind; name: string }[] {
  const kind = OBJECT_KINDS[String(node.removeType)] ?? DROPPED_KINDS[String(node.removeType)];
  if (!kind) return [];
  return list(node.objects).flatMap((object) => {
    const name = kind === 'policy' || kind === 'trigger' ? onTable(nodeOf(object, 'List')?.items) : objectName(object);
    return name ? [{ kind, name }] : [];
  });
}
