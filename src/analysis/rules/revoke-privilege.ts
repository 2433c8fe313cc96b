import type { Rule } from '../types.js';

/** REVOKE of a privilege or of a role's membership. */
export const revokePrivilege: Rule = {
  id: 'revoke-privilege',
  title: 'REVOKE of a privilege the running application may rely on',
  run(context) {
    const { kind, node } = context.statement;
    if (kind === 'GrantStmt' && node.is_grant !== true) {
      return [
        {
          verdict: 'breaking',
          message:
            'REVOKE takes a privilege away: if the running application (the version before this upgrade) connects as that role, or a role it belongs to, its statements that need it fail with "permission denied" from the moment it commits.',
          fix: 'Revoke in a release after the last version that needs the privilege, marked breaking; if no running version uses it (a new role, hardening PUBLIC), acknowledge it with -- astra:allow revoke-privilege <reason>.',
        },
      ];
    }
    if (kind === 'GrantRoleStmt' && node.is_grant !== true) {
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
