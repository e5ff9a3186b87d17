-- CreateTable
CREATE TABLE "StateRecord" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ns" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AccountSeen" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "simulated" BOOLEAN NOT NULL,
    "firstSeenAt" DATETIME NOT NULL,
    "lastSeenAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "accountId" INTEGER,
    "contractId" TEXT,
    "ruleId" TEXT,
    "instanceId" TEXT,
    "code" TEXT,
    "reason" TEXT,
    "mode" TEXT,
    "idempotencyKey" TEXT,
    "event" TEXT,
    "timings" TEXT,
    "data" TEXT,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ConfigRevision" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "diff" TEXT NOT NULL,
    "configHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "ClockEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "note" TEXT,
    "createdAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Credential" (
    "role" TEXT NOT NULL PRIMARY KEY,
    "hash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "WriterMark" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "session" TEXT NOT NULL,
    "lastOp" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "StateRecord_updatedAt_idx" ON "StateRecord"("updatedAt");

-- CreateIndex
CREATE UNIQUE INDEX "StateRecord_ns_key_key" ON "StateRecord"("ns", "key");

-- CreateIndex
CREATE INDEX "AccountSeen_lastSeenAt_idx" ON "AccountSeen"("lastSeenAt");

-- CreateIndex
CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");

-- CreateIndex
CREATE INDEX "AuditEntry_accountId_seq_idx" ON "AuditEntry"("accountId", "seq");

-- CreateIndex
CREATE INDEX "AuditEntry_kind_seq_idx" ON "AuditEntry"("kind", "seq");

-- CreateIndex
CREATE INDEX "AuditEntry_code_seq_idx" ON "AuditEntry"("code", "seq");

-- CreateIndex
CREATE INDEX "AuditEntry_idempotencyKey_seq_idx" ON "AuditEntry"("idempotencyKey", "seq");

-- CreateIndex
CREATE INDEX "ConfigRevision_at_idx" ON "ConfigRevision"("at");

-- CreateIndex
CREATE INDEX "ClockEvent_at_idx" ON "ClockEvent"("at");

-- CreateIndex
CREATE INDEX "Credential_updatedAt_idx" ON "Credential"("updatedAt");

-- CreateIndex
CREATE INDEX "WriterMark_session_idx" ON "WriterMark"("session");
