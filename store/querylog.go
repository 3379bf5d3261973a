package store

import (
	"context"
	"slices"
	"sync"
)

// Query is one statement a DB or Tx was asked to run, as its caller wrote
// it ('?' placeholders), with its arguments.
type Query struct {
	SQL  string
	Args []any
	// Read is set for a query on the read pool (DB.QueryContext and
	// DB.QueryRowContext); other statements ran on the write pool or in a
	// transaction.
	Read bool
}

// QueryLog collects the statements run with a context from RecordQueries:
// how many queries a page costs, and which, so that a benchmark can run
// the same SQL again elsewhere. It records arguments, so it is for tests
// and benchmarks only, never for logs.
type QueryLog struct {
	mu      sync.Mutex
	queries []Query
}

type queryLogKey struct{}

// RecordQueries returns a context under which every statement run on a DB
// or Tx is added to the log returned.
func RecordQueries(ctx context.Context) (context.Context, *QueryLog) {
	l := new(QueryLog)
	return context.WithValue(ctx, queryLogKey{}, l), l
}

// Queries returns the statements recorded so far, in the order they ran.
func (l *QueryLog) Queries() []Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.queries)
}

// Reads returns the queries recorded on the read pool.
func (l *QueryLog) Reads() []Query {
	var out []Query
	for _, q := range l.Queries() {
		if q.Read {
			out = append(out, q)
		}
	}
	return out
}

// note adds a statement to the context's log, if it has one.
func note(ctx context.Context, read bool, query string, args []any) {
	l, _ := ctx.Value(queryLogKey{}).(*QueryLog)
	if l == nil {
		return
	}
	l.mu.Lock()
	l.queries = append(l.queries, Query{SQL: query, Args: slices.Clone(args), Read: read})
	l.mu.Unlock()
}
