-- Shared chats as community destinations: a Discord channel reached by the
-- bot ('discord_channel'), a Telegram group ('telegram_group') or channel
-- ('telegram_channel'); `external_id` is the chat's id. Rules made in such
-- a chat belong to its destination, owned by whoever set it up there.
-- Rules that posted into a Discord channel before this (rules.post_address)
-- move to a destination of their owner for that channel. Keep in step with
-- the other dialect's 0016_chat_destinations.sql.
CREATE INDEX destinations_place ON destinations (kind, external_id);

INSERT INTO destinations (owner_id, kind, name, external_id, channel_id, created_at)
SELECT user_id, 'discord_channel', 'channel-' || post_address, post_address, post_address, MIN(created_at)
FROM rules
WHERE post_address IS NOT NULL AND destination_id IS NULL AND channel = 'discord'
GROUP BY user_id, post_address;

UPDATE rules SET
    destination_id = (SELECT d.id FROM destinations d
                      WHERE d.owner_id = rules.user_id AND d.kind = 'discord_channel'
                        AND d.external_id = rules.post_address),
    post_address = NULL
WHERE post_address IS NOT NULL AND destination_id IS NULL AND channel = 'discord';
