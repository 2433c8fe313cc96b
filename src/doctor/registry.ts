import { backupRoom } from './checks/backup-room.js';
import { backups } from './checks/backups.js';
import { clientTools } from './checks/client-tools.js';
import { connection } from './checks/connection.js';
import { connections } from './checks/connections.js';
import { extensions } from './checks/extensions.js';
import { healthUrl } from './checks/health-url.js';
import { invalidIndexes } from './checks/invalid-indexes.js';
import { migrations } from './checks/migrations.js';
import { privileges } from './checks/privileges.js';
import { schemaDrift } from './checks/schema-drift.js';
import { seedCatalogs } from './checks/seed-catalogs.js';
import { serverVersion } from './checks/server-version.js';
import { sessions } from './checks/sessions.js';
import type { DoctorCheck } from './types.js';

/** Every health check, in report order within its area. Adding one is adding its file here. */
export const doctorChecks: readonly DoctorCheck[] = [
  connection,
  serverVersion,
  privileges,
  connections,
  sessions,
  extensions,
  migrations,
  schemaDrift,
  seedCatalogs,
  invalidIndexes,
  clientTools,
  backupRoom,
  backups,
  healthUrl,
];
