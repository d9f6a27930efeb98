-- Unfinished inbound messages in arrival order, so that a claim walks them
-- oldest first and stops once it has enough, instead of sorting the whole
-- backlog on every claim (which made acting slower the longer the queue).
-- Keep in step with the other dialect's 0011.
CREATE INDEX inbound_unfinished ON inbound_messages (id)
 WHERE state IN ('accepted', 'handled');
