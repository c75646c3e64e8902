-- Transactional outbox: written in the same transaction as the state change it announces.
CREATE TABLE "outbox_messages" (
    "id" UUID NOT NULL,
    "event_name" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    CONSTRAINT "outbox_messages_pkey" PRIMARY KEY ("id")
);
-- The relay only ever scans unpublished rows, oldest first.
CREATE INDEX "outbox_messages_unpublished_idx" ON "outbox_messages" ("created_at") WHERE "published_at" IS NULL;

-- Consumer inbox: one row per (consumer, message) makes every handler idempotent.
CREATE TABLE "inbox_messages" (
    "consumer" TEXT NOT NULL,
    "message_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "inbox_messages_pkey" PRIMARY KEY ("consumer", "message_id")
);

-- Wake the relay as soon as a transaction that wrote outbox rows commits.
CREATE FUNCTION "outbox_notify"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER "outbox_messages_notify" AFTER INSERT ON "outbox_messages"
  FOR EACH STATEMENT EXECUTE FUNCTION "outbox_notify"();
