package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/submission"
	"github.com/antrag/antrag/internal/tenant"
)

// sealData returns the sealed JSON of a draft's data; nil is {}.
func (db *DB) sealData(data map[string]any) ([]byte, error) {
	if data == nil {
		data = map[string]any{}
	}
	// Without HTML escaping, as form.MarshalData: "&" stays one byte.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return nil, fmt.Errorf("draft data: %w", err)
	}
	return db.box.Seal(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// openData opens sealed draft data like form.DecodeData: numbers are
// json.Number. NULL (a submitted draft) is an empty map.
func (db *DB) openData(sealedData []byte) (map[string]any, error) {
	if sealedData == nil {
		return map[string]any{}, nil
	}
	b, err := db.box.Open(sealedData)
	if err != nil {
		return nil, fmt.Errorf("draft data: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var data map[string]any
	if err := d.Decode(&data); err != nil {
		return nil, fmt.Errorf("draft data: %w", err)
	}
	if data == nil {
		data = map[string]any{}
	}
	return data, nil
}

// checkDraft rejects a draft the store cannot keep.
func checkDraft(d *submission.Draft) error {
	if len(d.TokenHash) == 0 {
		return fmt.Errorf("%w: draft without token hash", apperr.Invalid)
	}
	if d.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: draft without expiry", apperr.Invalid)
	}
	return nil
}

// CreateDraft stores d, setting ID (if empty), CreatedAt and UpdatedAt (if
// zero). TokenHash and ExpiresAt are required (apperr.Invalid); a taken
// TokenHash is apperr.Conflict. SubmissionID is ignored.
func (db *DB) CreateDraft(ctx context.Context, d *submission.Draft) (err error) {
	defer db.wrap(&err, "CreateDraft")
	if err := checkDraft(d); err != nil {
		return err
	}
	data, err := db.sealData(d.Data)
	if err != nil {
		return err
	}
	id, created := newID(d.ID), db.orNow(d.CreatedAt)
	updated := created
	if !d.UpdatedAt.IsZero() {
		updated = db.orNow(d.UpdatedAt)
	}
	expires := db.orNow(d.ExpiresAt)
	proved, err := encodeProved(d.Proved)
	if err != nil {
		return err
	}
	routing, err := db.sealRouting(d.Routing)
	if err != nil {
		return err
	}
	// In a group commit with other drafts' saves (SaveDraft).
	err = db.withGroupTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		_, err := db.txExec(ctx, tx, `INSERT INTO drafts
			(id, tenant_id, service_id, form_version_id, token_hash, data, step, created_at, updated_at, expires_at, owner, proved, token_sealed,
			routing)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			id, d.TenantID, d.ServiceID, nullString(d.FormVersionID), d.TokenHash, data, d.Step,
			db.ts(created), db.ts(updated), db.ts(expires), d.Owner, proved, db.sealToken(d), routing)
		return err
	})
	if err != nil {
		return err
	}
	d.ID, d.CreatedAt, d.UpdatedAt, d.ExpiresAt, d.SubmissionID = id, created, updated, expires, ""
	if d.Data == nil {
		d.Data = map[string]any{}
	}
	return nil
}

// sealToken returns the sealed resume token of a draft with an owner,
// else nil (NULL).
func (db *DB) sealToken(d *submission.Draft) []byte {
	if d.Owner == "" || d.Token == "" {
		return nil
	}
	return db.box.Seal([]byte(d.Token))
}

// encodeProved returns the JSON array of a draft's proved paths.
func encodeProved(paths []string) (string, error) {
	if len(paths) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(paths)
	if err != nil {
		return "", fmt.Errorf("draft proved paths: %w", err)
	}
	return string(b), nil
}

const draftColumns = `id, tenant_id, service_id, form_version_id, token_hash, data, step, submission_id,
	created_at, updated_at, expires_at, revision, owner, proved, token_sealed, routing`

func (db *DB) scanDraft(row scanner) (*submission.Draft, error) {
	d := &submission.Draft{}
	var data []byte
	var proved string
	var token, routing []byte
	err := row.Scan(&d.ID, &d.TenantID, &d.ServiceID, strCol{&d.FormVersionID}, &d.TokenHash, &data, &d.Step,
		strCol{&d.SubmissionID}, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, timeCol{&d.ExpiresAt}, &d.Revision,
		&d.Owner, &proved, &token, &routing)
	if err != nil {
		return nil, err
	}
	if d.Routing, err = db.openRouting(routing); err != nil {
		return nil, fmt.Errorf("draft %s: %w", d.ID, err)
	}
	if token != nil && d.Owner != "" {
		plain, err := db.box.Open(token)
		if err != nil {
			return nil, fmt.Errorf("draft %s: token: %w", d.ID, err)
		}
		d.Token = string(plain)
	}
	if proved != "" && proved != "[]" {
		if err := json.Unmarshal([]byte(proved), &d.Proved); err != nil {
			return nil, fmt.Errorf("draft %s: proved paths: %w", d.ID, err)
		}
	}
	if data == nil {
		d.Data = map[string]any{}
		return d, nil
	}
	if doc, ok := db.drafts.get(d.ID, data); ok {
		d.Data = doc
		return d, nil
	}
	if d.Data, err = db.openData(data); err != nil {
		return nil, fmt.Errorf("draft %s: %w", d.ID, err)
	}
	db.drafts.put(d.ID, data, form.CopyData(d.Data))
	return d, nil
}

// DraftByToken returns the tenant's draft with the token hash unless it
// has expired (ExpiresAt <= now). A submitted draft is returned with
// SubmissionID set and empty Data.
func (db *DB) DraftByToken(ctx context.Context, tenantID string, tokenHash []byte, now time.Time) (_ *submission.Draft, err error) {
	defer db.wrap(&err, "DraftByToken(%q)", tenantID)
	return db.scanDraft(db.queryRow(ctx,
		`SELECT `+draftColumns+` FROM drafts WHERE tenant_id = $1 AND token_hash = $2 AND expires_at > $3`,
		tenantID, tokenHash, db.ts(now)))
}

// SaveDraft stores d's Data, Step, Owner, Proved, Token (for a draft with
// an Owner), UpdatedAt (now if zero) and ExpiresAt,
// if the stored revision is d.Revision, and increments it. A draft that is
// not the tenant's is apperr.NotFound; a submitted draft is
// apperr.Conflict; another revision is submission.ErrDraftChanged.
func (db *DB) SaveDraft(ctx context.Context, d *submission.Draft) (err error) {
	defer db.wrap(&err, "SaveDraft(%q, %q)", d.TenantID, d.ID)
	ctx, end := db.traced(ctx, "SaveDraft")
	defer end(&err)
	if d.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: draft without expiry", apperr.Invalid)
	}
	data, err := db.sealData(d.Data)
	if err != nil {
		return err
	}
	updated, expires := db.orNow(d.UpdatedAt), db.orNow(d.ExpiresAt)
	proved, err := encodeProved(d.Proved)
	if err != nil {
		return err
	}
	// Saves share commits (withGroupTx), so one that has begun is not cut
	// short by the caller's end, as Submit.
	ctx = context.WithoutCancel(ctx)
	err = db.withGroupTx(ctx, func(tx *sql.Tx) error {
		var submissionID *string
		var revision int
		err := db.txQueryRow(ctx, tx, `SELECT submission_id, revision FROM drafts WHERE tenant_id = $1 AND id = $2`,
			d.TenantID, d.ID).Scan(&submissionID, &revision)
		if err != nil {
			return err
		}
		if submissionID != nil {
			return fmt.Errorf("%w: draft already submitted", apperr.Conflict)
		}
		if revision != d.Revision {
			return fmt.Errorf("revision %d, stored %d: %w", d.Revision, revision, submission.ErrDraftChanged)
		}
		_, err = db.txExec(ctx, tx,
			`UPDATE drafts SET data = $1, step = $2, updated_at = $3, expires_at = $4, revision = revision + 1, owner = $5, proved = $6,
			token_sealed = CASE WHEN $5 = '' THEN NULL ELSE COALESCE($7, token_sealed) END
			WHERE tenant_id = $8 AND id = $9`,
			data, d.Step, db.ts(updated), db.ts(expires), d.Owner, proved, db.sealToken(d), d.TenantID, d.ID)
		return err
	})
	if err != nil {
		return err
	}
	d.UpdatedAt, d.ExpiresAt = updated, expires
	d.Revision++
	if d.Data == nil {
		d.Data = map[string]any{}
	}
	// The next read (the page after "Weiter") finds the data decoded.
	if doc, ok := jsonCopy(d.Data); ok {
		db.drafts.put(d.ID, data, doc)
	}
	return nil
}

// OwnerDrafts lists the tenant's drafts of the owner (identity.OwnerKey)
// that are neither submitted nor expired at now, the most recently saved
// first, at most limit. An empty owner has none.
func (db *DB) OwnerDrafts(ctx context.Context, tenantID, owner string, now time.Time, limit int) (_ []*submission.Draft, err error) {
	defer db.wrap(&err, "OwnerDrafts(%q)", tenantID)
	if owner == "" {
		return nil, nil
	}
	rows, err := db.query(ctx, `SELECT `+draftColumns+` FROM drafts
		WHERE tenant_id = $1 AND owner = $2 AND owner <> '' AND submission_id IS NULL AND expires_at > $3
		ORDER BY updated_at DESC, id LIMIT $4`, tenantID, owner, db.ts(now), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanDraft)
}

// DeleteExpiredDrafts deletes the drafts of all tenants with ExpiresAt <=
// now, submitted or not, and their attachments (a submitted draft has none:
// they moved to the submission, which stays). It returns the attachments'
// storage keys.
func (db *DB) DeleteExpiredDrafts(ctx context.Context, now time.Time) (keys []string, err error) {
	defer db.wrap(&err, "DeleteExpiredDrafts")
	cutoff := db.ts(now)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		keys, err = queryStrings(ctx, tx, `SELECT a.storage_key FROM attachments a
			JOIN drafts d ON d.tenant_id = a.tenant_id AND d.id = a.draft_id
			WHERE d.expires_at <= $1 ORDER BY a.storage_key`, cutoff)
		if err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, `DELETE FROM attachments WHERE draft_id IN
			(SELECT id FROM drafts WHERE expires_at <= $1)`, cutoff); err != nil {
			return err
		}
		_, err = db.txExec(ctx, tx, `DELETE FROM drafts WHERE expires_at <= $1`, cutoff)
		return err
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// CreateAttachment stores a, setting ID (if empty) and CreatedAt (if
// zero). It belongs to exactly one of a draft or a submission of the
// tenant (else apperr.Invalid); a taken StorageKey is apperr.Conflict.
func (db *DB) CreateAttachment(ctx context.Context, a *submission.Attachment) (err error) {
	defer db.wrap(&err, "CreateAttachment")
	ctx, end := db.traced(ctx, "CreateAttachment")
	defer end(&err)
	if (a.DraftID == "") == (a.SubmissionID == "") {
		return fmt.Errorf("%w: an attachment belongs to a draft or a submission", apperr.Invalid)
	}
	if a.StorageKey == "" {
		return fmt.Errorf("%w: attachment without storage key", apperr.Invalid)
	}
	id, created := newID(a.ID), db.orNow(a.CreatedAt)
	_, err = db.exec(ctx, `INSERT INTO attachments
		(id, tenant_id, draft_id, submission_id, filename, filename_sealed, media_type, size, sha512, storage_key, created_at)
		VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, $9, $10)`,
		id, a.TenantID, nullString(a.DraftID), nullString(a.SubmissionID), db.box.Seal([]byte(a.Filename)), a.MediaType, a.Size,
		a.SHA512, a.StorageKey, db.ts(created))
	if err != nil {
		return err
	}
	a.ID, a.CreatedAt = id, created
	return nil
}

const attachmentColumns = `id, tenant_id, draft_id, submission_id, filename, filename_sealed, media_type, size, sha512, storage_key, created_at`

func (db *DB) scanAttachment(row scanner) (*submission.Attachment, error) {
	a := &submission.Attachment{}
	var sealedName []byte
	err := row.Scan(&a.ID, &a.TenantID, strCol{&a.DraftID}, strCol{&a.SubmissionID}, &a.Filename, &sealedName, &a.MediaType,
		&a.Size, &a.SHA512, &a.StorageKey, timeCol{&a.CreatedAt})
	if err != nil {
		return nil, err
	}
	if sealedName != nil {
		name, err := db.box.Open(sealedName)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: file name: %w", a.ID, err)
		}
		a.Filename = string(name)
	}
	return a, nil
}

// sealFilenames seals the file names that versions before migration 00005
// stored in plain text (or that a tool without the data key wrote).
func (db *DB) sealFilenames(ctx context.Context) error {
	// Most databases have none: look before taking the write lock (a
	// transaction on every start of every process).
	var plainNames bool
	if err := db.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM attachments
		WHERE filename <> '' AND filename_sealed IS NULL)`).Scan(&plainNames); err != nil || !plainNames {
		return err
	}
	return db.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := db.txQuery(ctx, tx, `SELECT id, filename FROM attachments WHERE filename <> '' AND filename_sealed IS NULL`)
		if err != nil {
			return err
		}
		type plain struct{ id, name string }
		todo, err := collect(rows, func(row scanner) (plain, error) {
			var p plain
			err := row.Scan(&p.id, &p.name)
			return p, err
		})
		if err != nil {
			return err
		}
		for _, p := range todo {
			if _, err := db.txExec(ctx, tx, `UPDATE attachments SET filename = '', filename_sealed = $1 WHERE id = $2`,
				db.box.Seal([]byte(p.name)), p.id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Attachment returns an attachment of the tenant (of a draft or a
// submission).
func (db *DB) Attachment(ctx context.Context, tenantID, id string) (_ *submission.Attachment, err error) {
	defer db.wrap(&err, "Attachment(%q, %q)", tenantID, id)
	return db.scanAttachment(db.queryRow(ctx,
		`SELECT `+attachmentColumns+` FROM attachments WHERE tenant_id = $1 AND id = $2`, tenantID, id))
}

// DeleteAttachment deletes an attachment of one of the tenant's drafts and
// returns its storage key. An attachment of a submission is
// apperr.Conflict.
func (db *DB) DeleteAttachment(ctx context.Context, tenantID, id string) (key string, err error) {
	defer db.wrap(&err, "DeleteAttachment(%q, %q)", tenantID, id)
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		var draftID *string
		err := db.txQueryRow(ctx, tx, `SELECT draft_id, storage_key FROM attachments WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&draftID, &key)
		if err != nil {
			return err
		}
		if draftID == nil {
			return fmt.Errorf("%w: attachment belongs to a submission", apperr.Conflict)
		}
		_, err = db.txExec(ctx, tx, `DELETE FROM attachments WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		return err
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// ListAttachments lists the attachments of one of the tenant's
// submissions, oldest first. An unknown submission has none.
func (db *DB) ListAttachments(ctx context.Context, tenantID, submissionID string) (_ []*submission.Attachment, err error) {
	defer db.wrap(&err, "ListAttachments(%q, %q)", tenantID, submissionID)
	rows, err := db.query(ctx, `SELECT `+attachmentColumns+` FROM attachments
		WHERE tenant_id = $1 AND submission_id = $2 ORDER BY created_at, id`, tenantID, submissionID)
	if err != nil {
		return nil, err
	}
	return collect(rows, db.scanAttachment)
}

// DraftAttachmentUsage returns the number and total size of the draft's
// attachments.
func (db *DB) DraftAttachmentUsage(ctx context.Context, tenantID, draftID string) (files int, bytes int64, err error) {
	defer db.wrap(&err, "DraftAttachmentUsage(%q, %q)", tenantID, draftID)
	err = db.queryRow(ctx, `SELECT count(*), CAST(coalesce(sum(size), 0) AS BIGINT) FROM attachments
		WHERE tenant_id = $1 AND draft_id = $2`, tenantID, draftID).Scan(&files, &bytes)
	return files, bytes, err
}

// sealRouting returns the sealed JSON of a routing result, nil (NULL) for
// none: the place it holds (postcode, street) is the applicant's.
func (db *DB) sealRouting(r *tenant.Routing) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	return db.box.Seal(b), nil
}

// openRouting reverses sealRouting.
func (db *DB) openRouting(sealed []byte) (*tenant.Routing, error) {
	if sealed == nil {
		return nil, nil
	}
	plain, err := db.box.Open(sealed)
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	r := &tenant.Routing{}
	if err := json.Unmarshal(plain, r); err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	return r, nil
}
