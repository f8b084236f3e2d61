// Package paymenttest has an in-process payment.Provider for tests of the
// payment use case: transactions in memory whose status a test sets, and
// switches for a provider that is down or answers with an error code. The
// sandbox provider (package sandbox) is the same over HTTP.
package paymenttest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/antrag/antrag/internal/payment"
)

// Provider is a payment.Provider in memory, safe for concurrent use.
type Provider struct {
	mu       sync.Mutex
	txs      map[string]*payment.Info
	requests map[string]string // requestId → transaction id
	order    []string          // transaction ids in creation order
	down     bool
	failNext string
	creates  int
	statuses int
}

// New returns an empty provider.
func New() *Provider {
	return &Provider{txs: map[string]*payment.Info{}, requests: map[string]string{}}
}

// Create creates a transaction (INITIAL, with a pay page URL). A
// requestId seen before is PAYMENT_EXISTS, as real providers answer.
func (p *Provider) Create(_ context.Context, r *payment.Request) (*payment.Info, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.creates++
	if p.down {
		return nil, fmt.Errorf("%w: down", payment.ErrUnavailable)
	}
	if code := p.failNext; code != "" {
		p.failNext = ""
		return nil, &payment.ProviderError{HTTPStatus: 400, Code: code, Message: "test"}
	}
	if _, ok := p.requests[r.RequestID]; ok {
		return nil, &payment.ProviderError{HTTPStatus: 400, Code: payment.CodePaymentExists, Message: "requestId used"}
	}
	id := uuid.NewString()
	info := &payment.Info{TransactionID: id, TransactionReference: fmt.Sprintf("KZ-%06d", len(p.order)+1),
		TransactionURL: "https://pay.example/paymenttransaction/" + id, TransactionRedirectURL: "https://pay.example/bezahlen/" + id,
		Status: payment.Initial}
	p.txs[id] = info
	p.requests[r.RequestID] = id
	p.order = append(p.order, id)
	c := *info
	return &c, nil
}

// Status returns a transaction's information.
func (p *Provider) Status(_ context.Context, id string) (*payment.Info, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.statuses++
	if p.down {
		return nil, fmt.Errorf("%w: down", payment.ErrUnavailable)
	}
	info, ok := p.txs[id]
	if !ok {
		return nil, &payment.ProviderError{HTTPStatus: 404, Code: payment.CodeUnspecified, Message: "unknown transaction"}
	}
	c := *info
	if c.Status != payment.Initial {
		c.TransactionRedirectURL = ""
	}
	return &c, nil
}

// Check answers nil unless the provider is down.
func (p *Provider) Check(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return payment.ErrUnavailable
	}
	return nil
}

// Set sets a transaction's status as the citizen's choice on the pay page
// (or a later correction of the provider) would.
func (p *Provider) Set(id string, s payment.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	info := p.txs[id]
	if info == nil {
		return
	}
	info.Status = s
	if s == payment.Payed {
		info.Method, info.TransactionTimestamp = payment.Creditcard, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	}
}

// Last returns the id of the transaction created last ("" for none).
func (p *Provider) Last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.order) == 0 {
		return ""
	}
	return p.order[len(p.order)-1]
}

// Paid counts the transactions whose status is PAYED.
func (p *Provider) Paid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, t := range p.txs {
		if t.Status == payment.Payed {
			n++
		}
	}
	return n
}

// SetDown makes every call fail with payment.ErrUnavailable (or not).
func (p *Provider) SetDown(down bool) { p.mu.Lock(); p.down = down; p.mu.Unlock() }

// FailNext makes the next Create answer with the error code.
func (p *Provider) FailNext(code string) { p.mu.Lock(); p.failNext = code; p.mu.Unlock() }

// Creates counts the Create calls.
func (p *Provider) Creates() int { p.mu.Lock(); defer p.mu.Unlock(); return p.creates }
