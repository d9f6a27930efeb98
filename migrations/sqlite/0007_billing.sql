-- Stripe subscriptions and their latest state. Keep in step with the other
-- dialect's 0007_billing.sql.
--
-- Stripe delivers events in any order: a row holds the state of the newest
-- event seen for that subscription (state_at = the event's `created`,
-- state_rank breaking ties within one second: a later stage of the
-- lifecycle wins), and a user's plan is derived from their rows.
CREATE TABLE subscriptions (
    id                   TEXT    PRIMARY KEY,   -- sub_…
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    customer_id          TEXT,
    plan                 TEXT    NOT NULL,      -- from the price; 'free' for a price not ours
    status               TEXT    NOT NULL,
    current_period_end   INTEGER,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    state_at             INTEGER NOT NULL,
    state_rank           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX subscriptions_user ON subscriptions (user_id);

-- A downgrade pauses the items beyond the new limit (paused_reason
-- 'plan'); an upgrade finds them again to resume them.
CREATE INDEX watches_paused ON watches (user_id, paused_reason);
CREATE INDEX rules_paused ON rules (user_id, paused_reason);
