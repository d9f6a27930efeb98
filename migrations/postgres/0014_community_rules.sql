-- A rule made for a community destination posts its matches there; it
-- goes when the destination is removed. Keep in step with the other
-- dialect's 0014_community_rules.sql.
ALTER TABLE rules ADD COLUMN destination_id BIGINT REFERENCES destinations (id) ON DELETE CASCADE;
CREATE INDEX rules_destination ON rules (destination_id) WHERE destination_id IS NOT NULL;
