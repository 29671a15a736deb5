package billing

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseQuantity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Quantity
		ok   bool
	}{
		{"4", 4000, true}, {"1.5", 1500, true}, {"0.125", 125, true}, {" 2.05 ", 2050, true}, {"-1", -1000, true},
		{"1.2345", 0, false}, {"1.", 0, false}, {".5", 0, false}, {"1e3", 0, false}, {"", 0, false}, {"99999999999999999999", 0, false},
	} {
		got, err := ParseQuantity(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok {
			back, err := ParseQuantity(got.String())
			if err != nil || back != got {
				t.Errorf("round trip of %v: %v, %v", got, back, err)
			}
		}
	}
	if got := FormatFen(-7); got != "-0.07" {
		t.Errorf("FormatFen(-7) = %q", got)
	}
}

const usageCSV = `key,source,vendor,department,application,item,quantity,start,end
k1,vendor,v1,d1,app-1,IAAS-ECS-VCPU,4,2026-01-10T00:00:00+08:00,2026-02-01T00:00:00+08:00
k2,,v1,d1,,SVC-MIG-ONCE,1,2026-01-20T00:00:00+08:00,2026-01-20T00:00:00+08:00
`

func TestReadUsage(t *testing.T) {
	var got []UsageRecord
	if err := ReadUsageCSV(strings.NewReader(usageCSV), func(r UsageRecord) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []UsageRecord{
		{Key: "k1", Source: SourceVendor, Vendor: "v1", Department: "d1", Application: "app-1", Item: "IAAS-ECS-VCPU", Quantity: 4000,
			Start: tm(2026, 1, 10, 0, 0), End: tm(2026, 2, 1, 0, 0)},
		{Key: "k2", Source: SourceVendor, Vendor: "v1", Department: "d1", Item: "SVC-MIG-ONCE", Quantity: 1000,
			Start: tm(2026, 1, 20, 0, 0), End: tm(2026, 1, 20, 0, 0)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	var b bytes.Buffer
	if err := WriteUsageJSON(&b, got); err != nil {
		t.Fatal(err)
	}
	var back []UsageRecord
	if err := ReadUsageJSON(&b, func(r UsageRecord) error { back = append(back, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestReadUsageErrors(t *testing.T) {
	tests := []struct {
		name  string
		csv   string
		row   int
		field string
		kind  error
	}{
		{"negative quantity", strings.Replace(usageCSV, ",4,", ",-4,", 1), 2, "quantity", ErrNegative},
		{"bad quantity", strings.Replace(usageCSV, ",4,", ",four,", 1), 2, "quantity", ErrInvalid},
		{"end before start", strings.Replace(usageCSV, "2026-02-01T00", "2026-01-01T00", 1), 2, "end", ErrInvalid},
		{"bad time", strings.Replace(usageCSV, "2026-01-20T00:00:00+08:00,2026", "yesterday,2026", 1), 3, "start", ErrInvalid},
		{"bad source", strings.Replace(usageCSV, "k1,vendor", "k1,meter", 1), 2, "source", ErrInvalid},
		{"no key", strings.Replace(usageCSV, "k2,", ",", 1), 3, "key", ErrInvalid},
		{"bad item code", strings.Replace(usageCSV, "SVC-MIG-ONCE", "svc", 1), 3, "item", ErrInvalid},
	}
	for _, tc := range tests {
		err := ReadUsageCSV(strings.NewReader(tc.csv), func(UsageRecord) error { return nil })
		var re *RowError
		if !errors.As(err, &re) || re.Row != tc.row || re.Field != tc.field || !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v; want row %d field %s matching %v", tc.name, err, tc.row, tc.field, tc.kind)
		}
	}
	err := ReadUsageJSON(strings.NewReader(`[{"key":"k","vendor":"v","department":"d","item":"A-B","quantity":"-1","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}]`),
		func(UsageRecord) error { return nil })
	var re *RowError
	if !errors.As(err, &re) || re.Row != 1 || re.Field != "quantity" || !errors.Is(err, ErrNegative) {
		t.Errorf("JSON negative quantity: %v", err)
	}
}

func FuzzReadUsageCSV(f *testing.F) {
	f.Add(usageCSV)
	f.Add("key,source,vendor,department,application,item,quantity,start,end\n")
	f.Add(strings.Replace(usageCSV, ",4,", ",0.001,", 1))
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, doc string) {
		var recs []UsageRecord
		err := ReadUsageCSV(strings.NewReader(doc), func(r UsageRecord) error { recs = append(recs, r); return nil })
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RowError", err)
			}
			return
		}
		for _, r := range recs {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid record %v: %v", r, err)
			}
		}
		var b bytes.Buffer
		if err := WriteUsageJSON(&b, recs); err != nil {
			t.Fatal(err)
		}
		var back []UsageRecord
		if err := ReadUsageJSON(&b, func(r UsageRecord) error { back = append(back, r); return nil }); err != nil {
			t.Fatalf("JSON re-read: %v", err)
		}
		if len(back) != len(recs) {
			t.Fatalf("JSON round trip: %d records, want %d", len(back), len(recs))
		}
		for i := range recs {
			if !recs[i].Same(back[i]) {
				t.Fatalf("record %d changed: %v → %v", i, recs[i], back[i])
			}
		}
	})
}

func FuzzReadUsageJSON(f *testing.F) {
	f.Add(`[{"key":"k","vendor":"v","department":"d","item":"A-B","quantity":"1.5","start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z"}]`)
	f.Add(`[]`)
	f.Add(`[{"key":1}]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, doc string) {
		n := 0
		err := ReadUsageJSON(strings.NewReader(doc), func(r UsageRecord) error {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid record %v: %v", r, err)
			}
			n++
			return nil
		})
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RowError", err)
			}
		}
	})
}

var _ = time.Second
