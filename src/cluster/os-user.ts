import { readFileSync } from 'node:fs';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** Looks a user up in /etc/passwd (Node has no getpwnam). */
export function lookupUser(name: string): OsUser | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * initdb and postgres refuse to run as root. When we are root, the server runs
 * as an unprivileged user: `postgres` when the system has one, else `nobody`.
 * Returns undefined when no switch is needed.
 */
export function serverUser(): OsUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const user = lookupUser('postgres') ?? lookupUser('nobody');
  if (!user) throw new Error('running as root, and neither a "postgres" nor a "nobody" user exists to run the PostgreSQL server as');
  return user;
}
