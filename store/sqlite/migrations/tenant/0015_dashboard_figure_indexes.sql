-- Dashboard figures over case data (package metrics, casemetrics.go) read
-- every live record of a kind in a date range, grouped by day. Each index
-- below holds all a figure's query reads of its table (the filter, the
-- day, the group and the case id that sets deleted cases aside; SQLite
-- keeps the row id in every index), so the query reads the index alone
-- instead of looking each row up in the table (documents' carries
-- created_at itself too: SQLite reads an indexed expression from the index
-- only when the columns under it are there as well). The access predicate's
-- lookups in record_classes remain, one or two per row.
CREATE INDEX financial_records_figures ON financial_records (kind, currency, occurred_on, case_id, amount_e4) WHERE deleted_at = '';
CREATE INDEX case_events_deadlines ON case_events (kind, due_on, case_id) WHERE done = 0 AND deleted_at = '';
CREATE INDEX documents_added_hour ON documents (substr(created_at, 1, 13), case_id, created_at) WHERE deleted_at = '';
CREATE INDEX cases_opened_live ON cases (opened_on) WHERE deleted_at = '';
CREATE INDEX cases_closed_live ON cases (closed_on, practice_group) WHERE deleted_at = '';
