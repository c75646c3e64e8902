-- Notifications module: one row per email that should go out, keyed by (event id, template),
-- and the addresses a mail server rejected permanently.
CREATE TABLE "sent_emails" (
    "id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "template" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "claimed_at" TIMESTAMPTZ(3),
    "message_id" TEXT,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "sent_at" TIMESTAMPTZ(3),
    CONSTRAINT "sent_emails_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "sent_emails_status_check" CHECK ("status" IN ('SENDING', 'RETRY', 'SENT', 'FAILED', 'SUPPRESSED'))
);
CREATE UNIQUE INDEX "sent_emails_event_id_template_key" ON "sent_emails" ("event_id", "template");

CREATE TABLE "email_failed_addresses" (
    "address" TEXT NOT NULL,
    "response_code" INTEGER,
    "response" TEXT NOT NULL,
    "event_id" UUID,
    "failed_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "email_failed_addresses_pkey" PRIMARY KEY ("address"),
    CONSTRAINT "email_failed_addresses_lowercase_check" CHECK ("address" = lower("address"))
);
