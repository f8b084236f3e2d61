package submission

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
)

// Cursor is a position in the inbox order: newest first (SubmittedAt
// descending), ties broken by ID (descending). A page that starts or ends
// at a cursor stays the same while newer submissions arrive.
type Cursor struct {
	SubmittedAt time.Time
	ID          string
}

// CursorOf is the cursor at s.
func CursorOf(s *Submission) *Cursor { return &Cursor{SubmittedAt: s.SubmittedAt, ID: s.ID} }

// String is the cursor for a URL: the time in RFC 3339 with nanoseconds
// (UTC), "_", the id.
func (c *Cursor) String() string {
	return c.SubmittedAt.UTC().Format(time.RFC3339Nano) + "_" + c.ID
}

// ErrBadCursor is ParseCursor's error (apperr.Invalid).
var ErrBadCursor = fmt.Errorf("ungültige Position in der Liste: %w", apperr.Invalid)

// ParseCursor parses Cursor.String's form. The id must be a UUID (every
// submission id is one). Anything else is ErrBadCursor.
func ParseCursor(s string) (*Cursor, error) {
	at, id, ok := strings.Cut(s, "_")
	if !ok {
		return nil, ErrBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return nil, ErrBadCursor
	}
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		return nil, ErrBadCursor
	}
	return &Cursor{SubmittedAt: t.UTC(), ID: id}, nil
}

// maxSearchLength bounds what ParseSearch takes, in runes: a sender's
// reference is stored with at most 100.
const maxSearchLength = 100

// ParseSearch turns what staff typed into a Search, nil for blank input:
// a Vorgangsnummer in any case, with or without dashes or spaces, typed
// or typographic ones ("k7qm2x9drta4" and "K7QM–2X9D–RTA4" find
// "K7QM-2X9D-RTA4"; see NormalizeReference); a FIT-Connect submissionId (UUID, as the
// submission's ExternalRef "fitconnect:<id>"); or the sender's own
// reference, exactly as typed (trimmed) or, when it has the shape of a
// Vorgangsnummer, in its canonical form. Input longer than 100 characters
// or not UTF-8 is apperr.Invalid.
func ParseSearch(q string) (*Search, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxSearchLength {
		return nil, fmt.Errorf("Suchbegriff mit mehr als %d Zeichen: %w", maxSearchLength, apperr.Invalid)
	}
	s := &Search{Reference: NormalizeReference(q), SenderRefs: []string{q}}
	if s.Reference != "" && s.Reference != q {
		s.SenderRefs = append(s.SenderRefs, s.Reference)
	}
	if u, err := uuid.Parse(q); err == nil && len(q) == 36 {
		s.ExternalRef = SourceFITConnect + ":" + u.String()
	}
	return s, nil
}

// Lister is the store method a Page needs.
type Lister interface {
	ListSubmissions(ctx context.Context, tenantID string, f Filter) ([]*Submission, error)
}

// Page is one page of the inbox: Items newest first, and the cursors of
// the neighbouring pages (nil when there is none).
type Page struct {
	Items []*Submission
	// Next lists older submissions (Filter.After), Prev newer ones
	// (Filter.Before).
	Next, Prev *Cursor
}

// ListPage returns the page of the tenant's submissions that f selects,
// of at most size (1 or more) items: the newest ones, or those after
// f.After or before f.Before. The listing is keyset-paged (f.Offset must
// be 0): a page stays the same while new submissions arrive. A page
// before a cursor that finds nothing newer is the first page.
func ListPage(ctx context.Context, st Lister, tenantID string, f Filter, size int) (*Page, error) {
	if size < 1 || f.Offset != 0 || (f.After != nil && f.Before != nil) {
		return nil, fmt.Errorf("%w: page size %d, offset %d, cursors after and before", apperr.Invalid, size, f.Offset)
	}
	f.Limit = size + 1
	items, err := st.ListSubmissions(ctx, tenantID, f)
	if err != nil {
		return nil, err
	}
	p := &Page{}
	if f.Before != nil {
		if len(items) == 0 {
			f.Before = nil
			return ListPage(ctx, st, tenantID, f, size)
		}
		if len(items) > size {
			items = items[1:] // the newest one is on the page before
			p.Prev = CursorOf(items[0])
		}
		p.Items, p.Next = items, CursorOf(items[len(items)-1])
		return p, nil
	}
	if len(items) > size {
		items = items[:size]
		p.Next = CursorOf(items[len(items)-1])
	}
	p.Items = items
	if f.After != nil && len(items) > 0 {
		newer := f
		newer.After, newer.Before, newer.Limit = nil, CursorOf(items[0]), 1
		prev, err := st.ListSubmissions(ctx, tenantID, newer)
		if err != nil {
			return nil, err
		}
		if len(prev) > 0 {
			p.Prev = CursorOf(items[0])
		}
	} else if f.After != nil {
		// Past the end (the last ones were deleted): offer the way back.
		p.Prev = f.After
	}
	return p, nil
}
