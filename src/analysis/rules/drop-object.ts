import { createdObject, droppedObjects, type ObjectKind } from '../objects.js';
import type { Rule } from '../types.js';

/** What goes wrong for the running application, for the kinds its queries do not name. */
const CONSEQUENCE: Partial<Record<ObjectKind, string>> = {
  extension:
    'the functions, types and operators it provides go with it, and queries of the running application (the version before this upgrade) that use them fail',
  publication: 'subscribers that replicate from it stop receiving changes (their subscription fails)',
  policy: 'with row-level security on, the rows it let roles read or write are refused to them',
  trigger: 'what it did on every write (defaults, audit rows, checks the application relies on) stops being done',
};

/** DROP of a view, materialized view, function, procedure, type, domain, sequence, schema, extension, publication, policy or trigger that exists before the migration. */
export const dropObject: Rule = {
  id: 'drop-object',
  title: 'DROP of an object (view, function, type, sequence, schema...) the running application may use',
  run(context) {
    const { kind, node } = context.statement;
    if (kind !== 'DropStmt') return [];
    const cascade = node.behavior === 'DROP_CASCADE' ? ', and CASCADE drops whatever depends on it with it' : '';
    return droppedObjects(node).flatMap(({ kind: objectKind, name }) => {
      if (context.isNewObject(objectKind, name)) return [];
      // A trigger or policy dropped and made again in the same transaction (replaced): nobody sees it missing.
      // (A view, type, sequence or schema made again is another object: columns, values and contents may be gone.)
      const replaceable = objectKind === 'trigger' || objectKind === 'policy';
      const remade =
        replaceable &&
        !cascade &&
        context.laterInSameTransaction.some((later) => {
          const made = createdObject(later.kind, later.node, { replacing: true });
          return made?.kind === objectKind && made.name === name;
        });
      if (remade) return [];
      const what = objectKind === 'schema' ? `the schema ${name} and everything in it` : `the ${objectKind} ${name}`;
      return [
        {
          verdict: 'breaking' as const,
          message: `DROP ${objectKind.toUpperCase()} removes ${what}${cascade}: ${CONSEQUENCE[objectKind] ?? 'queries of the running application (the version before this upgrade) that use it fail'} from the moment it commits.`,
          fix: `Stop using the ${objectKind} in a release first; drop it in a later release, once no version that uses it can be running, and mark that migration breaking (or acknowledge it with -- astra:allow drop-object <reason>).`,
        },
      ];
    });
  },
};
