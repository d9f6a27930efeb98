-- Channels: what platforms report about messages we sent (WhatsApp
-- statuses: sent, delivered, read, failed; they arrive in any order and
-- more than once, so each distinct status is kept once), and the channel a
-- community rule posts into. Keep in step with ../postgres/0004_channels.sql.
CREATE TABLE delivery_statuses (
    channel             TEXT    NOT NULL,
    provider_message_id TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    recipient           TEXT    NOT NULL,
    error               TEXT,
    reported_at         INTEGER NOT NULL,   -- the platform's timestamp
    recorded_at         INTEGER NOT NULL,
    PRIMARY KEY (channel, provider_message_id, status)
);

-- A rule with a post address posts its matches there (a Discord guild
-- channel) on rules.channel, instead of alerting its owner privately.
ALTER TABLE rules ADD COLUMN post_address TEXT;
