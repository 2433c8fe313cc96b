import { objectName } from '../objects.js';
import { list, nodeOf, relationName } from '../tree.js';
import type { Rule, RuleContext } from '../types.js';

/** Every object the REVOKE names was created earlier in this migration: no running version has used it. */
function onNewObjectsOnly(context: RuleContext): boolean {
  const { node } = context.statement;
  if (node.targtype !== 'ACL_TARGET_OBJECT') return false;
  const objects = list(node.objects);
  return (
    objects.length > 0 &&
    objects.every((object) => {
      const table = nodeOf(object, 'RangeVar') ? relationName(object) : undefined;
      if (table) return context.isNew(table);
      const name = objectName(object);
      if (!name) return false;
      const kinds =
        node.objtype === 'OBJECT_FUNCTION' || node.objtype === 'OBJECT_ROUTINE'
          ? (['function', 'procedure'] as const)
          : node.objtype === 'OBJECT_PROCEDURE'
            ? (['procedure'] as const)
            : node.objtype === 'OBJECT_SEQUENCE'
              ? (['sequence'] as const)
              : node.objtype === 'OBJECT_SCHEMA'
                ? (['schema'] as const)
                : node.objtype === 'OBJECT_TYPE' || node.objtype === 'OBJECT_DOMAIN'
                  ? (['type', 'domain'] as const)
                  : [];
      return kinds.some((kind) => context.isNewObject(kind, name));
    })
  );
}

/** REVOKE of a privilege or of a role's membership. */
export const revokePrivilege: Rule = {
  id: 'revoke-privilege',
  title: 'REVOKE of a privilege the running application may rely on',
  run(context) {
    const { kind, node } = context.statement;
    // REVOKE GRANT OPTION FOR takes away only the right to grant it on.
    if (kind === 'GrantStmt' && node.is_grant !== true && node.grant_option !== true && !onNewObjectsOnly(context)) {
      return [
        {
          verdict: 'breaking',
          message:
            'REVOKE takes a privilege away: if the running application (the version before this upgrade) connects as that role, or a role it belongs to, its statements that need it fail with "permission denied" from the moment it commits.',
          fix: 'Revoke in a release after the last version that needs the privilege, marked breaking; if no running version uses it (a new role, hardening PUBLIC), acknowledge it with -- astra:allow revoke-privilege <reason>.',
        },
      ];
    }
    // REVOKE ADMIN OPTION FOR takes away only the right to grant the role on.
    const adminOnly = list(node.opt).some((option) => nodeOf(option, 'DefElem')?.defname === 'admin');
    if (kind === 'GrantRoleStmt' && node.is_grant !== true && !adminOnly) {
      return [
        {
          verdict: 'breaking',
          message:
            'REVOKE of a role\'s membership takes away every privilege that came with it: a running application that connects as a member fails with "permission denied" from the moment it commits.',
          fix: 'Revoke it in a release after the last version that needs it, marked breaking, or acknowledge it with -- astra:allow revoke-privilege <reason>.',
        },
      ];
    }
    return [];
  },
};
