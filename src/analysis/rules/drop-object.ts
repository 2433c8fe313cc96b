import { droppedObjects } from '../objects.js';
import type { Rule } from '../types.js';

/** DROP of a view, materialized view, function, procedure, type, domain, sequence or schema that exists before the migration. */
export const dropObject: Rule = {
  id: 'drop-object',
  title: 'DROP of an object (view, function, type, sequence, schema...) the running application may use',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'DropStmt') return [];
    const cascade = node.behavior === 'DROP_CASCADE' ? ', and CASCADE drops whatever depends on it with it' : '';
    return droppedObjects(node).flatMap(({ kind: objectKind, name }) => {
      if (context.isNewObject(objectKind, name)) return [];
      const what = objectKind === 'schema' ? `the schema ${name} and everything in it` : `the ${objectKind} ${name}`;
      return [
        {
          verdict: 'breaking' as const,
          message: `DROP ${objectKind.toUpperCase()} removes ${what}${cascade}: queries of the running application (the version before this upgrade) that use it fail from the moment it commits.`,
          fix: `Stop using the ${objectKind} in a release first; drop it in a later release, once no version that uses it can be running, and mark that migration breaking (or acknowledge it with -- astra:allow drop-object <reason>).`,
        },
      ];
    });
  },
};
