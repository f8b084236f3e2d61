package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// stmtCache holds the prepared statements of the store's queries, by query
// text, so that a query is parsed once per connection rather than on every
// call. SQLite needs it: modernc.org/sqlite prepares each query afresh,
// and parsing was a twentieth of a step page's cost. PostgreSQL does not:
// pgx caches prepared statements per connection by itself, so there the
// cache is off and queries go to database/sql as they are.
//
// A statement prepared on the database is used in a transaction through
// tx.StmtContext, which reuses the statement on the transaction's
// connection (SQLite has one) when it was prepared there before.
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

// maxStmts bounds the statement cache.
const maxStmts = 1000

// prepared returns the cached statement of q, preparing it on first use;
// nil if the cache is off or full, or q cannot be prepared (the caller
// runs q unprepared, which reports the same error). It must not be called
// while the caller holds a transaction: on SQLite preparing needs the one
// connection.
func (db *DB) prepared(ctx context.Context, q string) *sql.Stmt {
	if !db.stmts.on {
		return nil
	}
	if st, ok := db.stmts.m.Load(q); ok {
		return st.(*sql.Stmt)
	}
	if db.stmts.n.Load() >= maxStmts {
		return nil
	}
	st, err := db.sql.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if old, loaded := db.stmts.m.LoadOrStore(q, st); loaded {
		st.Close()
		return old.(*sql.Stmt)
	}
	db.stmts.n.Add(1)
	return st
}

// inTx returns the cached statement of q for use in tx, or nil if there is
// none yet: then it prepares q in the background, once the connection is
// free, for the next transaction.
func (db *DB) inTx(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	if !db.stmts.on {
		return nil
	}
	if st, ok := db.stmts.m.Load(q); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt))
	}
	if _, busy := db.stmts.pending.LoadOrStore(q, true); !busy {
		db.stmts.wg.Add(1)
		go func() {
			defer db.stmts.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			db.prepared(ctx, q)
		}()
	}
	return nil
}

// closeStmts waits for statements being prepared and closes the cache's.
func (db *DB) closeStmts() {
	db.stmts.wg.Wait()
	db.stmts.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		db.stmts.m.Delete(k)
		return true
	})
	db.stmts.n.Store(0)
}

// queryRow is db.sql.QueryRowContext through the statement cache.
func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := db.prepared(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.sql.QueryRowContext(ctx, q, args...)
}

// query is db.sql.QueryContext through the statement cache.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.sql.QueryContext(ctx, q, args...)
}

// exec is db.sql.ExecContext through the statement cache.
func (db *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := db.prepared(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return db.sql.ExecContext(ctx, q, args...)
}

// txQueryRow is tx.QueryRowContext through the statement cache.
func (db *DB) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := db.inTx(ctx, tx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// txQuery is tx.QueryContext through the statement cache.
func (db *DB) txQuery(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := db.inTx(ctx, tx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// txExec is tx.ExecContext through the statement cache.
func (db *DB) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st := db.inTx(ctx, tx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}
