-- Replies leave through the outbox like every other message: the inbound
-- worker acts, then stores its replies here (priority 0, ahead of bulk
-- alerts) in the same transaction that marks the message processed, and
-- the dispatcher delivers them where `route` says (JSON: channel, address,
-- the platform's reply handle, a button press to acknowledge). Keep in
-- step with the other dialect's 0010.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN route TEXT;
CREATE INDEX outbox_due_priority ON outbox (state, priority, id);
