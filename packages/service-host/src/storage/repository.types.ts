import type { Prisma } from './generated/prisma/client.js';
import type { PrismaService } from './prisma.service.js';

/**
 * A Prisma transaction client: repository writes accept one so that several changes commit
 * together (`prisma.client.$transaction(async (tx) => { ... })`).
 */
export type StorageTx = Prisma.TransactionClient;

/** The client to use: the transaction's when given, else the service's. */
export function db(prisma: PrismaService, tx: StorageTx | undefined): StorageTx {
  return tx ?? prisma.client;
}

/** Parses JSON text stored by Riskd; malformed text comes back as the raw string. */
export function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Page size bounds of list queries. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1_000;

export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE;
  return Math.min(MAX_PAGE, Math.max(1, Math.trunc(limit)));
}
