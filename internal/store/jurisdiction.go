package store

import (
	"context"
	"database/sql"

	"github.com/antrag/antrag/internal/tenant"
)

// CreateJurisdiction, DeleteJurisdiction, UpdateTenant, UpdateAuthority
// and UpdateService record the audit events evs (see insertAudits) in the
// transaction of the change, so that no change stands without its entry.

// CreateJurisdiction stores j for its tenant, setting ID (if empty) and
// CreatedAt (if zero). The service must be the tenant's own or a shared
// one, the authority the tenant's (else apperr.NotFound); an area another
// entry of the service already names, of any tenant, is apperr.Conflict;
// a jurisdiction that does not validate apperr.Invalid.
func (db *DB) CreateJurisdiction(ctx context.Context, j *tenant.Jurisdiction, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "CreateJurisdiction(%q, %q)", j.TenantID, j.ServiceID)
	if err := j.Validate(); err != nil {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if err := db.insertJurisdiction(ctx, tx, j); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, j.TenantID, j.ID, evs)
	})
}

func (db *DB) insertJurisdiction(ctx context.Context, tx *sql.Tx, j *tenant.Jurisdiction) error {
	if err := offered(ctx, tx, j.TenantID, j.ServiceID); err != nil {
		return err
	}
	var n int
	if err := db.txQueryRow(ctx, tx, `SELECT count(*) FROM authorities WHERE tenant_id = $1 AND id = $2`,
		j.TenantID, j.AuthorityID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return notFound("authority " + j.AuthorityID)
	}
	id, created := newID(j.ID), db.orNow(j.CreatedAt)
	if _, err := db.txExec(ctx, tx, `INSERT INTO jurisdictions
		(id, tenant_id, service_id, authority_id, ars, postcode, street, street_key, source, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, j.TenantID, j.ServiceID, j.AuthorityID, j.ARS, j.Postcode, j.Street, j.StreetKey(), j.Source, db.ts(created)); err != nil {
		return err
	}
	j.ID, j.CreatedAt = id, created
	return nil
}

// offered checks that the service is the tenant's own or a shared one:
// apperr.NotFound otherwise.
func offered(ctx context.Context, tx *sql.Tx, tenantID, serviceID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM services WHERE id = $1 AND (tenant_id = $2 OR shared)`,
		serviceID, tenantID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return notFound("service " + serviceID)
	}
	return nil
}

// SetJurisdictions replaces the tenant's jurisdictions for one service
// with js, in one transaction (each as CreateJurisdiction checks it;
// TenantID and ServiceID are set). An empty js removes them all.
func (db *DB) SetJurisdictions(ctx context.Context, tenantID, serviceID string, js []*tenant.Jurisdiction) (err error) {
	defer db.wrap(&err, "SetJurisdictions(%q, %q)", tenantID, serviceID)
	for _, j := range js {
		j.TenantID, j.ServiceID = tenantID, serviceID
		if err := j.Validate(); err != nil {
			return err
		}
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		if err := offered(ctx, tx, tenantID, serviceID); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `DELETE FROM jurisdictions WHERE tenant_id = $1 AND service_id = $2`,
			tenantID, serviceID); err != nil {
			return err
		}
		for _, j := range js {
			if err := db.insertJurisdiction(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteJurisdiction removes one of the tenant's jurisdictions; an unknown
// id is apperr.NotFound.
func (db *DB) DeleteJurisdiction(ctx context.Context, tenantID, id string, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "DeleteJurisdiction(%q, %q)", tenantID, id)
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `DELETE FROM jurisdictions WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "jurisdiction"); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, tenantID, id, evs)
	})
}

const jurisdictionColumns = `id, tenant_id, service_id, authority_id, ars, postcode, street, source, created_at`

func scanJurisdiction(row scanner) (*tenant.Jurisdiction, error) {
	j := &tenant.Jurisdiction{}
	err := row.Scan(&j.ID, &j.TenantID, &j.ServiceID, &j.AuthorityID, &j.ARS, &j.Postcode, &j.Street, &j.Source, timeCol{&j.CreatedAt})
	return j, err
}

// Jurisdictions lists the tenant's jurisdictions, by service, ARS,
// postcode and street.
func (db *DB) Jurisdictions(ctx context.Context, tenantID string) (_ []*tenant.Jurisdiction, err error) {
	defer db.wrap(&err, "Jurisdictions(%q)", tenantID)
	rows, err := db.query(ctx, `SELECT `+jurisdictionColumns+` FROM jurisdictions
		WHERE tenant_id = $1 ORDER BY service_id, ars, postcode, street`, tenantID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanJurisdiction)
}

// ServiceJurisdictions lists the jurisdictions for a service of every
// tenant: routing an application (tenant.Locate) weighs them all. It
// reveals no tenant's data beyond who is responsible where, which the
// routing result shows anyway.
func (db *DB) ServiceJurisdictions(ctx context.Context, serviceID string) (_ []*tenant.Jurisdiction, err error) {
	defer db.wrap(&err, "ServiceJurisdictions(%q)", serviceID)
	return cachedLoad(ctx, db, "jurisdictions\x00"+serviceID, func() ([]*tenant.Jurisdiction, error) {
		rows, err := db.query(ctx, `SELECT `+jurisdictionColumns+` FROM jurisdictions
			WHERE service_id = $1 ORDER BY ars, postcode, street`, serviceID)
		if err != nil {
			return nil, err
		}
		return collect(rows, scanJurisdiction)
	}, cloneList)
}

// UpdateTenant replaces a tenant's name, kind, ARS, host, pages, logo and
// colour (the slug stays). It validates as CreateTenant; an unknown id is
// apperr.NotFound, a taken host apperr.Conflict.
func (db *DB) UpdateTenant(ctx context.Context, t *tenant.Tenant, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "UpdateTenant(%q)", t.ID)
	if err := t.Validate(); err != nil {
		return err
	}
	pages, err := encodePages(&t.Pages)
	if err != nil {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE tenants SET name = $1, kind = $2, ars = $3, host = $4, pages = $5,
			logo_url = $6, colour = $7 WHERE id = $8 AND slug = $9`,
			t.Name, string(t.Kind), t.ARS, t.Host, pages, t.LogoURL, t.Colour, t.ID, t.Slug)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "tenant"); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, t.ID, t.ID, evs)
	})
}

// UpdateAuthority replaces one of the tenant's authorities (a.TenantID)
// with a, validated as by tenant.Authority.Validate; an unknown one is
// apperr.NotFound.
func (db *DB) UpdateAuthority(ctx context.Context, a *tenant.Authority, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "UpdateAuthority(%q, %q)", a.TenantID, a.ID)
	cols, err := encodeAuthority(a)
	if err != nil {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE authorities SET name = $1, address = $2, email = $3, pages = $4,
			phone = $5, efa_parameters = $6 WHERE tenant_id = $7 AND id = $8`,
			a.Name, cols.address, a.Email, cols.pages, a.Phone, cols.efa, a.TenantID, a.ID)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "authority"); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, a.TenantID, a.ID, evs)
	})
}

// UpdateService replaces what an owner configures of one of its services
// (s.TenantID, s.ID): name, description, LeiKa key, authority, shared,
// fee and duration texts, Vertrauensniveau, Schriftformersatz and the fee
// (payment.Fee). The slug
// and the form version stay. It validates as CreateService; an unknown
// service is apperr.NotFound, an authority of another tenant a foreign
// key error (apperr.Invalid).
func (db *DB) UpdateService(ctx context.Context, s *tenant.Service, evs ...*tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "UpdateService(%q, %q)", s.TenantID, s.ID)
	if err := s.Validate(); err != nil {
		return err
	}
	fee, err := encodeFee(s.Fee)
	if err != nil {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := db.txExec(ctx, tx, `UPDATE services SET name = $1, description = $2, leistungsschluessel = $3,
			authority_id = $4, shared = $5, fee_text = $6, duration_text = $7, min_level = $8, schriftformersatz = $9,
			fee = $10
			WHERE tenant_id = $11 AND id = $12`,
			s.Name, s.Description, s.Leistungsschluessel, nullString(s.AuthorityID), s.Shared, s.FeeText, s.DurationText,
			int(s.MinLevel), s.Schriftformersatz, fee, s.TenantID, s.ID)
		if err != nil {
			return err
		}
		if err := mustAffect(res, "service"); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, s.TenantID, s.ID, evs)
	})
}

// RecordAudit appends ev to its tenant's audit trail, setting ID and At
// (if zero).
func (db *DB) RecordAudit(ctx context.Context, ev *tenant.AuditEvent) (err error) {
	defer db.wrap(&err, "RecordAudit(%q)", ev.TenantID)
	return db.withTx(ctx, func(tx *sql.Tx) error { return db.insertAudit(ctx, tx, ev) })
}

// insertAudits records the audit events of a change in its transaction:
// each gets the tenant, and the object's id when it has none (the id of
// an object just created).
func (db *DB) insertAudits(ctx context.Context, tx *sql.Tx, tenantID, objectID string, evs []*tenant.AuditEvent) error {
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		ev.TenantID = tenantID
		if ev.ObjectID == "" {
			ev.ObjectID = objectID
		}
		if err := db.insertAudit(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) insertAudit(ctx context.Context, tx *sql.Tx, ev *tenant.AuditEvent) error {
	ev.At = db.orNow(ev.At)
	return db.txQueryRow(ctx, tx, `INSERT INTO audit_events (tenant_id, at, actor, object, object_id, action, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		ev.TenantID, db.ts(ev.At), ev.Actor, ev.Object, ev.ObjectID, ev.Action, ev.Detail).Scan(&ev.ID)
}

// AuditEvents returns the tenant's audit trail, newest first, at most
// limit entries (all for limit <= 0).
func (db *DB) AuditEvents(ctx context.Context, tenantID string, limit int) (_ []*tenant.AuditEvent, err error) {
	defer db.wrap(&err, "AuditEvents(%q)", tenantID)
	if limit <= 0 {
		limit = -1
	}
	q := `SELECT id, tenant_id, at, actor, object, object_id, action, detail FROM audit_events
		WHERE tenant_id = $1 ORDER BY at DESC, id DESC`
	args := []any{tenantID}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (*tenant.AuditEvent, error) {
		ev := &tenant.AuditEvent{}
		err := row.Scan(&ev.ID, &ev.TenantID, timeCol{&ev.At}, &ev.Actor, &ev.Object, &ev.ObjectID, &ev.Action, &ev.Detail)
		return ev, err
	})
}
