-- Deal sources and the full dispatcher. Keep in step with the other
-- dialect's 0005_sources_dispatch.sql.

-- One deal listed by two sources (different links, same words and price)
-- is one deal: its fingerprint is its title's normalised words and price.
ALTER TABLE deals ADD COLUMN fingerprint TEXT;
CREATE INDEX deals_fingerprint ON deals (fingerprint, seen_at);
-- Earlier deals at the same address are part of its price history.
CREATE INDEX deals_url ON deals (url, seen_at);

-- An alert held for a digest (state 'held') points at the digest row that
-- carried it once the digest is made (state 'merged').
ALTER TABLE outbox ADD COLUMN digest_id INTEGER;
-- Set just before a send starts, cleared when its outcome is recorded: a
-- row found with it set after a crash may or may not have been delivered.
ALTER TABLE outbox ADD COLUMN sending_since INTEGER;
-- Alerts sent today, for the daily cap.
CREATE INDEX outbox_user_sent ON outbox (user_id, sent_at);
