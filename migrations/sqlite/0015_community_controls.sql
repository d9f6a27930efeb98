-- Per-community controls: a daily cap (NULL: the default, 50), quiet
-- hours (minutes of the day, in the owner's time zone), and the count of
-- posts on the current day (`posts_day`: that day's local midnight, UTC
-- seconds). Keep in step with the other dialect's 0015_community_controls.sql.
ALTER TABLE destinations ADD COLUMN daily_cap INTEGER;
ALTER TABLE destinations ADD COLUMN quiet_start INTEGER;
ALTER TABLE destinations ADD COLUMN quiet_end INTEGER;
ALTER TABLE destinations ADD COLUMN posts_day INTEGER;
ALTER TABLE destinations ADD COLUMN posts_count INTEGER NOT NULL DEFAULT 0;
