-- Who sent each inbound message (channel:sender), so that a worker takes
-- only each person's oldest unfinished message: a person's messages are
-- acted on in order, one at a time, and one person's backlog never holds
-- up anyone else's. Keep in step with the other dialect's 0009.
ALTER TABLE inbound_messages ADD COLUMN sender_key TEXT;

UPDATE inbound_messages
   SET sender_key = channel || ':' || COALESCE(payload::jsonb -> 'incoming' ->> 'sender_id', '#' || id)
 WHERE state IN ('accepted', 'handled');

CREATE INDEX inbound_sender_pending ON inbound_messages (sender_key, id)
 WHERE state IN ('accepted', 'handled');
