-- Whether a chat identity has written to us privately, so that an answer
-- meant for that person alone can reach them outside a group. Keep in step
-- with the other dialect's 0008_private_chats.sql.
--
-- Before this, a command typed in a Telegram group made the group the
-- person's reply address, and their private alerts went to the group. Those
-- identities get their private chat back (a Telegram user's private chat
-- has the user's id) and count as not yet seen privately.
ALTER TABLE identities ADD COLUMN private_chat BOOLEAN NOT NULL DEFAULT 1;

UPDATE identities SET reply_address = external_id, private_chat = 0
 WHERE channel = 'telegram' AND reply_address LIKE '-%';
