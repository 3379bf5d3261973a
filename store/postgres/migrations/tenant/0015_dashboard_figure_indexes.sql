-- Dashboard figures over case data (package metrics, casemetrics.go) read
-- every live record of a kind in a date range, grouped by day: each index
-- holds all a figure's query reads of its table (the filter, the day, the
-- group, the case id that sets deleted cases aside and the record's id
-- that the access predicate looks up), as on SQLite.
CREATE INDEX financial_records_figures ON financial_records (kind, currency, occurred_on, case_id, amount_e4, id) WHERE deleted_at = '';
CREATE INDEX case_events_deadlines ON case_events (kind, due_on, case_id, id) WHERE done = 0 AND deleted_at = '';
CREATE INDEX documents_added_hour ON documents (substr(created_at, 1, 13), case_id, created_at, id) WHERE deleted_at = '';
CREATE INDEX cases_opened_live ON cases (opened_on, id) WHERE deleted_at = '';
CREATE INDEX cases_closed_live ON cases (closed_on, practice_group, id) WHERE deleted_at = '';
