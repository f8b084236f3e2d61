package fitconnecttest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// CallbackTypeNewSubmissions is the type of the callback sent after a
// submit (standards.md §1 "Callbacks").
const CallbackTypeNewSubmissions = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions"

const maxCallbackBackoff = 10 * time.Second

// CallbackMAC returns hex(HMAC-SHA512(secret, timestamp + "." + body)), the
// value of the callback-authentication header; timestamp is the
// callback-timestamp header (unix seconds, decimal).
func CallbackMAC(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha512.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// enqueueCallback starts the delivery of a new-submissions callback for ids
// unless the double is closed or too many callbacks are pending (then the
// drop is logged in CallbackLog with Err set).
func (d *Double) enqueueCallback(dest Destination, ids submissionIDs) {
	body, err := json.Marshal(map[string]any{
		"type":        CallbackTypeNewSubmissions,
		"submissions": []submissionIDs{ids},
	})
	if err != nil {
		return
	}
	d.mu.Lock()
	if d.closed || d.cbPending >= maxPendingCallbacks {
		reason := "double closed"
		if !d.closed {
			reason = "too many pending callbacks"
		}
		d.logCallback(CallbackAttempt{DestinationID: ids.DestinationID, SubmissionID: ids.SubmissionID, URL: dest.CallbackURL, Err: "not sent: " + reason, Time: d.opts.Now()})
		d.mu.Unlock()
		return
	}
	d.cbPending++
	d.wg.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.wg.Done()
		defer func() {
			d.mu.Lock()
			d.cbPending--
			d.mu.Unlock()
		}()
		d.deliver(dest, ids, body)
	}()
}

// logCallback appends to the bounded callback log; d.mu must be held.
func (d *Double) logCallback(a CallbackAttempt) {
	if len(d.callbackLog) >= maxCallbackLog {
		d.callbackLog = append(d.callbackLog[:0], d.callbackLog[1:]...)
	}
	d.callbackLog = append(d.callbackLog, a)
}

func (d *Double) deliver(dest Destination, ids submissionIDs, body []byte) {
	select {
	case d.cbSem <- struct{}{}:
	case <-d.ctx.Done():
		return
	}
	defer func() { <-d.cbSem }()
	wait := d.opts.CallbackBackoff
	for attempt := 1; attempt <= d.opts.CallbackAttempts; attempt++ {
		if attempt > 1 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-d.ctx.Done():
				t.Stop()
				return
			}
			wait = min(2*wait, maxCallbackBackoff)
		}
		status, err := d.post(dest, body)
		a := CallbackAttempt{DestinationID: ids.DestinationID, SubmissionID: ids.SubmissionID, URL: dest.CallbackURL, Attempt: attempt, Status: status, Time: d.opts.Now()}
		if err != nil {
			a.Err = err.Error()
		}
		d.mu.Lock()
		d.logCallback(a)
		d.mu.Unlock()
		if err == nil && status >= 200 && status < 300 {
			return
		}
		if d.ctx.Err() != nil {
			return
		}
	}
}

// post sends one attempt and returns the status code.
func (d *Double) post(dest Destination, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(d.ctx, d.opts.CallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dest.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	ts := strconv.FormatInt(d.opts.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("callback-timestamp", ts)
	req.Header.Set("callback-authentication", CallbackMAC(dest.CallbackSecret, ts, body))
	resp, err := d.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}
