package submission

import (
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
)

// UploadQuota bounds what one draft (or API upload session) may hold:
// Files attachments of Bytes bytes together, counting the uploads still
// in progress at what they may still store.
type UploadQuota struct {
	Files int
	Bytes int64
}

// ErrUploadQuota is the error of a reservation beyond the draft's
// UploadQuota (apperr.Conflict).
var ErrUploadQuota = fmt.Errorf("%w: upload quota of the draft used up", apperr.Conflict)

// Grant decides on one more upload into a draft that holds files
// attachments and reservations of bytes bytes together: it may store
// at most the returned number of bytes, want or what is left of the
// quota if that is less; ok is false when the draft has no file or no
// byte left.
func (q UploadQuota) Grant(files int, bytes, want int64) (granted int64, ok bool) {
	if files >= q.Files || bytes >= q.Bytes || want < 0 {
		return 0, false
	}
	return min(want, q.Bytes-bytes), true
}

// UploadReservation holds a share of a draft's UploadQuota while one
// upload is streamed to storage, so that uploads in parallel cannot
// together pass the quota. It ends with Store.CompleteUpload (the
// attachment takes its place) or Store.ReleaseUpload; one left behind
// by a crash stops counting at ExpiresAt.
type UploadReservation struct {
	ID        string // set by ReserveUpload
	TenantID  string
	DraftID   string
	Bytes     int64 // granted: the most the upload may store; set by ReserveUpload
	ExpiresAt time.Time
}
