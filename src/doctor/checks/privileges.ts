import { quoteIdent } from '../../db/quote.js';
import type { CheckOutcome, DoctorCheck, DoctorInput } from '../types.js';

export interface RolePrivileges {
  user: string;
  schema: string | null;
  canCreateInSchema: boolean;
  createdb: boolean;
  superuser: boolean;
  database: string;
  /** Owns the database (or is a member of its owner), so it may rename it. */
  ownsDatabase: boolean;
}

/**
 * Decides whether the role can run migrations (CREATE on the schema) and the
 * safe rollback, which restores into a new database and swaps it in by name
 * (superuser, or CREATEDB and ownership of the database).
 */
export function judgePrivileges(role: RolePrivileges): CheckOutcome {
  const problems: { status: 'warn' | 'fail'; detail: string; fix: string }[] = [];
  if (role.schema === null) {
    problems.push({
      status: 'fail',
      detail: `the search path of "${role.user}" names no schema that exists, so migrations have nowhere to create tables`,
      fix: `Create the schema or fix the search path: ALTER ROLE ${quoteIdent(role.user)} SET search_path = public;`,
    });
  } else if (!role.canCreateInSchema) {
    problems.push({
      status: 'fail',
      detail: `"${role.user}" may not create objects in schema "${role.schema}", so migrations cannot run`,
      fix: `As the schema owner or a superuser: GRANT CREATE ON SCHEMA ${quoteIdent(role.schema)} TO ${quoteIdent(role.user)};`,
    });
  }
  const swapFallback = 'so a rollback cannot restore into a new database and swap it in: it restores over this one in place';
  if (!role.superuser && !role.createdb) {
    problems.push({
      status: 'warn',
      detail: `"${role.user}" has neither CREATEDB nor superuser, ${swapFallback}`,
      fix: `As a superuser: ALTER ROLE ${quoteIdent(role.user)} CREATEDB;`,
    });
  } else if (!role.superuser && !role.ownsDatabase) {
    problems.push({
      status: 'warn',
      detail: `"${role.user}" has CREATEDB but does not own database "${role.database}", ${swapFallback}`,
      fix: `As a superuser: ALTER DATABASE ${quoteIdent(role.database)} OWNER TO ${quoteIdent(role.user)};`,
    });
  }
  if (problems.length === 0) {
    return {
      status: 'ok',
      detail: `"${role.user}" may create in schema "${role.schema}" and ${role.superuser ? 'is a superuser' : `has CREATEDB and owns database "${role.database}"`}`,
    };
  }
  return {
    status: problems.some((problem) => problem.status === 'fail') ? 'fail' : 'warn',
    detail: problems.map((problem) => problem.detail).join('; '),
    fix: problems.map((problem) => problem.fix).join(' '),
  };
}

async function run(input: DoctorInput): Promise<CheckOutcome> {
  const db = await input.database();
  const { rows } = await db.query<{
    user: string;
    schema: string | null;
    can_create: boolean | null;
    createdb: boolean;
    superuser: boolean;
    database: string;
    owner: boolean;
  }>(
    `SELECT current_user AS user, current_schema() AS schema,
            CASE WHEN current_schema() IS NULL THEN NULL ELSE has_schema_privilege(current_schema(), 'CREATE') END AS can_create,
            r.rolcreatedb AS createdb, r.rolsuper AS superuser,
            d.datname AS database, pg_has_role(r.oid, d.datdba, 'MEMBER') AS owner
       FROM pg_roles r, pg_database d
      WHERE r.rolname = current_user AND d.datname = current_database()`,
  );
  const row = rows[0];
  if (!row) throw new Error('the current role is not in pg_roles');
  return judgePrivileges({
    user: row.user,
    schema: row.schema,
    canCreateInSchema: row.can_create === true,
    createdb: row.createdb,
    superuser: row.superuser,
    database: row.database,
    ownsDatabase: row.owner,
  });
}

export const privileges: DoctorCheck = {
  id: 'privileges',
  title: 'Privileges',
  area: 'database',
  connection: 'needs',
  run,
};
