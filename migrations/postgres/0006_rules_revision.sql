-- A counter bumped by every change to the rules table, so an instance can
-- keep its rule index between polls and rebuild it only when a rule was
-- added, changed, paused or removed, by any instance. Keep in step with the
-- other dialect's 0006_rules_revision.sql.
CREATE TABLE revisions (
    name TEXT   PRIMARY KEY,
    n    BIGINT NOT NULL
);
INSERT INTO revisions (name, n) VALUES ('rules', 0);

-- Once per statement, not per row: a statement touching many rules (a
-- downgrade pausing several) bumps it once.
CREATE FUNCTION bump_rules_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'rules';
    RETURN NULL;
END
$$;
CREATE TRIGGER rules_revision AFTER INSERT OR UPDATE OR DELETE ON rules
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rules_revision();
