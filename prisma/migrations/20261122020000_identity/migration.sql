-- Audit log (shared): one row per admin decision, written in the decision's own transaction.
CREATE TABLE "audit_log" (
    "id" UUID NOT NULL,
    "actor_id" UUID,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "request_id" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_log_target_type_target_id_occurred_at_idx" ON "audit_log"("target_type", "target_id", "occurred_at");
CREATE INDEX "audit_log_occurred_at_idx" ON "audit_log"("occurred_at");

-- auth: users, keyed by their Google subject id.
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "google_sub" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "picture_url" TEXT,
    "roles" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_sign_in_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_email_lower_check" CHECK ("email" = lower("email")),
    CONSTRAINT "users_roles_check" CHECK ("roles" <@ ARRAY['SELLER', 'SUPER_ADMIN']::TEXT[])
);
CREATE UNIQUE INDEX "users_google_sub_key" ON "users"("google_sub");
CREATE INDEX "users_email_idx" ON "users"("email");

CREATE TABLE "seller_applications" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "business_name" TEXT NOT NULL,
    "business_type" TEXT NOT NULL,
    "contact_phone" TEXT NOT NULL,
    "country" CHAR(2) NOT NULL,
    "description" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "rejection_reason" TEXT,
    "decided_by" UUID,
    "decided_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "seller_applications_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "seller_applications_business_type_check" CHECK ("business_type" IN ('bars', 'sports', 'hotels', 'events', 'other')),
    CONSTRAINT "seller_applications_status_check" CHECK ("status" IN ('PENDING', 'APPROVED', 'REJECTED')),
    -- A decision is complete or absent; a rejection always carries its reason.
    CONSTRAINT "seller_applications_decision_check" CHECK (
        ("status" = 'PENDING' AND "decided_at" IS NULL AND "decided_by" IS NULL AND "rejection_reason" IS NULL)
        OR ("status" = 'APPROVED' AND "decided_at" IS NOT NULL AND "decided_by" IS NOT NULL AND "rejection_reason" IS NULL)
        OR ("status" = 'REJECTED' AND "decided_at" IS NOT NULL AND "decided_by" IS NOT NULL AND "rejection_reason" IS NOT NULL)
    )
);
CREATE INDEX "seller_applications_user_id_created_at_idx" ON "seller_applications"("user_id", "created_at");
CREATE INDEX "seller_applications_status_created_at_id_idx" ON "seller_applications"("status", "created_at", "id");
-- One open application per user, enforced by the database even when two requests race.
CREATE UNIQUE INDEX "seller_applications_one_pending_per_user" ON "seller_applications"("user_id") WHERE "status" = 'PENDING';
ALTER TABLE "seller_applications" ADD CONSTRAINT "seller_applications_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "team_members" (
    "id" UUID NOT NULL,
    "seller_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'INVITED',
    "user_id" UUID,
    "invited_by" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "accepted_at" TIMESTAMPTZ(3),
    CONSTRAINT "team_members_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "team_members_email_lower_check" CHECK ("email" = lower("email")),
    CONSTRAINT "team_members_role_check" CHECK ("role" IN ('MANAGER', 'FINANCE')),
    CONSTRAINT "team_members_status_check" CHECK (
        ("status" = 'INVITED' AND "user_id" IS NULL AND "accepted_at" IS NULL)
        OR ("status" = 'ACTIVE' AND "user_id" IS NOT NULL AND "accepted_at" IS NOT NULL)
    ),
    CONSTRAINT "team_members_not_self_check" CHECK ("user_id" IS DISTINCT FROM "seller_id")
);
CREATE UNIQUE INDEX "team_members_seller_id_email_role_key" ON "team_members"("seller_id", "email", "role");
CREATE INDEX "team_members_email_status_idx" ON "team_members"("email", "status");
CREATE INDEX "team_members_user_id_idx" ON "team_members"("user_id");
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_seller_id_fkey" FOREIGN KEY ("seller_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "team_member_campaigns" (
    "member_id" UUID NOT NULL,
    "campaign_id" TEXT NOT NULL,
    "assigned_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "team_member_campaigns_pkey" PRIMARY KEY ("member_id", "campaign_id")
);
CREATE INDEX "team_member_campaigns_campaign_id_idx" ON "team_member_campaigns"("campaign_id");
ALTER TABLE "team_member_campaigns" ADD CONSTRAINT "team_member_campaigns_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "team_members"("id") ON DELETE CASCADE ON UPDATE CASCADE;
