-- A name people give a watch or an alert (`name 3 Kids' bike`), shown in
-- `list`. Keep in step with the other dialect's 0012_item_labels.sql.
ALTER TABLE watches ADD COLUMN label TEXT;
ALTER TABLE rules ADD COLUMN label TEXT;
