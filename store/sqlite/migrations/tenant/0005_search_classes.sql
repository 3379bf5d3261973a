-- The security classes of each search entry, as words in a third column of
-- the full-text index, so that FTS5 itself narrows a restricted user's
-- search to the records carrying their classes: one intersection of word
-- lists inside the index, instead of an access check on every text match.
-- The access predicate of package access still decides every hit; this
-- column only spares it work.
--
-- Each word is U+E000 (a private-use character, which FTS5 keeps inside a
-- word) followed by "class" and the class id. Package search splits the
-- text users type at anything but letters and digits, so no word they
-- search for can ever match one of these.
--
-- Triggers keep the column equal to record_classes in the same
-- transaction as any change to either table, and only they write it. Each
-- entry goes into FTS5 once, with its classes: deleting and re-adding a
-- row just written makes FTS5 flush its pending data, and doing so for
-- every row of a bulk insert turned it into a stream of merges (13,000
-- records/s down to 600).

DROP TRIGGER search_index_ai;
DROP TRIGGER search_index_ad;
DROP TRIGGER search_index_au;
DROP TABLE search_fts;

-- The class words of each record that has classes.
CREATE VIEW record_class_words AS
	SELECT record_type, record_id, group_concat(char(57344) || 'class' || class_id, ' ' ORDER BY class_id) AS words
	FROM record_classes GROUP BY record_type, record_id;

ALTER TABLE search_index ADD COLUMN classes TEXT NOT NULL DEFAULT '';
UPDATE search_index SET classes = coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = search_index.record_type AND w.record_id = search_index.record_id), '');

CREATE VIRTUAL TABLE search_fts USING fts5 (
	title,
	body,
	classes,
	content = 'search_index',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_fts (search_fts) VALUES ('rebuild');

-- A new entry is indexed with the classes its record has (writers set
-- them before indexing; a later change comes through record_classes), and
-- the column is set to match. Updating only the classes column fires none
-- of these triggers: the record_classes triggers do the index's part.
CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN
	INSERT INTO search_fts (rowid, title, body, classes)
		VALUES (new.id, new.title, new.body, coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), ''));
	UPDATE search_index SET classes = coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), '')
		WHERE id = new.id AND classes <> coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), '');
END;
CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body, classes) VALUES ('delete', old.id, old.title, old.body, old.classes);
END;
CREATE TRIGGER search_index_au AFTER UPDATE OF id, record_type, record_id, title, body ON search_index BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body, classes) VALUES ('delete', old.id, old.title, old.body, old.classes);
	INSERT INTO search_fts (rowid, title, body, classes) VALUES (new.id, new.title, new.body, new.classes);
END;

-- A change of a record's classes re-indexes its entry, when it has one and
-- its class words differ.
CREATE TRIGGER record_classes_search_ai AFTER INSERT ON record_classes BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body, classes)
		SELECT 'delete', si.id, si.title, si.body, si.classes FROM search_index si WHERE si.record_type = new.record_type AND si.record_id = new.record_id
		AND si.classes <> coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), '');
	INSERT INTO search_fts (rowid, title, body, classes)
		SELECT si.id, si.title, si.body, coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), '') FROM search_index si WHERE si.record_type = new.record_type AND si.record_id = new.record_id
		AND si.classes <> coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), '');
	UPDATE search_index AS si SET classes = coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), '') WHERE si.record_type = new.record_type AND si.record_id = new.record_id
		AND si.classes <> coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = new.record_type AND w.record_id = new.record_id), '');
END;
CREATE TRIGGER record_classes_search_ad AFTER DELETE ON record_classes BEGIN
	INSERT INTO search_fts (search_fts, rowid, title, body, classes)
		SELECT 'delete', si.id, si.title, si.body, si.classes FROM search_index si WHERE si.record_type = old.record_type AND si.record_id = old.record_id
		AND si.classes <> coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = old.record_type AND w.record_id = old.record_id), '');
	INSERT INTO search_fts (rowid, title, body, classes)
		SELECT si.id, si.title, si.body, coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = old.record_type AND w.record_id = old.record_id), '') FROM search_index si WHERE si.record_type = old.record_type AND si.record_id = old.record_id
		AND si.classes <> coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = old.record_type AND w.record_id = old.record_id), '');
	UPDATE search_index AS si SET classes = coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = old.record_type AND w.record_id = old.record_id), '') WHERE si.record_type = old.record_type AND si.record_id = old.record_id
		AND si.classes <> coalesce((SELECT w.words FROM record_class_words w WHERE w.record_type = old.record_type AND w.record_id = old.record_id), '');
END;
-- Classes are changed by deleting and inserting rows (cases.SetClasses),
-- which the two triggers above follow; an UPDATE would need both at once.
CREATE TRIGGER record_classes_no_update BEFORE UPDATE ON record_classes BEGIN
	SELECT RAISE(ABORT, 'record_classes rows are replaced, not updated');
END;
