-- The security classes of each search entry, as words in a third column of
-- the full-text index ("class12 class40"), so that FTS5 itself narrows a
-- restricted user's search to the records carrying their classes: one
-- intersection of two word lists inside the index, instead of an access
-- check on every text match. The access predicate of package access still
-- decides every hit; this column only spares it work. Users' words are
-- matched against the title and body only (package search writes the
-- column filter), so nobody finds anything by typing "class12".
--
-- Triggers keep the column equal to record_classes in the same
-- transaction as any change to either table.

DROP TRIGGER search_index_ai;
DROP TRIGGER search_index_ad;
DROP TRIGGER search_index_au;
DROP TABLE search_fts;

ALTER TABLE search_index ADD COLUMN classes TEXT NOT NULL DEFAULT '';

UPDATE search_index SET classes = (
	SELECT group_concat('class' || rc.class_id, ' ') FROM record_classes rc
	WHERE rc.record_type = search_index.record_type AND rc.record_id = search_index.record_id)
WHERE EXISTS (SELECT 1 FROM record_classes rc
	WHERE rc.record_type = search_index.record_type AND rc.record_id = search_index.record_id);

CREATE VIRTUAL TABLE search_fts USING fts5 (
	title,
	body,
	classes,
	content = 'search_index',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_fts (search_fts) VALUES ('rebuild');

-- A new entry is indexed as written, then given the classes its record
-- already has (writers may set them before or after indexing it).
CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN
	INSERT INTO search_fts (rowid, title, body, classes) VALUES (new.id, new.title, new.body, new.classes);
	UPDATE search_index SET classes = coalesce((
		SELECT group_concat('class' || rc.class_id, ' ') FROM record_classes rc
		WHERE rc.record_type = new.record_type AND rc.record_id = new.record_id), '')
	WHERE id = new.id AND classes <> coalesce((
		SELECT group_concat('class' || rc.class_id, ' ') FROM record_classes rc
		WHERE rc.record_type = new.record_type AND rc.record_id = new.record_id), '');
END;
CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body, classes) VALUES ('delete', old.id, old.title, old.body, old.classes);
END;
CREATE TRIGGER search_index_au AFTER UPDATE ON search_index BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body, classes) VALUES ('delete', old.id, old.title, old.body, old.classes);
	INSERT INTO search_fts (rowid, title, body, classes) VALUES (new.id, new.title, new.body, new.classes);
END;

CREATE TRIGGER record_classes_search_ai AFTER INSERT ON record_classes BEGIN
	UPDATE search_index SET classes = coalesce((
		SELECT group_concat('class' || rc.class_id, ' ') FROM record_classes rc
		WHERE rc.record_type = new.record_type AND rc.record_id = new.record_id), '')
	WHERE record_type = new.record_type AND record_id = new.record_id;
END;
CREATE TRIGGER record_classes_search_ad AFTER DELETE ON record_classes BEGIN
	UPDATE search_index SET classes = coalesce((
		SELECT group_concat('class' || rc.class_id, ' ') FROM record_classes rc
		WHERE rc.record_type = old.record_type AND rc.record_id = old.record_id), '')
	WHERE record_type = old.record_type AND record_id = old.record_id;
END;
CREATE TRIGGER record_classes_search_au AFTER UPDATE ON record_classes BEGIN
	UPDATE search_index SET classes = coalesce((
		SELECT group_concat('class' || rc.class_id, ' ') FROM record_classes rc
		WHERE rc.record_type = old.record_type AND rc.record_id = old.record_id), '')
	WHERE record_type = old.record_type AND record_id = old.record_id;
	UPDATE search_index SET classes = coalesce((
		SELECT group_concat('class' || rc.class_id, ' ') FROM record_classes rc
		WHERE rc.record_type = new.record_type AND rc.record_id = new.record_id), '')
	WHERE record_type = new.record_type AND record_id = new.record_id;
END;
