package payment

// Effective is the fee that applies: the authority's, else the service's.
func Effective(service, authority *Fee) *Fee {
	if authority != nil {
		return authority
	}
	return service
}

// Compute (fixed amounts only).
func (f *Fee) Compute(data map[string]any, reference string, booking map[string]map[string]string) (*Bill, error) {
	b := &Bill{Policy: f.Policy, Purpose: f.Purpose, Description: f.Description}
	for _, it := range f.Items {
		b.Items = append(b.Items, Item{ID: it.ID, Reference: reference, Description: it.Description, Quantity: 1,
			SingleNet: it.Amount, TotalNet: it.Amount, BookingData: it.BookingData})
		b.Total += it.Amount
	}
	return b, nil
}
