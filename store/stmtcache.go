package store

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// Statement cache limits: the statements kept per database, and the most
// arguments a cached statement may take. A statement with more is one of
// many (a long IN list of ids), so keeping it would only push out the hot
// ones. IDList keeps the IN list of a page's ids (up to 200, padded to 256)
// under it, with room for a few more arguments.
const (
	stmtCacheSize = 64
	stmtMaxArgs   = 300
)

// stmtCache keeps the read pool's prepared statements by SQL text, so that
// a hot query is parsed and planned once per connection instead of on
// every call (on SQLite a quarter of a case list's time). Only SQLite
// databases have one: pgx already caches prepared statements on each
// PostgreSQL connection. The least recently used statement is closed when
// the cache is full.
type stmtCache struct {
	pool *sql.DB

	mu     sync.Mutex
	byText map[string]*list.Element // of *cachedStmt
	lru    *list.List               // most recently used first
	closed bool
	stats  StatementStats
}

type cachedStmt struct {
	text  string
	stmt  *sql.Stmt
	users int  // calls between get and put
	gone  bool // evicted: the last user closes it
}

// StatementStats counts the read pool's statements.
type StatementStats struct {
	Prepared int64 // statements prepared (each then once on every connection that runs it)
	Reused   int64 // calls that ran a statement prepared before
	Cached   int   // statements kept now
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, byText: map[string]*list.Element{}, lru: list.New()}
}

// get returns the prepared statement of query, preparing it when it is not
// kept; put must follow once the call that uses it has returned. nil (and
// no error) means: run query unprepared.
func (c *stmtCache) get(ctx context.Context, query string, nargs int) (*cachedStmt, error) {
	if c == nil || nargs > stmtMaxArgs {
		return nil, nil
	}
	c.mu.Lock()
	if el, ok := c.byText[query]; ok {
		cs := el.Value.(*cachedStmt)
		c.lru.MoveToFront(el)
		cs.users++
		c.stats.Reused++
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()
	// Prepared outside the lock: it waits for a connection.
	stmt, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Prepared++
	if el, ok := c.byText[query]; ok || c.closed {
		// Another call prepared it meanwhile, or the database is closing.
		stmt.Close()
		if !ok {
			return nil, nil
		}
		cs := el.Value.(*cachedStmt)
		cs.users++
		return cs, nil
	}
	cs := &cachedStmt{text: query, stmt: stmt, users: 1}
	c.byText[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		c.evict(c.lru.Back())
	}
	return cs, nil
}

// evict drops a statement from the cache, closing it unless in use.
func (c *stmtCache) evict(el *list.Element) {
	cs := el.Value.(*cachedStmt)
	c.lru.Remove(el)
	delete(c.byText, cs.text)
	cs.gone = true
	if cs.users == 0 {
		cs.stmt.Close()
	}
}

// put ends one use of cs. Rows and a Row from the statement outlive it
// safely: database/sql closes a closed statement's connection copy only
// once the connection is free.
func (c *stmtCache) put(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.users--
	if cs.gone && cs.users == 0 {
		cs.stmt.Close()
	}
}

// close closes every kept statement; statements in use close when put.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for c.lru.Len() > 0 {
		c.evict(c.lru.Back())
	}
}

func (c *stmtCache) snapshot() StatementStats {
	if c == nil {
		return StatementStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Cached = c.lru.Len()
	return s
}

// StatementStats reports the read pool's prepared statements (all zero on
// PostgreSQL, whose driver keeps its own).
func (db *DB) StatementStats() StatementStats { return db.stmts.snapshot() }

// query runs a read on the read pool, through the statement cache.
func (db *DB) query(ctx context.Context, query string, args []any) (*sql.Rows, error) {
	cs, err := db.stmts.get(ctx, query, len(args))
	if err != nil || cs == nil {
		// Unprepared; a statement that did not prepare fails here again,
		// with its own error.
		return db.read.QueryContext(ctx, query, args...)
	}
	defer db.stmts.put(cs)
	return cs.stmt.QueryContext(ctx, args...)
}

// queryRow is query for a single row.
func (db *DB) queryRow(ctx context.Context, query string, args []any) *sql.Row {
	cs, err := db.stmts.get(ctx, query, len(args))
	if err != nil || cs == nil {
		return db.read.QueryRowContext(ctx, query, args...)
	}
	defer db.stmts.put(cs)
	return cs.stmt.QueryRowContext(ctx, args...)
}

// IDList is an IN list of ids: its placeholders, and the arguments to bind.
// The list is padded, by repeating the last id, to a length of 8, 16, 32
// and so on, so that lists of pages of any size share a few statement
// texts that the statement cache keeps (an id twice in an IN list matches
// what it matched once).
// No ids give NULL, which matches nothing.
func IDList(ids []int64) (placeholders string, args []any) {
	if len(ids) == 0 {
		return "NULL", nil
	}
	n := 8
	for n < len(ids) {
		n *= 2
	}
	args = make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return Placeholders(n), args
}
