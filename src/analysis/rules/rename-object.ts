import { OBJECT_KINDS, objectName } from '../objects.js';
import { relationName } from '../tree.js';
import type { Rule, RuleHit } from '../types.js';

/**
 * RENAME of a view, function, type, sequence, schema... that exists before
 * the migration; also a view's column, a composite type's attribute and an
 * enum value (ALTER TYPE ... RENAME VALUE).
 */
export const renameObject: Rule = {
  id: 'rename-object',
  title: 'RENAME of an object (view, function, type, enum value, sequence, schema...) the running application uses',
  run(context) {
    const { kind, node } = context.statement;
    const hit = (what: string, noun: string, oldName: string, newName: string): RuleHit[] => [
      {
        verdict: 'breaking',
        message: `Renaming ${what} to ${newName} breaks every query of the running application (the version before this upgrade) that names ${oldName}, from the moment it commits.`,
        fix: `Keep the name. If it must change, expand and contract: add the new ${noun} beside the old one, move the application to it in one release, and remove the old one in a later release marked breaking.`,
      },
    ];
    if (kind === 'AlterEnumStmt' && typeof node.oldVal === 'string' && typeof node.newVal === 'string') {
      const type = objectName({ List: { items: node.typeName } }) ?? '?';
      if (context.isNewObject('type', type)) return [];
      return hit(`the value '${node.oldVal}' of the enum ${type}`, 'value (ALTER TYPE ... ADD VALUE)', `'${node.oldVal}'`, `'${node.newVal}'`);
    }
    if (kind !== 'RenameStmt') return [];
    const newName = String(node.newname);
    if (node.renameType === 'OBJECT_COLUMN' && (node.relationType === 'OBJECT_VIEW' || node.relationType === 'OBJECT_MATVIEW')) {
      const view = relationName(node.relation) ?? '?';
      const viewKind = node.relationType === 'OBJECT_VIEW' ? 'view' : 'materialized view';
      return context.isNewObject(viewKind, view)
        ? []
        : hit(`the column ${String(node.subname)} of the ${viewKind} ${view}`, 'column', String(node.subname), newName);
    }
    if (node.renameType === 'OBJECT_ATTRIBUTE') {
      const type = relationName(node.relation) ?? '?';
      return context.isNewObject('type', type)
        ? []
        : hit(`the attribute ${String(node.subname)} of the type ${type}`, 'attribute', String(node.subname), newName);
    }
    const objectKind = OBJECT_KINDS[String(node.renameType)];
    if (!objectKind) return [];
    const name = objectKind === 'schema' ? String(node.subname) : (relationName(node.relation) ?? objectName(node.object));
    if (!name || context.isNewObject(objectKind, name)) return [];
    return hit(`the ${objectKind} ${name}`, objectKind, name, newName);
  },
};
