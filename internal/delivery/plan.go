package delivery

import (
	"fmt"
	"time"

	"github.com/antrag/antrag/internal/apperr"
	"github.com/antrag/antrag/internal/tenant"
)

// Plan returns the deliveries a submission gets when it is stored, in the
// order of targets (a service's targets as Store.Targets lists them): one
// per target; the Inbox alone when the service has none. A received
// submission (one that came over FIT-Connect) always goes to the Inbox,
// first, and never to a FIT-Connect target, so that it is not forwarded
// in a loop. Inbox deliveries are Delivered at once (the submission is in
// the tenant's inbox as soon as it is stored); the others are Pending,
// due at at. IDs are left to the store.
func Plan(tenantID, serviceID, submissionID string, targets []*Target, received bool, at time.Time) []*Delivery {
	inbox := &Target{Kind: Inbox, TenantID: tenantID, ServiceID: serviceID}
	var planned []*Target
	if received {
		planned = append(planned, inbox)
		for _, t := range targets {
			if t.Kind != FITConnect && t.Kind != Inbox {
				planned = append(planned, t)
			}
		}
	} else {
		planned = targets
	}
	if len(planned) == 0 {
		planned = []*Target{inbox}
	}
	out := make([]*Delivery, len(planned))
	for i, t := range planned {
		d := &Delivery{TenantID: tenantID, SubmissionID: submissionID, Target: *t,
			State: Pending, CreatedAt: at, UpdatedAt: at, NextAttempt: at}
		if t.Kind == Inbox {
			d.State, d.NextAttempt, d.DoneAt = Delivered, time.Time{}, at
		}
		out[i] = d
	}
	return out
}

// Routed returns the targets for a submission with the routing result rt
// (nil when not routed): a FITConnectRouting target becomes a FITConnect
// target to the destination rt names, and is left out when rt names none
// (the application was routed to an authority in antrag). Other targets
// are returned as they are.
func Routed(targets []*Target, rt *tenant.Routing) []*Target {
	out := make([]*Target, 0, len(targets))
	for _, t := range targets {
		if t.Kind != FITConnectRouting {
			out = append(out, t)
			continue
		}
		if rt == nil || rt.DestinationID == "" {
			continue
		}
		c := *t
		c.Kind, c.DestinationID = FITConnect, rt.DestinationID
		out = append(out, &c)
	}
	return out
}

// ErrDataPurged is PlanRedelivery's error for a submission whose data the
// retention period has deleted (apperr.Gone).
var ErrDataPurged = fmt.Errorf("die Daten des Antrags sind nach der Aufbewahrungsfrist gelöscht: %w", apperr.Gone)

// PlanRedelivery turns a Failed or Rejected delivery into a Pending one in
// its next Round, due at now, when staff deliver it again: attempts and the
// last error stay; the age limit (Policy.MaxAge) counts from now. It goes
// to the same place with its current settings, or, when that place is no
// longer among the service's current targets, to the one target of its
// kind that replaced it (Retarget); note then says so for the audit trail
// ("" otherwise). A rejected FIT-Connect submission is closed at
// FIT-Connect: the new round announces a new one.
//
// Errors: a delivery in any other state, or one to the Inbox, is
// apperr.Conflict; a submission whose data is purged ErrDataPurged.
func PlanRedelivery(d *Delivery, current []*Target, purged bool, now time.Time) (note string, err error) {
	if d.State != Failed && d.State != Rejected {
		return "", fmt.Errorf("Zustellung ist %s, nicht fehlgeschlagen oder abgelehnt: %w", d.State.Label(), apperr.Conflict)
	}
	if d.Target.Kind == Inbox {
		return "", fmt.Errorf("der Posteingang wird nicht erneut zugestellt: %w", apperr.Conflict)
	}
	if purged {
		return "", ErrDataPurged
	}
	if old := Retarget(d, current); old != nil {
		note = d.Target.String() + " (statt " + old.String() + ")"
	}
	if d.State == Rejected {
		d.RemoteID, d.CaseID, d.Reason = "", "", ""
	}
	d.Round++
	d.State = Pending
	d.CreatedAt, d.UpdatedAt, d.NextAttempt, d.DoneAt = now, now, now, time.Time{}
	return note, nil
}
