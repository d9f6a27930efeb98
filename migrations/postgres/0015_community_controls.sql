-- Per-community controls: a daily cap (NULL: the default, 50), quiet
-- hours (minutes of the day, in the owner's time zone), and the count of
-- posts on the current day (`posts_day`: that day's local midnight, UTC
-- seconds). Keep in step with the other dialect's 0015_community_controls.sql.
ALTER TABLE destinations ADD COLUMN daily_cap BIGINT;
ALTER TABLE destinations ADD COLUMN quiet_start BIGINT;
ALTER TABLE destinations ADD COLUMN quiet_end BIGINT;
ALTER TABLE destinations ADD COLUMN posts_day BIGINT;
ALTER TABLE destinations ADD COLUMN posts_count BIGINT NOT NULL DEFAULT 0;
