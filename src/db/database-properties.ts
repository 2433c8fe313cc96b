import type { Database } from './database.js';
import { quoteIdent, quoteLiteral } from './quote.js';

/** Settings whose value is a list of quoted names (pg_dump's variable_is_guc_list_quote). */
const LIST_SETTINGS = new Set([
  'local_preload_libraries',
  'search_path',
  'session_preload_libraries',
  'shared_preload_libraries',
  'temp_tablespaces',
  'unix_socket_directories',
]);

/** `"$user", public` → [`$user`, `public`]: the stored form of a list setting. */
export function splitSettingList(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index];
    if (quoted) {
      if (char === '"' && value[index + 1] === '"') {
        current += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      items.push(current.trim());
      current = '';
    } else current += char;
  }
  items.push(current.trim());
  return items.filter((item) => item !== '');
}

/** `search_path="$user", public` → the SQL value of ALTER DATABASE … SET search_path TO <value>. */
export function settingValueSql(entry: string): { name: string; value: string } {
  const split = entry.indexOf('=');
  const name = entry.slice(0, split);
  const raw = entry.slice(split + 1);
  const value = LIST_SETTINGS.has(name.toLowerCase()) ? splitSettingList(raw).map(quoteLiteral).join(', ') || "''" : quoteLiteral(raw);
  return { name, value };
}

/**
 * Gives database `to` the properties of database `from` that live outside
 * any dump without --create: grants on the database, per-database (and
 * per-role-in-database) settings, its comment and connection limit.
 */
export async function copyDatabaseProperties(admin: Database, from: string, to: string): Promise<void> {
  const target = quoteIdent(to);
  const { rows: databases } = await admin.query<{ oid: number; has_acl: boolean; connlimit: number; comment: string | null }>(
    `SELECT oid, datacl IS NOT NULL AS has_acl, datconnlimit AS connlimit, shobj_description(oid, 'pg_database') AS comment
       FROM pg_database WHERE datname = $1`,
    [from],
  );
  const source = databases[0];
  if (!source) throw new Error(`the database ${from} does not exist`);

  if (source.has_acl) {
    const { rows: grants } = await admin.query<{ grantee: string | null; privilege: string; grantable: boolean }>(
      `SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
         FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1`,
      [from],
    );
    await admin.query(`REVOKE ALL ON DATABASE ${target} FROM PUBLIC`);
    for (const grant of grants) {
      if (!['CONNECT', 'CREATE', 'TEMPORARY'].includes(grant.privilege)) continue;
      const grantee = grant.grantee === null ? 'PUBLIC' : quoteIdent(grant.grantee);
      await admin.query(`GRANT ${grant.privilege} ON DATABASE ${target} TO ${grantee}${grant.grantable ? ' WITH GRANT OPTION' : ''}`);
    }
  }

  const { rows: settings } = await admin.query<{ role: string | null; config: string[] }>(
    `SELECT r.rolname AS role, s.setconfig AS config
       FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole
      WHERE s.setdatabase = $1`,
    [source.oid],
  );
  for (const setting of settings) {
    const scope = setting.role === null ? `DATABASE ${target}` : `ROLE ${quoteIdent(setting.role)} IN DATABASE ${target}`;
    for (const entry of setting.config) {
      const { name, value } = settingValueSql(entry);
      await admin.query(`ALTER ${scope} SET ${quoteIdent(name)} TO ${value}`);
    }
  }

  if (source.connlimit !== -1) await admin.query(`ALTER DATABASE ${target} CONNECTION LIMIT ${Number(source.connlimit)}`);
  if (source.comment !== null) await admin.query(`COMMENT ON DATABASE ${target} IS ${quoteLiteral(source.comment)}`);
}
