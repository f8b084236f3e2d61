package web

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/blob"
	"github.com/antrag/antrag/internal/form"
	"github.com/antrag/antrag/internal/journey"
	"github.com/antrag/antrag/internal/submission"
)

// store takes in a validated application (submission.Intake): the
// canonical JSON of clean (form.MarshalData) as its data, with the
// attachments it refers to. It returns the submission, or the existing one
// when the draft or idempotency key was already used by the same request
// (submission.SameRequest). Data above form.MaxDataBytes is a client
// error (apperr.TooLarge).
func (s *Server) store(r *http.Request, sub *submission.Submission, ev *submission.Event, clean map[string]any) (*submission.Submission, error) {
	data, err := form.MarshalData(clean)
	if errors.Is(err, form.ErrDataTooLarge) {
		return nil, clientError(apperr.TooLarge, fmt.Sprintf(
			"Die Antragsdaten sind zusammen größer als %s. Bitte kürzen Sie lange Angaben.", form.HumanSize(form.MaxDataBytes)))
	}
	if err != nil {
		return nil, err
	}
	sub.Data = data
	if sub.Evidence != nil {
		// The evidence names the data exactly as stored.
		sum := sha256.Sum256(data)
		sub.Evidence.DataSHA256 = hex.EncodeToString(sum[:])
	}
	got, _, err := s.intake.Submit(r.Context(), sub, ev, attachmentIDs(clean))
	return got, err
}

// attachmentIDs lists the attachment ids the FileRefs in doc refer to,
// sorted, each once.
func attachmentIDs(doc map[string]any) []string {
	var ids []string
	for _, ref := range form.FileRefs(doc) {
		ids = append(ids, ref.AttachmentID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// stepInput is a parsed step post.
type stepInput struct {
	values   url.Values
	uploads  map[string][]form.FileRef
	problems form.Problems
}

// readStepPost reads a step's form post. A multipart post is streamed:
// each file goes straight to blob storage, stops at the field's maxSize, and
// is kept only if its content (not its name) is a media type the field
// accepts. Other fields are limited to MaxFormBytes in all. A body that
// breaks off is a client error (brokenBody), and the files the post stored
// before the break are removed again.
func (s *Server) readStepPost(w http.ResponseWriter, r *http.Request, dc *draftCtx, st *journey.Step) (_ *stepInput, err error) {
	in := &stepInput{values: url.Values{}, uploads: map[string][]form.FileRef{}}
	defer func() {
		if err == nil {
			return
		}
		rc := r.WithContext(context.WithoutCancel(r.Context())) // the client may be gone
		for _, refs := range in.uploads {
			for _, ref := range refs {
				s.removeAttachment(rc, dc, ref.AttachmentID)
			}
		}
	}()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxFormBytes)
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("Formular nicht lesbar: %w", errors.Join(apperr.Invalid, err))
		}
		in.values = r.PostForm
		return in, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxFormBytes+s.cfg.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("Formular nicht lesbar: %w", errors.Join(apperr.Invalid, err))
	}
	fields := fileFields(st)
	var formBytes int64
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("Formular nicht lesbar: %w", errors.Join(apperr.Invalid, err))
		}
		name := part.FormName()
		if part.FileName() == "" && part.Header.Get("Content-Type") == "" {
			b, err := io.ReadAll(io.LimitReader(part, s.cfg.MaxFormBytes-formBytes+1))
			if err != nil {
				return nil, brokenBody(err)
			}
			formBytes += int64(len(b))
			if formBytes > s.cfg.MaxFormBytes {
				return nil, fmt.Errorf("Formulardaten: %w", apperr.TooLarge)
			}
			in.values.Add(name, string(b))
			continue
		}
		e, ok := fields[unindexed(name)]
		if !ok || part.FileName() == "" {
			_, _ = io.Copy(io.Discard, part) // no file chosen, or not a file field of this step
			continue
		}
		ref, problem, err := s.receiveFile(r, dc, e, part, part.FileName())
		if err != nil {
			return nil, err
		}
		if problem != "" {
			in.problems = append(in.problems, form.Problem{Path: name, Code: form.CodeFile, Message: problem})
			continue
		}
		in.uploads[name] = append(in.uploads[name], *ref)
	}
	return in, nil
}

// fileFields maps the input names of a step's file fields, with the
// indexes of repetitions left out ("G1.F2" for "G1[3].F2"), to their
// elements; look names up with unindexed.
func fileFields(st *journey.Step) map[string]*form.Element {
	out := map[string]*form.Element{}
	var walk func(p form.Path, cs []form.Child, depth int)
	walk = func(p form.Path, cs []form.Child, depth int) {
		for i := range cs {
			c := &cs[i]
			kp := p.Key(c.Element.ID)
			switch {
			case c.Element.Kind == form.KindField && c.Element.Datentyp.Attachment():
				out[unindexed(kp.String())] = c.Element
			case c.Element.Kind == form.KindGroup && depth < 32:
				walk(kp, c.Element.Struktur, depth+1)
			}
		}
	}
	walk(st.Parent, st.Children, 0)
	return out
}

// unindexed removes the indexes of repetitions from an input name:
// "G1[3].G2[0].F5" becomes "G1.G2.F5".
func unindexed(name string) string {
	if !strings.Contains(name, "[") {
		return name
	}
	var b strings.Builder
	skip := false
	for _, r := range name {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// receiveFile stores one uploaded file. It returns a problem for the
// citizen (too large, empty, wrong type, the draft's quota used up)
// instead of an error. The file's room in the draft's quota is reserved
// before its bytes are streamed to storage (Store.ReserveUpload), so that
// uploads running in parallel cannot together pass the quota; a failed
// upload releases it.
func (s *Server) receiveFile(r *http.Request, dc *draftCtx, e *form.Element, part io.Reader, filename string) (*form.FileRef, string, error) {
	name := uploadName(filename)
	limit := journey.MaxFileSize(e)
	maxFiles, maxBytes := draftUploadLimits(dc.form.Schema)
	tooMany := fmt.Sprintf("Zu diesem Antrag wurden schon zu viele Dateien hochgeladen (höchstens %d Dateien, zusammen %s). Entfernen Sie nicht mehr benötigte Dateien.",
		maxFiles, form.HumanSize(maxBytes))
	// A file is never larger than the body that carries it.
	want := limit
	if r.ContentLength >= 0 {
		want = min(want, r.ContentLength)
	}
	now := s.now()
	res := &submission.UploadReservation{TenantID: dc.tenant.ID, DraftID: dc.draft.ID, ExpiresAt: now.Add(s.cfg.UploadTimeout + 5*time.Minute)}
	err := s.deps.Store.ReserveUpload(r.Context(), res, submission.UploadQuota{Files: maxFiles, Bytes: maxBytes}, want, now)
	if errors.Is(err, submission.ErrUploadQuota) {
		_, _ = io.Copy(io.Discard, part)
		return nil, tooMany, nil
	}
	if err != nil {
		return nil, "", err
	}
	bg := context.WithoutCancel(r.Context()) // the client (and with it the request's context) may be gone
	key := blob.NewKey()
	kept := false
	defer func() {
		if kept {
			return
		}
		if err := s.deps.Blobs.Delete(bg, key); err != nil {
			s.deps.Logger.Warn("attachment content not deleted", "error", err.Error())
		}
		if err := s.deps.Store.ReleaseUpload(bg, res.TenantID, res.ID); err != nil {
			s.deps.Logger.Warn("upload reservation not released", "error", err.Error())
		}
	}()
	sn := &sniffer{h: sha512.New()}
	body := &bodyReader{r: part}
	n, err := s.deps.Blobs.Put(r.Context(), key, io.TeeReader(body, sn), res.Bytes)
	if body.err != nil {
		return nil, "", brokenBody(body.err)
	}
	if errors.Is(err, apperr.TooLarge) {
		_, _ = io.Copy(io.Discard, part)
		if res.Bytes < limit && res.Bytes < want {
			return nil, tooMany, nil // the quota, not the field's limit
		}
		return nil, fmt.Sprintf("Die Datei „%s“ ist zu groß. Erlaubt sind höchstens %s.", name, form.HumanSize(limit)), nil
	}
	if err != nil {
		return nil, "", err
	}
	if n == 0 {
		return nil, fmt.Sprintf("Die Datei „%s“ ist leer.", name), nil
	}
	mt := form.SniffMediaType(sn.head)
	allowed := journey.AllowedMediaTypes(e)
	if !slices.Contains(allowed, mt) {
		return nil, fmt.Sprintf("Die Datei „%s“ hat einen nicht zulässigen Dateityp. Zulässig: %s.", name, mediaNames(strings.Join(allowed, ","))), nil
	}
	a := &submission.Attachment{ID: uuid.NewString(), TenantID: dc.tenant.ID, DraftID: dc.draft.ID, Filename: name, MediaType: mt,
		Size: n, SHA512: hex.EncodeToString(sn.h.Sum(nil)), StorageKey: key}
	if err := s.deps.Store.CompleteUpload(r.Context(), res, a); err != nil {
		return nil, "", err
	}
	kept = true
	return &form.FileRef{AttachmentID: a.ID, Filename: a.Filename, MimeType: a.MediaType, Size: a.Size,
		Hash: form.FileHash{Type: "sha512", Content: a.SHA512}}, "", nil
}

// draftUploadLimits bounds what one draft (or API upload session) may hold
// at a time, so that anonymous uploads cannot fill the disk: twice the
// form's file slots (a field's maximum anzahl, 10 for unbounded), at least
// 20 and at most 500 files; and what those slots may hold at their size
// limits, at least 50 MB and at most 2 GB.
func draftUploadLimits(s *form.Schema) (files int, bytes int64) {
	s.Walk(func(_ form.Path, c *form.Child) bool {
		e := c.Element
		if e.Kind == form.KindField && e.Datentyp.Attachment() {
			slots := c.Anzahl.Max
			if slots == form.Unbounded || slots > 10 {
				slots = 10
			}
			files += 2 * slots
			bytes += int64(slots) * journey.MaxFileSize(e)
		}
		return true
	})
	return min(max(files, 20), 500), min(max(bytes, 50_000_000), 2_000_000_000)
}

// sniffer hashes what passes and keeps the first 512 bytes for sniffing.
type sniffer struct {
	h    hash.Hash
	head []byte
}

func (s *sniffer) Write(p []byte) (int, error) {
	if len(s.head) < 512 {
		s.head = append(s.head, p[:min(len(p), 512-len(s.head))]...)
	}
	return s.h.Write(p)
}

// uploadName is the name an uploaded file is shown with. Browsers send a
// '"' in a file name as "%22" (HTML Living Standard, 4.10.21.8
// "multipart/form-data encoding algorithm"; CR and LF likewise as %0D and
// %0A), so those are decoded first. A name longer than
// form.MaxFilenameLength characters is shortened in its stem and keeps
// its extension ("…Bericht.pdf"). Then form.CleanFilename applies.
func uploadName(raw string) string {
	raw = strings.NewReplacer("%22", `"`, "%0D", "\r", "%0A", "\n").Replace(raw)
	// Only the base name counts towards the limit: CleanFilename drops
	// directories.
	raw = strings.ReplaceAll(raw, "\\", "/")
	if i := strings.LastIndex(raw, "/"); i >= 0 {
		raw = raw[i+1:]
	}
	return form.CleanFilename(shortenFilename(raw, form.MaxFilenameLength))
}

// shortenFilename cuts name to at most limit characters (runes), keeping
// its extension (up to 16 characters after the last dot): the stem is
// shortened. A name without a usable extension is cut at the end.
func shortenFilename(name string, limit int) string {
	r := []rune(name)
	if len(r) <= limit {
		return name
	}
	ext := path.Ext(name)
	if n := len([]rune(ext)); n < 2 || n > 16 || n >= limit {
		return string(r[:limit])
	}
	stem := []rune(strings.TrimSuffix(name, ext))
	return strings.TrimSpace(string(stem[:limit-len([]rune(ext))])) + ext
}

// attachmentDisposition is the Content-Disposition of a download named
// filename (RFC 6266): an ASCII "filename" for old clients, with '"' and
// '\\' escaped as quoted-string requires and other characters replaced by
// "_", and, when that differs, the exact name as "filename*" in UTF-8
// (RFC 8187), which clients that know it prefer.
func attachmentDisposition(filename string) string {
	var ascii strings.Builder
	for _, c := range filename {
		switch {
		case c == '"' || c == '\\':
			ascii.WriteByte('\\')
			ascii.WriteRune(c)
		case c < 0x20 || c > 0x7e:
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(c)
		}
	}
	v := `attachment; filename="` + ascii.String() + `"`
	if !isPlainASCII(filename) {
		v += "; filename*=UTF-8''" + rfc8187Encode(filename)
	}
	return v
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// rfc8187Encode percent-encodes s for an ext-value (RFC 8187, 3.2.1): every
// byte but attr-char.
func rfc8187Encode(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
