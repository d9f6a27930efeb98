-- What a watch compares against, and whether its owner has heard the
-- product's first price. Keep in step with ../postgres/0002_watch_alert_state.sql.
ALTER TABLE watches ADD COLUMN reference_price TEXT;     -- "drop N%" is measured from here
ALTER TABLE watches ADD COLUMN reference_currency TEXT;
ALTER TABLE watches ADD COLUMN first_reported BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX products_lease ON products (lease_expires_at);
CREATE INDEX outbox_user ON outbox (user_id, state);
