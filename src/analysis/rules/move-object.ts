import { OBJECT_KINDS, objectName } from '../objects.js';
import { relationName } from '../tree.js';
import type { Rule } from '../types.js';

/** ALTER ... SET SCHEMA of a table or other object that exists before the migration. */
export const moveObject: Rule = {
  id: 'move-object',
  title: 'SET SCHEMA of a table or object the running application names',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'AlterObjectSchemaStmt') return [];
    const objectType = String(node.objectType);
    const objectKind = objectType === 'OBJECT_TABLE' ? 'table' : OBJECT_KINDS[objectType];
    if (!objectKind) return [];
    const name = relationName(node.relation) ?? objectName(node.object);
    if (!name) return [];
    if (objectKind === 'table' ? context.isNew(name) : context.isNewObject(objectKind, name)) return [];
    return [
      {
        ...(objectKind === 'table' ? { table: name } : {}),
        verdict: 'breaking',
        message: `Moving the ${objectKind} ${name} to the schema ${String(node.newschema)} breaks the running application's queries that find it by its schema (by a qualified name, or by a search_path without ${String(node.newschema)}), from the moment it commits.`,
        fix: `Leave it where it is; if it must move, create it in ${String(node.newschema)} beside the old one (or a view there over it), move the application in one release, and remove the old one in a later release marked breaking.`,
      },
    ];
  },
};
