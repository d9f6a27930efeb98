-- A counter bumped by every change to the rules table, so an instance can
-- keep its rule index between polls and rebuild it only when a rule was
-- added, changed, paused or removed, by any instance. Keep in step with the
-- other dialect's 0006_rules_revision.sql.
CREATE TABLE revisions (
    name TEXT    PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO revisions (name, n) VALUES ('rules', 0);

CREATE TRIGGER rules_revision_insert AFTER INSERT ON rules
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'rules';
END;
CREATE TRIGGER rules_revision_update AFTER UPDATE ON rules
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'rules';
END;
CREATE TRIGGER rules_revision_delete AFTER DELETE ON rules
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'rules';
END;
