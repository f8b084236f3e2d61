package web

// What the tests of package web_test need from the package's inside.

// RouteEntry is a route of the table: its pattern and audience.
type RouteEntry struct {
	Pattern, Audience string
}

// RouteTable lists the server's routes (routeTable), without handlers.
func RouteTable(s *Server) []RouteEntry {
	var out []RouteEntry
	for _, rt := range s.routeTable() {
		out = append(out, RouteEntry{rt.pattern, string(rt.audience)})
	}
	return out
}

// ReceiptRenders is how many receipt PDFs s has rendered rather than read
// from storage.
func ReceiptRenders(s *Server) int64 { return s.receiptRenders.Load() }
