package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/identity"
	"github.com/antrag/antrag/internal/tenant"
)

// CreateTenant stores t with its pages, setting ID (if empty) and
// CreatedAt (if zero). A taken slug or host is apperr.Conflict; a tenant
// that does not validate apperr.Invalid.
func (db *DB) CreateTenant(ctx context.Context, t *tenant.Tenant) (err error) {
	defer db.wrap(&err, "CreateTenant(%q)", t.Slug)
	if err := t.Validate(); err != nil {
		return err
	}
	pages, err := encodePages(&t.Pages)
	if err != nil {
		return err
	}
	id, created := newID(t.ID), db.orNow(t.CreatedAt)
	_, err = db.exec(ctx,
		`INSERT INTO tenants (id, slug, name, kind, ars, host, pages, created_at, logo_url, colour)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, t.Slug, t.Name, string(t.Kind), t.ARS, t.Host, pages, db.ts(created), t.LogoURL, t.Colour)
	if err != nil {
		return err
	}
	t.ID, t.CreatedAt = id, created
	return nil
}

const tenantColumns = `id, slug, name, kind, ars, host, pages, created_at, logo_url, colour`

func scanTenant(row scanner) (*tenant.Tenant, error) {
	t := &tenant.Tenant{}
	var kind, pages string
	if err := row.Scan(&t.ID, &t.Slug, &t.Name, &kind, &t.ARS, &t.Host, &pages, timeCol{&t.CreatedAt}, &t.LogoURL, &t.Colour); err != nil {
		return nil, err
	}
	t.Kind = tenant.Kind(kind)
	if err := json.Unmarshal([]byte(pages), &t.Pages); err != nil {
		return nil, fmt.Errorf("tenant %s: pages: %w", t.ID, err)
	}
	return t, nil
}

// encodePages checks p and returns it as stored: a JSON object, "{}" for
// none.
func encodePages(p *tenant.Pages) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// Tenant returns the tenant with the id.
func (db *DB) Tenant(ctx context.Context, id string) (_ *tenant.Tenant, err error) {
	defer db.wrap(&err, "Tenant(%q)", id)
	return scanTenant(db.queryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
}

// TenantBySlug returns the tenant with the slug.
func (db *DB) TenantBySlug(ctx context.Context, slug string) (_ *tenant.Tenant, err error) {
	defer db.wrap(&err, "TenantBySlug(%q)", slug)
	v, err := db.configVersion(ctx)
	if err != nil {
		return nil, err
	}
	if t, ok := cached(db, v, tenantsOf, slug); ok {
		return &t, nil
	}
	t, err := scanTenant(db.queryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = $1`, slug))
	if err != nil {
		return nil, err
	}
	keep(db, v, tenantsRef, slug, t)
	return t, nil
}

// TenantByHost returns the tenant with the host name (compared exactly;
// the caller normalises it). The empty host is never found.
func (db *DB) TenantByHost(ctx context.Context, host string) (_ *tenant.Tenant, err error) {
	defer db.wrap(&err, "TenantByHost(%q)", host)
	if host == "" {
		return nil, notFound("empty host")
	}
	return scanTenant(db.queryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE host = $1`, host))
}

// ListTenants lists all tenants by name.
func (db *DB) ListTenants(ctx context.Context) (_ []*tenant.Tenant, err error) {
	defer db.wrap(&err, "ListTenants")
	rows, err := db.query(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY name, slug`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanTenant)
}

// CreateAuthority stores a with its pages, setting ID if empty. Pages
// that do not validate are apperr.Invalid.
func (db *DB) CreateAuthority(ctx context.Context, a *tenant.Authority, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "CreateAuthority(%q)", a.Name)
	cols, err := encodeAuthority(a)
	if err != nil {
		return err
	}
	id := newID(a.ID)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx,
			`INSERT INTO authorities (id, tenant_id, name, address, email, pages, phone, efa_parameters)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			id, a.TenantID, a.Name, cols.address, a.Email, cols.pages, a.Phone, cols.efa); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, a.TenantID, id, evs)
	})
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// authorityJSON are an authority's JSON columns as stored.
type authorityJSON struct{ address, pages, efa string }

// encodeAuthority validates a and encodes its JSON columns.
func encodeAuthority(a *tenant.Authority) (*authorityJSON, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	pages, err := encodePages(&a.Pages)
	if err != nil {
		return nil, err
	}
	addr, efa := a.Address, a.EfA
	if addr == nil {
		addr = []string{}
	}
	if efa == nil {
		efa = map[string]string{}
	}
	addrJSON, err := json.Marshal(addr)
	if err != nil {
		return nil, err
	}
	efaJSON, err := json.Marshal(efa)
	if err != nil {
		return nil, err
	}
	return &authorityJSON{string(addrJSON), pages, string(efaJSON)}, nil
}

const authorityColumns = `id, tenant_id, name, address, email, pages, phone, efa_parameters`

func scanAuthority(row scanner) (*tenant.Authority, error) {
	a := &tenant.Authority{}
	var addr, pages, efa string
	if err := row.Scan(&a.ID, &a.TenantID, &a.Name, &addr, &a.Email, &pages, &a.Phone, &efa); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(efa), &a.EfA); err != nil {
		return nil, fmt.Errorf("authority %s: EfA parameters: %w", a.ID, err)
	}
	if len(a.EfA) == 0 {
		a.EfA = nil
	}
	if err := json.Unmarshal([]byte(addr), &a.Address); err != nil {
		return nil, fmt.Errorf("authority %s: address: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(pages), &a.Pages); err != nil {
		return nil, fmt.Errorf("authority %s: pages: %w", a.ID, err)
	}
	if len(a.Address) == 0 {
		a.Address = nil
	}
	return a, nil
}

// Authority returns an authority of the tenant.
func (db *DB) Authority(ctx context.Context, tenantID, id string) (_ *tenant.Authority, err error) {
	defer db.wrap(&err, "Authority(%q, %q)", tenantID, id)
	v, err := db.configVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := [2]string{tenantID, id}
	if a, ok := cached(db, v, authoritiesOf, key); ok {
		return &a, nil
	}
	a, err := scanAuthority(db.queryRow(ctx,
		`SELECT `+authorityColumns+` FROM authorities WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, err
	}
	keep(db, v, authoritiesRef, key, a)
	return a, nil
}

// ListAuthorities lists the tenant's authorities by name.
func (db *DB) ListAuthorities(ctx context.Context, tenantID string) (_ []*tenant.Authority, err error) {
	defer db.wrap(&err, "ListAuthorities(%q)", tenantID)
	rows, err := db.query(ctx,
		`SELECT `+authorityColumns+` FROM authorities WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanAuthority)
}

// SetPages replaces the operator pages of the tenant and of all its
// authorities in one transaction (see tenant.Store). An unknown tenant or
// an authority id not of the tenant is apperr.NotFound, pages that do not
// validate apperr.Invalid; then nothing changes.
func (db *DB) SetPages(ctx context.Context, tenantID string, own tenant.Pages, byAuthority map[string]tenant.Pages) (err error) {
	defer db.wrap(&err, "SetPages(%q)", tenantID)
	ownJSON, err := encodePages(&own)
	if err != nil {
		return err
	}
	authJSON := make(map[string]string, len(byAuthority))
	for id, p := range byAuthority {
		enc, err := encodePages(&p)
		if err != nil {
			return fmt.Errorf("Behörde %s: %w", id, err)
		}
		authJSON[id] = enc
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE tenants SET pages = $1 WHERE id = $2`, ownJSON, tenantID)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "tenant"); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `UPDATE authorities SET pages = '{}' WHERE tenant_id = $1`, tenantID); err != nil {
			return err
		}
		for id, enc := range authJSON {
			res, err := db.txExec(ctx, tx, `UPDATE authorities SET pages = $1 WHERE tenant_id = $2 AND id = $3`, enc, tenantID, id)
			if err != nil {
				return err
			}
			if err := mustAffect(res, "authority "+id); err != nil {
				return err
			}
		}
		return nil
	})
}

// CreateService stores s, setting ID (if empty) and CreatedAt (if zero).
// FormVersionID is ignored: it is set by PublishFormVersion. A slug the
// tenant already uses is apperr.Conflict; an AuthorityID that is not one
// of the tenant's authorities is apperr.Invalid.
func (db *DB) CreateService(ctx context.Context, s *tenant.Service) (err error) {
	defer db.wrap(&err, "CreateService(%q)", s.Slug)
	if err := s.Validate(); err != nil {
		return err
	}
	fee, err := encodeFee(s.Fee)
	if err != nil {
		return err
	}
	id, created := newID(s.ID), db.orNow(s.CreatedAt)
	_, err = db.exec(ctx, `INSERT INTO services
		(id, tenant_id, slug, name, description, leistungsschluessel, authority_id, shared, fee_text, duration_text, created_at,
		min_level, schriftformersatz, fee)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		id, s.TenantID, s.Slug, s.Name, s.Description, s.Leistungsschluessel, nullString(s.AuthorityID),
		s.Shared, s.FeeText, s.DurationText, db.ts(created), int(s.MinLevel), s.Schriftformersatz, fee)
	if err != nil {
		return err
	}
	s.ID, s.CreatedAt, s.FormVersionID = id, created, ""
	return nil
}

const serviceColumns = `s.id, s.tenant_id, s.slug, s.name, s.description, s.leistungsschluessel,
	s.authority_id, s.shared, s.fee_text, s.duration_text, s.form_version_id, s.created_at, s.min_level, s.schriftformersatz, s.fee`

func scanService(row scanner) (*tenant.Service, error) {
	s := &tenant.Service{}
	var level int
	var fee string
	err := row.Scan(&s.ID, &s.TenantID, &s.Slug, &s.Name, &s.Description, &s.Leistungsschluessel,
		strCol{&s.AuthorityID}, &s.Shared, &s.FeeText, &s.DurationText, strCol{&s.FormVersionID}, timeCol{&s.CreatedAt}, &level, &s.Schriftformersatz,
		&fee)
	if err != nil {
		return nil, err
	}
	s.MinLevel = identity.Level(level)
	if s.Fee, err = decodeFee(fee); err != nil {
		return nil, fmt.Errorf("service %s: %w", s.ID, err)
	}
	return s, nil
}

// Service returns a service of the tenant or a shared service of any
// tenant.
func (db *DB) Service(ctx context.Context, tenantID, id string) (_ *tenant.Service, err error) {
	defer db.wrap(&err, "Service(%q, %q)", tenantID, id)
	v, err := db.configVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := [2]string{tenantID, id}
	if s, ok := cached(db, v, servicesOf, key); ok {
		return &s, nil
	}
	s, err := scanService(db.queryRow(ctx,
		`SELECT `+serviceColumns+` FROM services s WHERE s.id = $1 AND (s.tenant_id = $2 OR s.shared)`, id, tenantID))
	if err != nil {
		return nil, err
	}
	keep(db, v, servicesRef, key, s)
	return s, nil
}

// ServiceBySlug returns the tenant's own service with the slug, else a
// shared service with it (the oldest, if several tenants share one with
// that slug).
func (db *DB) ServiceBySlug(ctx context.Context, tenantID, slug string) (_ *tenant.Service, err error) {
	defer db.wrap(&err, "ServiceBySlug(%q, %q)", tenantID, slug)
	v, err := db.configVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := [2]string{tenantID, slug}
	if s, ok := cached(db, v, slugsOf, key); ok {
		return &s, nil
	}
	s, err := scanService(db.queryRow(ctx,
		`SELECT `+serviceColumns+` FROM services s
		WHERE s.slug = $1 AND (s.tenant_id = $2 OR s.shared)
		ORDER BY s.tenant_id = $2 DESC, s.created_at, s.id
		LIMIT 1`, slug, tenantID))
	if err != nil {
		return nil, err
	}
	keep(db, v, slugsRef, key, s)
	return s, nil
}

// ListServices lists, by name, the tenant's own services and the shared
// ones it offers: those it has a jurisdiction for, and those nobody has a
// jurisdiction for (not routed, offered everywhere).
func (db *DB) ListServices(ctx context.Context, tenantID string) (_ []*tenant.Service, err error) {
	defer db.wrap(&err, "ListServices(%q)", tenantID)
	rows, err := db.query(ctx,
		`SELECT `+serviceColumns+` FROM services s
		WHERE s.tenant_id = $1 OR (s.shared AND (
			EXISTS (SELECT 1 FROM jurisdictions j WHERE j.tenant_id = $1 AND j.service_id = s.id)
			OR NOT EXISTS (SELECT 1 FROM jurisdictions j WHERE j.service_id = s.id)))
		ORDER BY s.name, s.id`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanService)
}

// ListAllServices lists every service, by the owner's name and then the
// service's name.
func (db *DB) ListAllServices(ctx context.Context) (_ []*tenant.Service, err error) {
	defer db.wrap(&err, "ListAllServices")
	rows, err := db.query(ctx,
		`SELECT `+serviceColumns+` FROM services s JOIN tenants t ON t.id = s.tenant_id
		ORDER BY t.name, t.id, s.name, s.id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanService)
}

// SetServiceIdentity sets the minimum Vertrauensniveau and the
// Schriftformersatz flag of one of the tenant's own services. A service the
// tenant does not own is apperr.NotFound; a level out of range is
// apperr.Invalid.
func (db *DB) SetServiceIdentity(ctx context.Context, tenantID, serviceID string, level identity.Level, schriftformersatz bool) (err error) {
	defer db.wrap(&err, "SetServiceIdentity(%q, %q)", tenantID, serviceID)
	if level < identity.LevelNone || level > identity.Hoch {
		return fmt.Errorf("%w: Vertrauensniveau %d", apperr.Invalid, int(level))
	}
	res, err := db.exec(ctx, `UPDATE services SET min_level = $1, schriftformersatz = $2 WHERE tenant_id = $3 AND id = $4`,
		int(level), schriftformersatz, tenantID, serviceID)
	if err != nil {
		return err
	}
	return mustAffect(res, "service")
}

// PublishFormVersion stores fv as the next version of its service's form
// and makes it the service's current version, in one transaction. It sets
// fv.ID (if empty), TenantID, Version and PublishedAt (if zero). Only the
// owner of the service can publish: for any other tenant it is
// apperr.NotFound. RuleSources that are not a JSON object are
// apperr.Invalid.
func (db *DB) PublishFormVersion(ctx context.Context, tenantID string, fv *tenant.FormVersion) error {
	return db.PublishChange(ctx, tenantID, fv)
}

// PublishChange publishes fv as PublishFormVersion does and records the
// events in the service's audit trail in the same transaction, setting
// their TenantID, ServiceID, ToVersionID, At and ID.
func (db *DB) PublishChange(ctx context.Context, tenantID string, fv *tenant.FormVersion, evs ...*tenant.ServiceEvent) (err error) {
	defer db.wrap(&err, "PublishFormVersion(%q, service %q)", tenantID, fv.ServiceID)
	id, published := newID(fv.ID), db.orNow(fv.PublishedAt)
	xdf := fv.XDF
	if xdf == nil {
		xdf = []byte{}
	}
	sources, acknowledged, err := encodeRuleSources(fv)
	if err != nil {
		return err
	}
	var version int
	eventIDs := make([]int64, len(evs))
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		var owner string
		err := db.txQueryRow(ctx, tx, `SELECT tenant_id FROM services WHERE id = $1 AND tenant_id = $2`,
			fv.ServiceID, tenantID).Scan(&owner)
		if err != nil {
			return err
		}
		if err := db.txQueryRow(ctx, tx, `SELECT COALESCE(MAX(version), 0) + 1 FROM form_versions WHERE tenant_id = $1 AND service_id = $2`,
			tenantID, fv.ServiceID).Scan(&version); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `INSERT INTO form_versions
			(id, tenant_id, service_id, version, fim_id, fim_version, name, xdf, published_at, rule_sources, acknowledged)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			id, tenantID, fv.ServiceID, version, fv.FIMID, fv.FIMVersion, fv.Name, xdf, db.ts(published), sources, acknowledged); err != nil {
			return err
		}
		res, err := db.txExec(ctx, tx, `UPDATE services SET form_version_id = $1 WHERE id = $2 AND tenant_id = $3`,
			id, fv.ServiceID, tenantID)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "service"); err != nil {
			return err
		}
		for i, ev := range evs {
			err := db.txQueryRow(ctx, tx, `INSERT INTO service_events
				(tenant_id, service_id, at, actor, action, regel, from_version_id, to_version_id, note)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
				tenantID, fv.ServiceID, db.ts(published), ev.Actor, ev.Action, ev.Regel, nullString(ev.FromVersionID), id, ev.Note).Scan(&eventIDs[i])
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fv.ID, fv.TenantID, fv.Version, fv.PublishedAt = id, tenantID, version, published
	for i, ev := range evs {
		ev.ID, ev.TenantID, ev.ServiceID, ev.ToVersionID, ev.At = eventIDs[i], tenantID, fv.ServiceID, id, published
	}
	return nil
}

// encodeRuleSources returns fv's rule sources and acknowledged Regeln as
// stored: a JSON object ("{}" for none) and a JSON array.
func encodeRuleSources(fv *tenant.FormVersion) (sources, acknowledged string, err error) {
	sources = "{}"
	if len(bytes.TrimSpace(fv.RuleSources)) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(fv.RuleSources, &obj); err != nil || obj == nil {
			return "", "", fmt.Errorf("%w: Regelquellen sind kein JSON-Objekt", apperr.Invalid)
		}
		sources = string(fv.RuleSources)
	}
	ack := fv.Acknowledged
	if ack == nil {
		ack = []string{}
	}
	b, err := json.Marshal(ack)
	return sources, string(b), err
}

// ServiceEvents returns the audit trail of one of the tenant's own
// services, oldest first.
func (db *DB) ServiceEvents(ctx context.Context, tenantID, serviceID string) (_ []*tenant.ServiceEvent, err error) {
	defer db.wrap(&err, "ServiceEvents(%q, %q)", tenantID, serviceID)
	rows, err := db.query(ctx, `SELECT id, tenant_id, service_id, at, actor, action, regel, from_version_id, to_version_id, note
		FROM service_events WHERE tenant_id = $1 AND service_id = $2 ORDER BY at, id`, tenantID, serviceID)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (*tenant.ServiceEvent, error) {
		e := &tenant.ServiceEvent{}
		if err := row.Scan(&e.ID, &e.TenantID, &e.ServiceID, timeCol{&e.At}, &e.Actor, &e.Action, &e.Regel,
			strCol{&e.FromVersionID}, strCol{&e.ToVersionID}, &e.Note); err != nil {
			return nil, err
		}
		return e, nil
	})
}

// FormVersion returns a form version of a service the tenant owns, or of a
// shared service.
func (db *DB) FormVersion(ctx context.Context, tenantID, id string) (_ *tenant.FormVersion, err error) {
	defer db.wrap(&err, "FormVersion(%q, %q)", tenantID, id)
	fv := &tenant.FormVersion{}
	var sources, acknowledged string
	err = db.queryRow(ctx,
		`SELECT f.id, f.tenant_id, f.service_id, f.version, f.fim_id, f.fim_version, f.name, f.xdf, f.published_at,
			f.rule_sources, f.acknowledged
		FROM form_versions f JOIN services s ON s.id = f.service_id
		WHERE f.id = $1 AND (s.tenant_id = $2 OR s.shared)`, id, tenantID).
		Scan(&fv.ID, &fv.TenantID, &fv.ServiceID, &fv.Version, &fv.FIMID, &fv.FIMVersion, &fv.Name, &fv.XDF, timeCol{&fv.PublishedAt},
			&sources, &acknowledged)
	if err != nil {
		return nil, err
	}
	if fv.XDF == nil {
		fv.XDF = []byte{}
	}
	if sources != "{}" {
		fv.RuleSources = []byte(sources)
	}
	if err := json.Unmarshal([]byte(acknowledged), &fv.Acknowledged); err != nil {
		return nil, fmt.Errorf("form version %s: acknowledged: %w", fv.ID, err)
	}
	if len(fv.Acknowledged) == 0 {
		fv.Acknowledged = nil
	}
	return fv, nil
}
