-- A community's own digest (deals collected into one post a day or a
-- week, as users' digest_* columns), its own time zone (NULL: its
-- owner's) for quiet hours and digests, and a Discord role to mention in
-- each post. Keep in step with the other dialect's
-- 0017_community_digest_mention.sql.
ALTER TABLE destinations ADD COLUMN digest_mode TEXT NOT NULL DEFAULT 'off';
ALTER TABLE destinations ADD COLUMN digest_minute BIGINT NOT NULL DEFAULT 480;
ALTER TABLE destinations ADD COLUMN digest_weekday BIGINT NOT NULL DEFAULT 1;
ALTER TABLE destinations ADD COLUMN time_zone TEXT;
ALTER TABLE destinations ADD COLUMN mention_role TEXT;
