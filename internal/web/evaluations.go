package web

import (
	"sync"

	"github.com/antrag/antrag/internal/localtime"
	"github.com/antrag/antrag/internal/rules"
	"github.com/antrag/antrag/internal/submission"
)

// evaluations remembers the rules' evaluation of the drafts this process
// saved or showed last, by draft and revision: a step saved with "Weiter"
// is evaluated by the post, and the page the browser is then sent to
// shows the same revision, as does a reload or "Zurück". The evaluation
// depends on nothing else than the revision's data, the form version and
// the rules' context (the day in Europe/Berlin, the Land, the years), all
// part of the key. The state and the data are shared by the requests that
// find them and must not be changed (rules.State has no setters; the
// data are read only by the page).
type evaluations struct {
	mu sync.Mutex
	m  map[string]evaluation // by draft id
}

type evaluation struct {
	revision int
	version  string // form version id
	context  rules.Context
	day      string
	state    *rules.State
	clean    map[string]any
}

// maxEvaluations bounds the drafts remembered; past it an arbitrary one is
// forgotten.
const maxEvaluations = 2048

// evaluate returns the evaluation of d's rules in ctx, remembered or made
// by program.
func (e *evaluations) evaluate(program *rules.Program, d *submission.Draft, ctx rules.Context) (*rules.State, map[string]any) {
	day := ctx.Today.In(localtime.Berlin).Format("2006-01-02")
	e.mu.Lock()
	ev, ok := e.m[d.ID]
	e.mu.Unlock()
	if ok && ev.revision == d.Revision && ev.version == d.FormVersionID && ev.day == day &&
		ev.context.Bundesland == ctx.Bundesland && ev.context.Years == ctx.Years {
		return ev.state, ev.clean
	}
	state, clean := program.Evaluate(d.Data, ctx)
	e.remember(d, ctx, state, clean)
	return state, clean
}

// remember keeps the evaluation of d's current revision in ctx.
func (e *evaluations) remember(d *submission.Draft, ctx rules.Context, state *rules.State, clean map[string]any) {
	day := ctx.Today.In(localtime.Berlin).Format("2006-01-02")
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = make(map[string]evaluation)
	}
	if _, ok := e.m[d.ID]; !ok && len(e.m) >= maxEvaluations {
		for k := range e.m {
			delete(e.m, k)
			break
		}
	}
	e.m[d.ID] = evaluation{revision: d.Revision, version: d.FormVersionID, context: ctx, day: day, state: state, clean: clean}
}
