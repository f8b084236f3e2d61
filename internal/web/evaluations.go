package web

import (
	"sync"
	"time"

	"github.com/antrag/antrag/internal/journey"
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
	m  map[string]*evaluation // by draft id
}

type evaluation struct {
	revision int
	version  string // form version id
	context  rules.Context
	day      string
	state    *rules.State
	clean    map[string]any
	at       time.Time      // when it was made
	client   map[int]string // View.RulesJSON by step index, once made
}

// maxEvaluations bounds the drafts remembered; past it an arbitrary one is
// forgotten. An evaluation holds the draft's answers, decrypted: it is
// forgotten after evaluationTTL, by when a citizen has moved on.
const (
	maxEvaluations = 2048
	evaluationTTL  = 10 * time.Minute
)

// evaluate returns the evaluation of d's rules in ctx, remembered or made
// by program.
func (e *evaluations) evaluate(program *rules.Program, d *submission.Draft, ctx rules.Context) (*rules.State, map[string]any) {
	day := ctx.Today.In(localtime.Berlin).Format("2006-01-02")
	if ev, ok := e.find(d, ctx, day); ok {
		return ev.state, ev.clean
	}
	state, clean := program.Evaluate(d.Data, ctx)
	e.remember(d, ctx, state, clean)
	return state, clean
}

// find returns the remembered evaluation of d's revision in ctx.
func (e *evaluations) find(d *submission.Draft, ctx rules.Context, day string) (*evaluation, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ev, ok := e.m[d.ID]
	if !ok {
		return nil, false
	}
	if time.Since(ev.at) > evaluationTTL {
		delete(e.m, d.ID)
		return nil, false
	}
	if ev.revision != d.Revision || ev.version != d.FormVersionID || ev.day != day ||
		ev.context.Bundesland != ctx.Bundesland || ev.context.Years != ctx.Years {
		return nil, false
	}
	return ev, true
}

// clientRules returns f.ClientRules for the step of d's revision in ctx,
// made once per remembered evaluation.
func (e *evaluations) clientRules(f *journey.Form, st *journey.Step, d *submission.Draft, ctx rules.Context) string {
	day := ctx.Today.In(localtime.Berlin).Format("2006-01-02")
	ev, ok := e.find(d, ctx, day)
	if !ok {
		state, clean := e.evaluate(f.Rules, d, ctx)
		return f.ClientRules(st, clean, state)
	}
	e.mu.Lock()
	js, made := ev.client[st.Index]
	e.mu.Unlock()
	if made {
		return js
	}
	js = f.ClientRules(st, ev.clean, ev.state)
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.client == nil {
		ev.client = map[int]string{}
	}
	ev.client[st.Index] = js
	return js
}

// remember keeps the evaluation of d's current revision in ctx.
func (e *evaluations) remember(d *submission.Draft, ctx rules.Context, state *rules.State, clean map[string]any) {
	day := ctx.Today.In(localtime.Berlin).Format("2006-01-02")
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = make(map[string]*evaluation)
	}
	if _, ok := e.m[d.ID]; !ok && len(e.m) >= maxEvaluations {
		for k := range e.m {
			delete(e.m, k)
			break
		}
	}
	e.m[d.ID] = &evaluation{revision: d.Revision, version: d.FormVersionID, context: ctx, day: day, state: state, clean: clean, at: time.Now()}
}
