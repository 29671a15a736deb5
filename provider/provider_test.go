package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func validOrder() Order {
	return Order{Key: "k1", WorkOrder: "wo1", Application: "app1", Department: "dep1", Vendor: "v1"}
}

func TestRequestValidate(t *testing.T) {
	long := string(make([]byte, 201))
	tests := []struct {
		name      string
		req       interface{ Validate() error }
		wantField string // "" = valid
	}{
		{"provision ok", ProvisionRequest{Order: validOrder(), Zone: "private", SecurityLevel: 3, Items: []Item{{"ecs.vcpu", 4}}}, ""},
		{"missing key", ProvisionRequest{Order: Order{WorkOrder: "w", Application: "a", Department: "d", Vendor: "v"}, Items: []Item{{"x", 1}}}, "Key"},
		{"blank vendor", PromoteRequest{Order: Order{Key: "k", WorkOrder: "w", Application: "a", Department: "d", Vendor: "  "}}, "Vendor"},
		{"long department", ReclaimRequest{Order: Order{Key: "k", WorkOrder: "w", Application: "a", Department: long, Vendor: "v"}}, "Department"},
		{"bad zone", ProvisionRequest{Order: validOrder(), Zone: "moon", Items: []Item{{"x", 1}}}, "Zone"},
		{"bad level", ProvisionRequest{Order: validOrder(), SecurityLevel: 6, Items: []Item{{"x", 1}}}, "SecurityLevel"},
		{"no items", ProvisionRequest{Order: validOrder()}, "Items"},
		{"dup item", ProvisionRequest{Order: validOrder(), Items: []Item{{"x", 1}, {"x", 2}}}, "Items[1].Code"},
		{"zero qty", ChangeRequest{Order: validOrder(), Items: []Item{{"x", 0}}}, "Items[0].Quantity"},
		{"blank code", ChangeRequest{Order: validOrder(), Items: []Item{{" ", 1}}}, "Items[0].Code"},
		{"change to nothing", ChangeRequest{Order: validOrder()}, ""},
		{"promote ok", PromoteRequest{Order: validOrder()}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var pe *ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate() = %v, want *ProviderError", err)
			}
			if pe.Field != tc.wantField || !errors.Is(err, ErrInvalidRequest) || !errors.Is(err, ErrPermanent) || IsRetryable(err) {
				t.Errorf("Validate() = %#v, want field %q, invalid & permanent", pe, tc.wantField)
			}
		})
	}
}

func TestErrorClasses(t *testing.T) {
	type want struct {
		Retryable, Permanent, Invalid, Conflict, Unsupported bool
		Class                                                ErrorClass
	}
	tests := []struct {
		name string
		err  error
		want want
	}{
		{"nil", nil, want{}},
		{"retryable", Retryable(CodeTimeout, "slow"), want{Retryable: true, Class: ClassRetryable}},
		{"wrapped retryable", fmt.Errorf("call: %w", Retryable(CodeUnavailable, "503")), want{Retryable: true, Class: ClassRetryable}},
		{"permanent", Permanent(CodeNotFound, "no app"), want{Permanent: true, Class: ClassPermanent}},
		{"conflict", Permanent(CodeIdempotencyConflict, "x"), want{Permanent: true, Conflict: true, Class: ClassPermanent}},
		{"unsupported", Permanent(CodeUnsupported, "x"), want{Permanent: true, Unsupported: true, Class: ClassPermanent}},
		{"invalid", invalid("Key", "is required"), want{Permanent: true, Invalid: true, Class: ClassPermanent}},
		{"canceled", context.Canceled, want{}},
		{"deadline wrapped with retryable", errors.Join(context.DeadlineExceeded, Retryable(CodeTimeout, "")), want{Class: 0}},
		{"plain error", errors.New("boom"), want{Class: ClassRetryable}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := want{
				Retryable:   IsRetryable(tc.err),
				Permanent:   IsPermanent(tc.err),
				Invalid:     errors.Is(tc.err, ErrInvalidRequest),
				Conflict:    errors.Is(tc.err, ErrIdempotencyConflict),
				Unsupported: errors.Is(tc.err, ErrUnsupported),
				Class:       Classify(tc.err),
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestProviderErrorJSON(t *testing.T) {
	in := &ProviderError{Class: ClassPermanent, Code: CodeUnknownItem, Field: "Items[0].Code", Msg: "没有该目录条目"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"class":"permanent","code":"unknown_item","field":"Items[0].Code","message":"没有该目录条目"}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var out ProviderError
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(*in, out); d != "" {
		t.Errorf("round trip (-want +got)\n%s", d)
	}
	if err := json.Unmarshal([]byte(`{"class":"maybe"}`), &out); err == nil {
		t.Error("class \"maybe\" decoded without error")
	}
	if _, err := json.Marshal(&ProviderError{}); err == nil {
		t.Error("zero class encoded without error")
	}
}

func TestDiffItems(t *testing.T) {
	got := DiffItems(
		[]Item{{"ecs.vcpu", 4}, {"oss.gb", 100}, {"rds.instance", 1}},
		[]Item{{"ecs.vcpu", 8}, {"rds.instance", 1}, {"waf", 1}},
	)
	want := []ItemDelta{{"ecs.vcpu", 4, 8}, {"oss.gb", 100, 0}, {"waf", 0, 1}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// TestDiffItemsProperty: applying the delta to old yields new, on random lists.
func TestDiffItemsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	codes := []string{"a", "b", "c", "d", "e"}
	gen := func() []Item {
		var its []Item
		for _, c := range codes {
			if rng.IntN(2) == 0 {
				its = append(its, Item{c, 1 + rng.Int64N(5)})
			}
		}
		rng.Shuffle(len(its), func(i, j int) { its[i], its[j] = its[j], its[i] })
		return its
	}
	for i := 0; i < 500; i++ {
		old, nw := gen(), gen()
		m := map[string]int64{}
		for _, it := range old {
			m[it.Code] = it.Quantity
		}
		for _, d := range DiffItems(old, nw) {
			if m[d.Code] != d.From {
				t.Fatalf("delta %v: old has %d", d, m[d.Code])
			}
			m[d.Code] = d.To
		}
		want := map[string]int64{}
		for _, it := range nw {
			want[it.Code] = it.Quantity
		}
		for c, q := range m {
			if q == 0 {
				delete(m, c)
			}
		}
		if d := cmp.Diff(want, m); d != "" {
			t.Fatalf("old %v new %v: (-want +got)\n%s", old, nw, d)
		}
	}
}

func TestRequestFingerprint(t *testing.T) {
	a := ProvisionRequest{Order: validOrder(), Items: []Item{{"x", 1}, {"y", 2}}}
	b := ProvisionRequest{Order: validOrder(), Items: []Item{{"y", 2}, {"x", 1}}}
	c := ProvisionRequest{Order: validOrder(), Items: []Item{{"x", 1}, {"y", 3}}}
	if RequestFingerprint(a) != RequestFingerprint(&b) {
		t.Error("item order changed the fingerprint")
	}
	if RequestFingerprint(a) == RequestFingerprint(c) {
		t.Error("different quantity gave the same fingerprint")
	}
	if RequestFingerprint(PromoteRequest{Order: validOrder()}) == RequestFingerprint(ReclaimRequest{Order: validOrder()}) {
		t.Error("promote and reclaim with the same order gave the same fingerprint")
	}
	if RequestFingerprint(42) != "" {
		t.Error("non-request gave a fingerprint")
	}
}

func TestMonth(t *testing.T) {
	m, err := ParseMonth("2026-02")
	if err != nil {
		t.Fatal(err)
	}
	p := m.Period()
	if got, want := p.End.Sub(p.Start), 28*24*time.Hour; got != want {
		t.Errorf("February 2026 lasts %v, want %v", got, want)
	}
	if got := p.Start.UTC().Format(time.RFC3339); got != "2026-01-31T16:00:00Z" {
		t.Errorf("start = %s (want Beijing midnight)", got)
	}
	for _, bad := range []string{"2026-13", "2026-2", "26-02", "", "2026-02-01"} {
		if _, err := ParseMonth(bad); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("ParseMonth(%q) = %v, want ErrInvalidRequest", bad, err)
		}
	}
	b, _ := json.Marshal(struct{ M Month }{m})
	if string(b) != `{"M":"2026-02"}` {
		t.Errorf("json = %s", b)
	}
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-02", "0000-01", "9999-12", "2026-13", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err != nil {
			return
		}
		if !m.Valid() || m.String() != s {
			t.Fatalf("ParseMonth(%q) = %v, round trip %q", s, m, m.String())
		}
	})
}

func TestCompletionValidate(t *testing.T) {
	ok := Completion{Key: "k", Op: OpProvision, Application: "a", Result: &Result{}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	both := ok
	both.Error = Retryable(CodeTimeout, "")
	none := ok
	none.Result = nil
	badOp := ok
	badOp.Op = "explode"
	for name, c := range map[string]Completion{"both": both, "none": none, "bad op": badOp} {
		if err := c.Validate(); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: Validate() = %v", name, err)
		}
	}
}

func TestOpLabels(t *testing.T) {
	for _, op := range []Op{OpProvision, OpPromote, OpChange, OpReclaim} {
		if !op.Valid() || op.String() == string(op) || op.English() == string(op) {
			t.Errorf("%q: labels %q / %q", op, op.String(), op.English())
		}
	}
	if Op("x").Valid() {
		t.Error("Op(x) valid")
	}
}
