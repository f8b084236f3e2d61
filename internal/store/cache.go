package store

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// lookupCache keeps the tenants, authorities and services this process
// read, for the lookups every citizen request makes (TenantBySlug,
// Authority, Service). It holds them at one count of config_version
// (migration 00023), which triggers raise on every change of those
// tables, by any process: a lookup reads the count (one single-row query
// instead of the row and its JSON), and a count other than the cache's
// empties the cache first. Only found objects are kept, so the cache is
// bounded by the configuration, not by what clients ask for.
//
// Lookups return a copy of the cached object: callers may set its fields
// (the admin pages do) without changing the cache. Its slices and maps are
// shared and must not be changed in place.
type lookupCache struct {
	mu          sync.Mutex
	version     int64
	tenants     map[string]*tenant.Tenant       // by slug
	services    map[[2]string]*tenant.Service   // by tenant id, service id
	slugs       map[[2]string]*tenant.Service   // by tenant id, slug asked for
	authorities map[[2]string]*tenant.Authority // by tenant id, authority id
	// recheck is Options.ConfigRecheck. read is when the count was last
	// read (UnixNano; 0: read it at the next lookup), seen what it was;
	// changes counts this process's committed changes of configuration,
	// so that a read that began before one does not store its count.
	recheck time.Duration
	read    atomic.Int64
	seen    atomic.Int64
	changes atomic.Int64
	// configTxs holds the transactions that changed configuration and
	// have not ended (txExec with writesConfig).
	configTxs sync.Map // *sql.Tx → struct{}

	// values holds what cachedLoad read (jurisdictions, targets, fees),
	// by a key naming the lookup and its arguments, as a loaded: the
	// value, or that there is none.
	values map[string]loaded
}

// loaded is a value read by cachedLoad, or notFound if there was none.
type loaded struct {
	v        any
	notFound error
}

// configVersion reads the count of configuration changes, once per
// context made by WithLookups.
func (db *DB) configVersion(ctx context.Context) (int64, error) {
	m, _ := ctx.Value(lookupsKey{}).(*lookups)
	if m != nil && m.read.Load() {
		return m.version.Load(), nil
	}
	v, err := db.cache.readVersion(ctx, db)
	if err != nil {
		return 0, err
	}
	if m != nil {
		m.version.Store(v)
		m.read.Store(true)
	}
	return v, nil
}

// lookups is what WithLookups keeps for a context.
type lookups struct {
	version atomic.Int64
	read    atomic.Bool
}

type lookupsKey struct{}

// WithLookups returns a context in which the store's lookups of tenants,
// authorities and services read the count of configuration changes once
// (the web server makes one per request, which then sees the
// configuration as it was at its first lookup), until a write in that
// context commits (which may have changed it).
func WithLookups(ctx context.Context) context.Context {
	return context.WithValue(ctx, lookupsKey{}, &lookups{})
}

// forgetLookups makes the lookups of ctx read the count again: a write in
// ctx has committed.
func forgetLookups(ctx context.Context) {
	if m, _ := ctx.Value(lookupsKey{}).(*lookups); m != nil {
		m.read.Store(false)
	}
}

// at empties the cache if it holds another version than v, and makes it
// the cache of v. c.mu must be held.
func (c *lookupCache) at(v int64) {
	if c.version != v {
		c.version = v
		c.tenants, c.services, c.slugs, c.authorities, c.values = nil, nil, nil, nil, nil
	}
}

// cached looks key up in the map m of the cache at version v, first
// emptying the cache if it holds another version.
func cached[K comparable, V any](db *DB, v int64, m func(*lookupCache) map[K]*V, key K) (V, bool) {
	c := &db.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(v)
	if p, ok := m(c)[key]; ok {
		return *p, true
	}
	var zero V
	return zero, false
}

// keep stores val under key in the cache if the cache is still at
// version v (val was read after v was: it is at least as new).
func keep[K comparable, V any](db *DB, v int64, m func(*lookupCache) *map[K]*V, key K, val *V) {
	c := &db.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v {
		return
	}
	mp := m(c)
	if *mp == nil {
		*mp = make(map[K]*V)
	}
	cp := *val
	(*mp)[key] = &cp
}

func tenantsOf(c *lookupCache) map[string]*tenant.Tenant           { return c.tenants }
func tenantsRef(c *lookupCache) *map[string]*tenant.Tenant         { return &c.tenants }
func servicesOf(c *lookupCache) map[[2]string]*tenant.Service      { return c.services }
func servicesRef(c *lookupCache) *map[[2]string]*tenant.Service    { return &c.services }
func slugsOf(c *lookupCache) map[[2]string]*tenant.Service         { return c.slugs }
func slugsRef(c *lookupCache) *map[[2]string]*tenant.Service       { return &c.slugs }
func authoritiesOf(c *lookupCache) map[[2]string]*tenant.Authority { return c.authorities }
func authoritiesRef(c *lookupCache) *map[[2]string]*tenant.Authority {
	return &c.authorities
}

// cachedLoad returns clone of the value the cache holds under key, else
// loads it, keeps it and returns a clone. key names the lookup and its
// arguments; the arguments must be ids of stored objects (not text a
// client sent), so that the cache stays bounded by the configuration. An
// error wrapping apperr.NotFound is kept and returned like a value (asked
// for on every submission of a service without such a setting), and so is
// sql.ErrNoRows, which the caller's db.wrap turns into apperr.NotFound;
// other errors are returned and not kept. What load reads must be counted
// by config_version (migrations 00023 and 00024).
func cachedLoad[V any](ctx context.Context, db *DB, key string, load func() (V, error), clone func(V) V) (V, error) {
	var zero V
	v, err := db.configVersion(ctx)
	if err != nil {
		return zero, err
	}
	c := &db.cache
	c.mu.Lock()
	c.at(v)
	l, ok := c.values[key]
	c.mu.Unlock()
	if ok {
		if l.notFound != nil {
			return zero, l.notFound
		}
		return clone(l.v.(V)), nil
	}
	val, err := load()
	switch {
	case err == nil:
		l = loaded{v: clone(val)}
	case errors.Is(err, apperr.NotFound) || errors.Is(err, sql.ErrNoRows):
		l = loaded{notFound: err}
	default:
		return zero, err
	}
	c.mu.Lock()
	if c.version == v {
		if c.values == nil {
			c.values = make(map[string]loaded)
		}
		c.values[key] = l
	}
	c.mu.Unlock()
	return val, err
}

// cloneList copies a list of pointers to structs, and the structs.
func cloneList[T any](in []*T) []*T {
	if in == nil {
		return nil
	}
	out := make([]*T, len(in))
	vals := make([]T, len(in))
	for i, p := range in {
		vals[i] = *p
		out[i] = &vals[i]
	}
	return out
}

// readVersion returns the count of configuration changes: the one read last
// if that was less than recheck ago and this process has changed nothing
// since, else the count read now.
func (c *lookupCache) readVersion(ctx context.Context, db *DB) (int64, error) {
	start := time.Now().UnixNano()
	if at := c.read.Load(); c.recheck > 0 && at != 0 && start-at < int64(c.recheck) {
		return c.seen.Load(), nil
	}
	changes := c.changes.Load()
	var v int64
	if err := db.queryRow(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, err
	}
	if c.recheck > 0 {
		c.mu.Lock()
		if c.changes.Load() == changes { // else a change may have committed after the read
			c.seen.Store(v)
			c.read.Store(start)
		}
		c.mu.Unlock()
	}
	return v, nil
}

// changed makes the next lookup read the count of configuration changes:
// this process has committed one.
func (c *lookupCache) changed() {
	c.mu.Lock()
	c.changes.Add(1)
	c.read.Store(0)
	c.mu.Unlock()
}

// inTx notes that tx changes configuration.
func (c *lookupCache) inTx(tx *sql.Tx) { c.configTxs.Store(tx, struct{}{}) }

// txDone is called when tx has ended (committed or not): if it changed
// configuration, the next lookup reads the count again.
func (c *lookupCache) txDone(tx *sql.Tx) {
	if _, ok := c.configTxs.LoadAndDelete(tx); ok {
		c.changed()
	}
}

// configTable matches a statement that changes a table config_version
// counts (migrations 00023, 00024).
var configTable = regexp.MustCompile(`(?is)^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(tenants|authorities|services|jurisdictions|delivery_targets|authority_fees)\b`)

// configStatements remembers writesConfig's answer by statement text.
var configStatements sync.Map // string → bool

// writesConfig reports whether the statement q changes a table that
// config_version counts.
func writesConfig(q string) bool {
	if v, ok := configStatements.Load(q); ok {
		return v.(bool)
	}
	w := configTable.MatchString(q)
	configStatements.Store(q, w)
	return w
}
