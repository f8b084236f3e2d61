package store

import (
	"context"
	"sync"
	"sync/atomic"

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
	authorities map[[2]string]*tenant.Authority // by tenant id, authority id
}

// configVersion reads the count of configuration changes, once per
// context made by WithLookups.
func (db *DB) configVersion(ctx context.Context) (int64, error) {
	m, _ := ctx.Value(lookupsKey{}).(*lookups)
	if m != nil && m.read.Load() {
		return m.version.Load(), nil
	}
	var v int64
	if err := db.queryRow(ctx, `SELECT version FROM config_version WHERE id = 1`).Scan(&v); err != nil {
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

// cached looks key up in the map m of the cache at version v, first
// emptying the cache if it holds another version.
func cached[K comparable, V any](db *DB, v int64, m func(*lookupCache) map[K]*V, key K) (V, bool) {
	c := &db.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v {
		c.version = v
		c.tenants, c.services, c.authorities = nil, nil, nil
	}
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
func authoritiesOf(c *lookupCache) map[[2]string]*tenant.Authority { return c.authorities }
func authoritiesRef(c *lookupCache) *map[[2]string]*tenant.Authority {
	return &c.authorities
}
