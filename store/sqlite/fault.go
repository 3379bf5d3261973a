package sqlite

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"strongroom"
)

// faultOf names the fault a SQLite error is, by its primary result code:
// a full disk (SQLITE_FULL: SQLite's answer to ENOSPC), or a database that
// cannot be used right now (locked past the busy timeout, an I/O error, a
// file that cannot be opened, an interrupted statement), or a unique key
// written twice (ECONFLICT).
func faultOf(err error) string {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		// A unique key written twice; with one writer a service's own
		// check normally comes first, so this is a write that raced it.
		return strongroom.ECONFLICT
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return strongroom.ESTORAGE
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_NOMEM:
		return strongroom.EUNAVAILABLE
	}
	return ""
}
