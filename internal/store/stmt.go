package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// stmtCache holds the prepared statements of the store's queries on one
// handle, by query text, so that a query is parsed once per connection
// rather than on every call. SQLite needs it: modernc.org/sqlite prepares
// each query afresh, and parsing was a twentieth of a step page's cost.
// PostgreSQL does not: pgx caches prepared statements per connection by
// itself, so there the cache is off and queries go to database/sql as
// they are. The store has one cache for its writer (sql, whose statements
// transactions use through tx.StmtContext, which reuses the statement on
// the transaction's connection) and one for its readers (rd).
//
// The cache holds at most maxStmts statements: queries built at run time
// (filters, lists of placeholders) have many texts, and those beyond the
// bound run unprepared.
type stmtCache struct {
	on      bool
	n       atomic.Int64   // statements in m
	m       sync.Map       // query text → *sql.Stmt
	pending sync.Map       // query text → true: being prepared, or failed to
	wg      sync.WaitGroup // preparations in the background
}

// maxStmts bounds a statement cache.
const maxStmts = 1000

// prepared returns the cached statement of q on h, preparing it on first
// use; nil if the cache is off or full, or q cannot be prepared (the
// caller runs q unprepared, which reports the same error). It must not be
// called on the writer while the caller holds a transaction: on SQLite
// preparing needs its one connection.
func (c *stmtCache) prepared(ctx context.Context, h *sql.DB, q string) *sql.Stmt {
	if !c.on {
		return nil
	}
	if st, ok := c.m.Load(q); ok {
		return st.(*sql.Stmt)
	}
	if c.n.Load() >= maxStmts {
		return nil
	}
	st, err := h.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if old, loaded := c.m.LoadOrStore(q, st); loaded {
		st.Close()
		return old.(*sql.Stmt)
	}
	c.n.Add(1)
	return st
}

// inTx returns the cached statement of q for use in tx, a transaction on
// h, or nil if there is none yet: then it prepares q in the background,
// once the connection is free, for the next transaction.
func (c *stmtCache) inTx(ctx context.Context, h *sql.DB, tx *sql.Tx, q string) *sql.Stmt {
	if !c.on {
		return nil
	}
	if st, ok := c.m.Load(q); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt))
	}
	if _, busy := c.pending.LoadOrStore(q, true); !busy {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c.prepared(ctx, h, q)
		}()
	}
	return nil
}

// close waits for statements being prepared and closes the cache's.
func (c *stmtCache) close() {
	c.wg.Wait()
	c.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
	c.n.Store(0)
}

// closeStmts closes the statement caches.
func (db *DB) closeStmts() {
	db.stmts.close()
	db.rstmts.close()
}

// queryRow reads one row outside a transaction: on the readers, through
// their statement cache.
func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := db.rstmts.prepared(ctx, db.rd, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.rd.QueryRowContext(ctx, q, args...)
}

// query reads rows outside a transaction: on the readers, through their
// statement cache.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := db.rstmts.prepared(ctx, db.rd, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.rd.QueryContext(ctx, q, args...)
}

// exec runs a statement outside a transaction: on the writer, through its
// statement cache.
func (db *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	defer forgetLookups(ctx)
	if writesConfig(q) {
		defer db.cache.changed()
	}
	if st := db.stmts.prepared(ctx, db.sql, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return db.sql.ExecContext(ctx, q, args...)
}

// txQueryRow is tx.QueryRowContext through the writer's statement cache.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := db.stmts.inTx(ctx, db.sql, tx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// txQuery is tx.QueryContext through the writer's statement cache.
func (db *DB) txQuery(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := db.stmts.inTx(ctx, db.sql, tx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// txExec is tx.ExecContext through the writer's statement cache.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if writesConfig(q) {
		db.cache.inTx(tx)
	}
	if st := db.stmts.inTx(ctx, db.sql, tx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// queryOn is q.QueryContext through the statement caches, for q the
// database or a transaction.
func (db *DB) queryOn(ctx context.Context, q queryer, query string, args ...any) (*sql.Rows, error) {
	switch q := q.(type) {
	case *sql.Tx:
		return db.txQuery(ctx, q, query, args...)
	case *sql.DB:
		if q == db.sql {
			return db.query(ctx, query, args...)
		}
	}
	return q.QueryContext(ctx, query, args...)
}

// queryRowOn is q.QueryRowContext through the statement caches, for q the
// database or a transaction.
func (db *DB) queryRowOn(ctx context.Context, q queryer, query string, args ...any) *sql.Row {
	switch q := q.(type) {
	case *sql.Tx:
		return db.txQueryRow(ctx, q, query, args...)
	case *sql.DB:
		if q == db.sql {
			return db.queryRow(ctx, query, args...)
		}
	}
	return q.QueryRowContext(ctx, query, args...)
}
