-- Kiosk links carry a version, moved on by every change to a link, so
-- that an edit made from an older version (a form left open, an API
-- client that read the link before someone else changed it) is refused
-- instead of silently undoing the other change.
ALTER TABLE kiosk_links ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
