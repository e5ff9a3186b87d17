import path from 'node:path';

/**
 * The file path of a SQLite URL as Prisma writes it (`file:./riskd.db`, `file:/var/lib/riskd/riskd.db`)
 * or a plain path, resolved against the working directory.
 */
export function sqlitePathFromUrl(url: string): string {
  const withoutScheme = url.startsWith('file:') ? url.slice('file:'.length) : url;
  // `file:` URLs may carry query parameters (`?connection_limit=1`); SQLite paths here never do.
  const withoutQuery = withoutScheme.split('?')[0] ?? withoutScheme;
  return path.resolve(withoutQuery);
}

/** The `file:` URL of an absolute SQLite path. */
export function sqliteUrlFromPath(filePath: string): string {
  return `file:${path.resolve(filePath)}`;
}

/** The audit checkpoint file of a database: beside it, `<db file>.audit-checkpoint.json`. */
export function auditCheckpointPath(dbPath: string): string {
  return `${dbPath}.audit-checkpoint.json`;
}
