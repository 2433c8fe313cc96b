import { describe, expect, it } from 'vitest';
import { judgePrivileges } from '../../../../src/doctor/checks/privileges.js';

const role = { user: 'app', schema: 'public', canCreateInSchema: true, createdb: true, superuser: false, database: 'appdb', ownsDatabase: true };

describe('privileges', () => {
  it('is ok with CREATE on the schema and CREATEDB', () => {
    expect(judgePrivileges(role)).toEqual({ status: 'ok', detail: '"app" may create in schema "public" and has CREATEDB and owns database "appdb"' });
    expect(judgePrivileges({ ...role, createdb: false, ownsDatabase: false, superuser: true }).status).toBe('ok');
  });

  it('fails without CREATE on the schema, and warns without CREATEDB', () => {
    expect(judgePrivileges({ ...role, createdb: false })).toMatchObject({ status: 'warn', fix: 'As a superuser: ALTER ROLE "app" CREATEDB;' });
    const both = judgePrivileges({ ...role, canCreateInSchema: false, createdb: false });
    expect(both.status).toBe('fail');
    expect(both.fix).toBe('As the schema owner or a superuser: GRANT CREATE ON SCHEMA "public" TO "app"; As a superuser: ALTER ROLE "app" CREATEDB;');
    expect(judgePrivileges({ ...role, schema: null }).status).toBe('fail');
  });

  it('warns when the rollback cannot swap in a restored database: CREATEDB without owning the database', () => {
    expect(judgePrivileges({ ...role, ownsDatabase: false })).toEqual({
      status: 'warn',
      detail:
        '"app" has CREATEDB but does not own database "appdb", so a rollback cannot restore into a new database and swap it in: it restores over this one in place',
      fix: 'As a superuser: ALTER DATABASE "appdb" OWNER TO "app";',
    });
  });
});
