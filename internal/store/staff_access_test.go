package store_test

import (
	"context"
	"testing"

	"github.com/antrag/antrag/internal/account"
	"github.com/antrag/antrag/internal/store/storetest"
	"github.com/antrag/antrag/internal/tenant"
)

func TestStaffAccess(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			skipUnavailable(t, d)
			storetest.RunStaffAccess(t, storetest.Open(t, d.NewDSN(t)))
		})
	}
}

// TestAccessReadsTheRoleOfTheTenant: a role row that names another tenant
// than its user (staff_roles references users by id alone) gives the user
// no role in the user's tenant.
func TestAccessReadsTheRoleOfTheTenant(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d.Name, func(t *testing.T) {
			skipUnavailable(t, d)
			ctx := context.Background()
			db := storetest.Open(t, d.NewDSN(t))
			a := &tenant.Tenant{Slug: "a-stadt", Name: "Stadt A", Kind: tenant.Gemeinde}
			b := &tenant.Tenant{Slug: "b-kreis", Name: "Kreis B", Kind: tenant.Landkreis}
			for _, tn := range []*tenant.Tenant{a, b} {
				if err := db.CreateTenant(ctx, tn); err != nil {
					t.Fatal(err)
				}
			}
			u := &account.User{TenantID: a.ID, Username: "sb-a", Name: "SB", PasswordHash: "x"}
			if err := db.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO staff_roles (user_id, tenant_id, role) VALUES ($1, $2, 'admin')`,
				u.ID, b.ID); err != nil {
				t.Fatal(err)
			}
			acc, err := db.Access(ctx, a.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if acc.Role != account.RoleCaseworker {
				t.Errorf("Access = %+v: the role row of tenant B counted in tenant A", acc)
			}
		})
	}
}
