package workflow

import (
	"testing"
)

// boxState and boxTrigger exist only to avoid an allocation per Fire: they must be the
// identity on every value, declared or not, and allocate nothing for declared ones.
func TestBoxingIsIdentity(t *testing.T) {
	for _, s := range append(AllStates(), StateNone, "bogus") {
		if got, ok := boxState(s).(State); !ok || got != s {
			t.Errorf("boxState(%q) = %#v", s, boxState(s))
		}
	}
	for _, tr := range append(AllTriggers(), "bogus") {
		if got, ok := boxTrigger(tr).(Trigger); !ok || got != tr {
			t.Errorf("boxTrigger(%q) = %#v", tr, boxTrigger(tr))
		}
	}
	states, triggers := AllStates(), AllTriggers()
	if n := testing.AllocsPerRun(10, func() {
		for _, s := range states {
			_ = boxState(s)
		}
		for _, tr := range triggers {
			_ = boxTrigger(tr)
		}
	}); n != 0 {
		t.Errorf("boxing declared states and triggers allocates %v times, want 0", n)
	}
}

func TestRoleSet(t *testing.T) {
	var all roleSet
	for r := range roleLabels {
		b := roleBit(r)
		if b == 0 || all&b != 0 {
			t.Errorf("roleBit(%q) = %b: zero or shared with another role", r, b)
		}
		all |= b
		if s := roleSet(0).with(r); !s.has(r) || s.has("bogus") {
			t.Errorf("set {%q}: has(%q) = %v, has(bogus) = %v", r, r, s.has(r), s.has("bogus"))
		}
	}
	if roleBit("bogus") != 0 || roleBit("") != 0 {
		t.Errorf("an undeclared role has a bit")
	}
	if s := roleSet(0).with(RoleVendor).with(RoleAuthority); s.has(RoleDepartment) || !s.has(RoleVendor) || !s.has(RoleAuthority) {
		t.Errorf("set {vendor, authority} = %b", s)
	}
}
