-- Tickets module: revocations get a per-campaign sequence number, so gate devices sync the
-- revocation list with a monotonic cursor (`after=<seq>`) instead of timestamps.
--
-- The counter row of a campaign is updated (and so locked) inside the revoking transaction and
-- stays locked until it commits: two revocations of one campaign take their numbers one after
-- the other, and the one with the higher number commits last. A reader that has seen seq N has
-- therefore seen every revocation numbered below N (a plain SEQUENCE would not promise this:
-- numbers are handed out at nextval, not in commit order).
CREATE TABLE "ticket_revocation_counters" (
    "campaign_id" UUID NOT NULL,
    "last_seq" BIGINT NOT NULL,
    CONSTRAINT "ticket_revocation_counters_pkey" PRIMARY KEY ("campaign_id"),
    CONSTRAINT "ticket_revocation_counters_last_seq_check" CHECK ("last_seq" >= 0)
);

ALTER TABLE "tickets" ADD COLUMN "revocation_seq" BIGINT;
-- Tickets revoked before this migration get numbers in their revocation order.
WITH numbered AS (
    SELECT "id", row_number() OVER (PARTITION BY "campaign_id" ORDER BY "revoked_at", "id") AS seq
    FROM "tickets" WHERE "status" = 'REVOKED'
)
UPDATE "tickets" t SET "revocation_seq" = n.seq FROM numbered n WHERE n."id" = t."id";
INSERT INTO "ticket_revocation_counters" ("campaign_id", "last_seq")
SELECT "campaign_id", max("revocation_seq") FROM "tickets" WHERE "revocation_seq" IS NOT NULL GROUP BY "campaign_id";
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_revocation_seq_check" CHECK (("status" = 'REVOKED') = ("revocation_seq" IS NOT NULL));
CREATE UNIQUE INDEX "tickets_campaign_id_revocation_seq_key" ON "tickets" ("campaign_id", "revocation_seq") WHERE "revocation_seq" IS NOT NULL;
