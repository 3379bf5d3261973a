package postgres

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"strongroom"
)

// faultOf names the fault a PostgreSQL error is, by SQLSTATE and by pgx's
// error types: a full disk (53100), a server that cannot be reached, went
// away, is shutting down, or gave up on a statement or a lock in time;
// or a write that raced another (ECONFLICT).
func faultOf(err error) string {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return strongroom.EUNAVAILABLE // whatever the server said, it did not let us in
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "53100": // disk_full
			return strongroom.ESTORAGE
		// Two transactions wrote the same thing at once: a unique key
		// another committed first (its check ran before that commit), a
		// serialization failure or a deadlock. Nothing was saved; the
		// request can be repeated.
		case pgErr.Code == "23505", pgErr.Code == "40001", pgErr.Code == "40P01":
			return strongroom.ECONFLICT
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "57"),          // operator intervention: admin/crash shutdown, cannot connect now, query_canceled (statement_timeout)
			pgErr.Code == "53200", pgErr.Code == "53300", // out of memory, too many connections
			pgErr.Code == "55P03", // lock_not_available (lock_timeout)
			pgErr.Code == "25006", // read_only_sql_transaction: a standby
			pgErr.Code == "3D000": // the database is gone
			return strongroom.EUNAVAILABLE
		}
		return ""
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr), pgconn.Timeout(err), pgconn.SafeToRetry(err),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return strongroom.EUNAVAILABLE
	}
	return ""
}
