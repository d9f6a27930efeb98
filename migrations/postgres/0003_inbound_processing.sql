-- Inbound messages are accepted (stored) before the provider is answered,
-- then processed by a worker: these columns let workers claim a message,
-- retry it later, and keep the replies so a failed send is retried without
-- acting on the command twice. Keep in step with ../sqlite/0003_inbound_processing.sql.
ALTER TABLE inbound_messages ADD COLUMN claimed_until BIGINT;
ALTER TABLE inbound_messages ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inbound_messages ADD COLUMN replies TEXT;   -- JSON, once handled
