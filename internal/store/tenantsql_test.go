package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/antrag/antrag/internal/submission"
)

// The tenant check of the store's SQL: every statement in the package's Go
// source that reads or writes a tenant-owned table (one with a tenant_id
// column, as the migrations create it) binds tenant_id to a parameter or
// subquery in a condition (a WHERE or a JOIN's ON) or, for an INSERT,
// names it in its columns; a tenant-owned table it joins is joined on
// tenant_id too. The statements
// are found in the syntax tree (go/parser): string literals, constants and
// their concatenations, each statement with the function it is in.

// globalSQL are the statements that legitimately work across tenants, by
// the function they are in and a part of their text that picks them out.
// Every entry says why; an entry that matches no statement fails the test,
// so that the list never outlives its reasons.
var globalSQL = []struct{ fn, contains, why string }{
	// Staff sign in with a user name alone (the login form has no tenant);
	// users.username is UNIQUE in the installation, and the account found
	// names the tenant the session is then bound to.
	// Routing an application to the responsible authority weighs the
	// jurisdictions of every tenant for one service ("Einer für Alle");
	// they say only who is responsible where, which the routing result
	// shows the applicant anyway.
	{"ServiceJurisdictions", "FROM jurisdictions WHERE service_id = $1", "routing: the jurisdictions of all tenants for one EfA service"},
	{"UserByUsername", "FROM users WHERE username = $1", "login: user names are unique in the installation and the account names its tenant"},
	// The delivery worker runs for the whole installation; each row it
	// reads names its tenant, which every later call then takes.
	{"Following", "FROM deliveries WHERE kind = $1 AND state = $2", "delivery worker: polls the delivered FIT-Connect submissions of all tenants"},
	{"RequeueOverdue", "FROM deliveries WHERE state = $1 AND next_attempt_at", "delivery worker: requeues overdue deliveries of all tenants, each with its tenant_id"},
	{"Backlog", "FROM deliveries WHERE state = $1", "operator metrics: counts the pending deliveries of all tenants, and reads no row"},
	// Retention runs for the whole installation.
	{"DeleteExpiredDrafts", "SELECT a.storage_key FROM attachments a", "retention: the files of expired drafts of all tenants"},
	{"DeleteExpiredDrafts", "DELETE FROM attachments WHERE draft_id IN", "retention: attachments of expired drafts of all tenants"},
	{"DeleteExpiredDrafts", "DELETE FROM drafts WHERE expires_at <= $1", "retention: expired drafts of all tenants"},
	{"PurgeSubmissions", "FROM submissions WHERE status = $1 AND updated_at < $2", "retention: closed submissions of all tenants, each purged with its tenant_id"},
	{"PurgeUnpaid", "FROM submissions s WHERE s.payment = $1", "retention: never paid applications of all tenants, each purged with its tenant_id"},
	// A data migration at start-up, over every row.
	{"sealFilenames", "SELECT EXISTS (SELECT 1 FROM attachments", "data migration: looks for plain-text file names of any tenant"},
	{"sealFilenames", "SELECT id, filename FROM attachments", "data migration: reads plain-text file names of any tenant"},
	{"sealFilenames", "UPDATE attachments SET filename = ''", "data migration: seals the rows just read, by their (unique) id"},
	// FIT-Connect: an inbound submission names only its destination, from
	// which the receiver learns the tenant; the destination id is unique.
	{"FITConnectDestination", "FROM fitconnect_accounts WHERE role = $1 AND destination_id = $2", "receiver: the destination of an inbound submission names its tenant"},
	{"FITConnectDestinations", "FROM fitconnect_accounts", "receiver: polls every destination of the installation"},
	// Vorgangsnummern are unique in the installation: the count says only
	// whether a new random one is taken, and is never shown.
	// Payment reconciliation runs for the whole installation; each attempt
	// names its tenant, which every later call takes.
	{"DueAttempts", "FROM payments WHERE next_check_at IS NOT NULL", "reconciliation: the due payment attempts of all tenants"},
	{"checkReference", "SELECT count(*) FROM submissions WHERE reference = $1", "a new Vorgangsnummer must be unique in the installation"},
	// The public catalogue of the API (GET /api/v1/services) and of
	// `antrag catalog list` lists the published services of all tenants.
	{"ListAllServices", "FROM services s JOIN tenants t", "the public catalogue of all tenants' services"},
}

// composedSQL are statements whose WHERE clause is built elsewhere; each
// entry names the test that proves the clause binds the tenant.
var composedSQL = []struct{ fn, contains, why string }{
	{"querySubmission", "FROM submissions WHERE ?", "every call passes a WHERE with tenant_id (TestQuerySubmissionCallsBindTenant)"},
	{"ListSubmissions", "FROM submissions WHERE ?", "the WHERE is submissionFilter's (TestSubmissionFilterBindsTenant)"},
}

// tenantTables returns the tables with a tenant_id column after all Up
// migrations of dialect, from the migrations' text: CREATE TABLE with a
// tenant_id column, ALTER TABLE … ADD COLUMN tenant_id, RENAME TO and DROP
// TABLE.
func tenantTables(t *testing.T, dialect string) map[string]bool {
	t.Helper()
	files, err := fs.Glob(migrationFiles, "migrations/"+dialect+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations of %s: %v", dialect, err)
	}
	sort.Strings(files)
	owned := map[string]bool{}
	create := regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?\s*\((.*)\)`)
	addCol := regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+"?(\w+)"?\s+ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)`)
	rename := regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+"?(\w+)"?\s+RENAME\s+TO\s+"?(\w+)`)
	drop := regexp.MustCompile(`(?is)^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?(\w+)`)
	column := regexp.MustCompile(`(?im)(?:^|,)\s*tenant_id\s+\w`)
	for _, f := range files {
		b, err := fs.ReadFile(migrationFiles, f)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		for _, stmt := range strings.Split(stripSQLComments(up), ";") {
			stmt = strings.TrimSpace(stmt)
			switch {
			case create.MatchString(stmt):
				m := create.FindStringSubmatch(stmt)
				owned[strings.ToLower(m[1])] = column.MatchString(m[2])
			case addCol.MatchString(stmt):
				if m := addCol.FindStringSubmatch(stmt); strings.EqualFold(m[2], "tenant_id") {
					owned[strings.ToLower(m[1])] = true
				}
			case rename.MatchString(stmt):
				m := rename.FindStringSubmatch(stmt)
				from, to := strings.ToLower(m[1]), strings.ToLower(m[2])
				owned[to] = owned[from]
				delete(owned, from)
			case drop.MatchString(stmt):
				delete(owned, strings.ToLower(drop.FindStringSubmatch(stmt)[1]))
			}
		}
	}
	out := map[string]bool{}
	for name, has := range owned {
		if has {
			out[name] = true
		}
	}
	return out
}

func stripSQLComments(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

// sqlStatement is a piece of SQL in the package's source.
type sqlStatement struct {
	pos  token.Position
	fn   string // the enclosing function ("" at package level)
	text string
}

// packageSQL returns the SQL statements in the package's non-test Go
// files: every string expression (a literal, or a concatenation of
// literals and the package's string constants) that starts with SELECT,
// INSERT, UPDATE, DELETE or WITH.
func packageSQL(t *testing.T) []sqlStatement {
	t.Helper()
	fset, parsed, consts := parsePackage(t)
	var out []sqlStatement
	for _, f := range parsed {
		var fn string
		var visit func(n ast.Node) bool
		visit = func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncDecl:
				fn = x.Name.Name
				return true
			case *ast.GenDecl:
				if x.Tok == token.CONST {
					// Constants are parts of statements, checked where used.
					return false
				}
			case *ast.BinaryExpr, *ast.BasicLit:
				s, ok := stringOf(x.(ast.Expr), consts)
				if !ok {
					return true
				}
				if isSQL(s) {
					out = append(out, sqlStatement{pos: fset.Position(x.Pos()), fn: fn, text: s})
				}
				return false // a concatenation is one statement
			}
			return true
		}
		ast.Inspect(f, visit)
	}
	return out
}

// stringOf evaluates a string expression of literals and constants; a
// part it cannot evaluate (a variable, a call) stands as " ? ".
func stringOf(e ast.Expr, consts map[string]string) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return stringOf(x.X, consts)
	case *ast.Ident:
		s, ok := consts[x.Name]
		return s, ok
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		l, lok := stringOf(x.X, consts)
		r, rok := stringOf(x.Y, consts)
		if !lok && !rok {
			return "", false
		}
		if !lok {
			l = " ? "
		}
		if !rok {
			r = " ? "
		}
		return l + r, true
	}
	return "", false
}

var sqlStart = regexp.MustCompile(`(?is)^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\s`)

func isSQL(s string) bool { return sqlStart.MatchString(s) }

var (
	tableRef   = regexp.MustCompile(`(?i)\b(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)`)
	conditions = regexp.MustCompile(`(?is)\b(?:WHERE|ON)\b(.*)`)
	insertCols = regexp.MustCompile(`(?is)\bINSERT\s+INTO\s+\w+\s*\(([^)]*)\)`)
	tenantCol  = regexp.MustCompile(`(?i)\btenant_id\b`)
	// tenantBound is tenant_id compared with a parameter or a subquery:
	// "t.tenant_id = $1", "$2 = tenant_id", "tenant_id IN (SELECT …)";
	// a join's "a.tenant_id = b.tenant_id" alone binds no tenant.
	tenantBound = regexp.MustCompile(`(?i)\btenant_id\s*(?:=\s*\$\d|IN\s*\()|\$\d+\s*=\s*(?:\w+\.)?tenant_id\b`)
	sqlSpace    = regexp.MustCompile(`\s+`)
)

// joinRE is a JOIN with its table, alias and ON condition.
var joinRE = regexp.MustCompile(`(?is)\bJOIN\s+"?(\w+)"?(?:\s+(?:AS\s+)?(\w+))?\s+ON\s+(.*?)(?:\bLEFT\b|\bINNER\b|\bJOIN\b|\bWHERE\b|\bORDER\b|\bGROUP\b|\bLIMIT\b|$)`)

// unscopedJoins returns the tenant-owned tables a statement joins without
// tenant_id: neither in the join's ON nor as alias.tenant_id elsewhere.
// Rows of two tenant-owned tables are joined within one tenant.
func unscopedJoins(stmt string, owned map[string]bool) []string {
	var out []string
	for _, m := range joinRE.FindAllStringSubmatch(stmt, -1) {
		table, alias, on := strings.ToLower(m[1]), m[2], m[3]
		if !owned[table] || tenantCol.MatchString(on) {
			continue
		}
		if alias == "" || strings.EqualFold(alias, "ON") {
			alias = table
		}
		if !regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(alias) + `\.tenant_id\b`).MatchString(stmt) {
			out = append(out, table)
		}
	}
	return out
}

// tenantTablesOf returns the tenant-owned tables a statement names.
func tenantTablesOf(stmt string, owned map[string]bool) []string {
	var out []string
	for _, m := range tableRef.FindAllStringSubmatch(stmt, -1) {
		if name := strings.ToLower(m[1]); owned[name] && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// tenantScoped reports whether a statement names tenant_id in a
// condition, or in the columns of its INSERT.
func tenantScoped(stmt string) bool {
	if m := conditions.FindStringSubmatch(stmt); m != nil && tenantBound.MatchString(m[1]) {
		return true
	}
	for _, m := range insertCols.FindAllStringSubmatch(stmt, -1) {
		if tenantCol.MatchString(m[1]) {
			return true
		}
	}
	return false
}

func TestTenantTablesFromMigrations(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		owned := tenantTables(t, dialect)
		for _, want := range []string{"submissions", "drafts", "attachments", "deliveries", "users", "services"} {
			if !owned[want] {
				t.Errorf("%s: %s not found as tenant-owned in the migrations (have %v)", dialect, want, owned)
			}
		}
		for _, not := range []string{"tenants", "sessions", "deliveries_new", "deliveries_old"} {
			if owned[not] {
				t.Errorf("%s: %s taken for a tenant-owned table", dialect, not)
			}
		}
	}
	if s, p := tenantTables(t, "sqlite"), tenantTables(t, "postgres"); !mapsEqual(s, p) {
		t.Errorf("tenant-owned tables differ: sqlite %v, postgres %v", s, p)
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestStoreSQLHasTenantConditions fails for every statement on a
// tenant-owned table without a tenant_id condition that globalSQL does not
// list with a reason.
func TestStoreSQLHasTenantConditions(t *testing.T) {
	owned := tenantTables(t, "sqlite")
	stmts := packageSQL(t)
	if len(stmts) < 50 {
		t.Fatalf("found only %d SQL statements in the package: the scan is broken", len(stmts))
	}
	used, usedComposed := make([]bool, len(globalSQL)), make([]bool, len(composedSQL))
	for _, st := range stmts {
		tables := tenantTablesOf(st.text, owned)
		if len(tables) == 0 {
			continue
		}
		if tenantScoped(st.text) {
			if js := unscopedJoins(st.text, owned); len(js) > 0 {
				t.Errorf("%s (%s): joins %s without tenant_id; join on tenant_id as well:\n\t%.300s",
					st.pos, st.fn, strings.Join(js, ", "), sqlSpace.ReplaceAllString(strings.TrimSpace(st.text), " "))
			}
			continue
		}
		flat := sqlSpace.ReplaceAllString(strings.TrimSpace(st.text), " ")
		allowed := false
		for i, g := range globalSQL {
			if g.fn == st.fn && strings.Contains(flat, g.contains) {
				used[i], allowed = true, true
			}
		}
		for i, c := range composedSQL {
			if c.fn == st.fn && strings.Contains(flat, c.contains) {
				usedComposed[i], allowed = true, true
			}
		}
		if !allowed {
			t.Errorf("%s (%s): statement on %s without a tenant_id condition; add one (the method takes the tenant) or list it in globalSQL with the reason it is global:\n\t%.300s",
				st.pos, st.fn, strings.Join(tables, ", "), flat)
		}
	}
	for i, g := range globalSQL {
		if !used[i] {
			t.Errorf("globalSQL entry %s %q matches no unscoped statement: remove it", g.fn, g.contains)
		}
	}
	for i, c := range composedSQL {
		if !usedComposed[i] {
			t.Errorf("composedSQL entry %s %q matches no statement: remove it", c.fn, c.contains)
		}
	}
}

// TestQuerySubmissionCallsBindTenant checks that every call of
// querySubmission passes a WHERE clause (a literal or constant) that binds
// tenant_id.
func TestQuerySubmissionCallsBindTenant(t *testing.T) {
	calls := packageCalls(t, "querySubmission")
	if len(calls) < 5 {
		t.Fatalf("found %d calls of querySubmission: the scan is broken", len(calls))
	}
	for _, c := range calls {
		if len(c.args) < 3 {
			t.Errorf("%s: querySubmission with %d arguments", c.pos, len(c.args))
			continue
		}
		if where := c.args[2]; strings.Contains(where, " ? ") || !tenantBound.MatchString(where) {
			t.Errorf("%s (%s): querySubmission's WHERE %q does not bind tenant_id", c.pos, c.fn, where)
		}
	}
}

// TestSubmissionFilterBindsTenant checks the WHERE clause of
// ListSubmissions for every kind of filter: it binds the tenant as $1.
func TestSubmissionFilterBindsTenant(t *testing.T) {
	db := &DB{d: &sqliteDialect{}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	filters := map[string]submission.Filter{
		"none":     {},
		"status":   {Status: submission.Eingegangen, ServiceID: "s", HasData: true, DeliveryState: "failed"},
		"within":   {Within: &submission.Within{AuthorityIDs: []string{"a"}, ServiceIDs: []string{"s"}}},
		"received": {ReceivedFrom: now, ReceivedBefore: now},
	}
	for _, q := range []string{"ABCD-EFGH-JKMN", "Muster", "fitconnect:x"} {
		s, err := submission.ParseSearch(q)
		if err != nil {
			t.Fatal(err)
		}
		filters["search "+q] = submission.Filter{Search: s}
	}
	bound := regexp.MustCompile(`\btenant_id\s*=\s*\$1\b`)
	for name, f := range filters {
		where, args := db.submissionFilter("T", f)
		if len(args) == 0 || args[0] != "T" || !bound.MatchString(where) {
			t.Errorf("%s: WHERE %q (args %v) does not bind the tenant as $1", name, where, args)
		}
		if f.Search != nil {
			// Every alternative of a search is scoped on its own.
			for _, alt := range strings.Split(where, " UNION ALL ") {
				if strings.Contains(alt, "SELECT") && !bound.MatchString(alt) {
					t.Errorf("%s: alternative %q does not bind the tenant", name, alt)
				}
			}
		}
	}
}

// call is a call of a function of the package, with its arguments
// evaluated as strings (" ? " where they are not constant).
type call struct {
	pos  token.Position
	fn   string // the enclosing function
	args []string
}

// packageCalls returns the calls of the function or method name in the
// package's non-test files.
func packageCalls(t *testing.T, name string) []call {
	t.Helper()
	fset, files, consts := parsePackage(t)
	var out []call
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				ce, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var callee string
				switch fn := ce.Fun.(type) {
				case *ast.Ident:
					callee = fn.Name
				case *ast.SelectorExpr:
					callee = fn.Sel.Name
				}
				if callee != name {
					return true
				}
				c := call{pos: fset.Position(ce.Pos()), fn: fd.Name.Name}
				for _, a := range ce.Args {
					s, ok := stringOf(a, consts)
					if !ok {
						s = " ? "
					}
					c.args = append(c.args, s)
				}
				out = append(out, c)
				return true
			})
		}
	}
	return out
}

// parsePackage parses the package's non-test Go files and collects its
// string constants, package-level and local (by name: the package's
// constants have distinct names).
func parsePackage(t *testing.T) (*token.FileSet, []*ast.File, map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	consts := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			gd, ok := n.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				return true
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := stringOf(vs.Values[i], nil); ok {
							consts[name.Name] = s
						}
					}
				}
			}
			return true
		})
	}
	return fset, files, consts
}
