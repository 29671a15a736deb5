package billing

// Role is what an actor is to billing.
type Role string

// The roles. See the package documentation for who may do what.
const (
	// RoleDepartment is a using department (使用单位): sees its own
	// statements, asks for cost quotes and forecasts of its own budget.
	RoleDepartment Role = "department"
	// RoleAuthority is the competent authority (主管部门): keeps the catalog,
	// meters the lifecycle, drafts, audits and approves statements, builds,
	// approves and submits the settlement.
	RoleAuthority Role = "authority"
	// RoleVendor is a cloud vendor (云服务商): reports its metered usage and
	// confirms its own statements.
	RoleVendor Role = "vendor"
	// RoleFinance is the finance department (财政部门): reads statements and
	// settlements and records payment.
	RoleFinance Role = "finance"
)

var roleLabels = map[Role][2]string{
	RoleDepartment: {"使用单位", "department"}, RoleAuthority: {"主管部门", "authority"},
	RoleVendor: {"云服务商", "vendor"}, RoleFinance: {"财政部门", "finance"},
}

// Label returns the label of r in lang.
func (r Role) Label(lang Lang) string { return label(roleLabels, r, string(r), lang) }

// String returns the Chinese label.
func (r Role) String() string { return r.Label(Chinese) }

// Actor is who acts. Department is set for RoleDepartment, Vendor for
// RoleVendor.
type Actor struct {
	ID         string
	Role       Role
	Department string
	Vendor     string
}

func (a Actor) valid() bool {
	if a.ID == "" {
		return false
	}
	switch a.Role {
	case RoleDepartment:
		return a.Department != ""
	case RoleVendor:
		return a.Vendor != ""
	case RoleAuthority, RoleFinance:
		return true
	}
	return false
}

// require returns a *ForbiddenError unless a is valid and has one of roles.
func (a Actor) require(action string, roles ...Role) error {
	if a.valid() {
		for _, r := range roles {
			if a.Role == r {
				return nil
			}
		}
	}
	return &ForbiddenError{Actor: a, Action: action}
}

// canSee reports whether a may read data of department dept and vendor v.
func (a Actor) canSee(dept, v string) bool {
	if !a.valid() {
		return false
	}
	switch a.Role {
	case RoleAuthority, RoleFinance:
		return true
	case RoleDepartment:
		return a.Department == dept
	case RoleVendor:
		return a.Vendor == v
	}
	return false
}
