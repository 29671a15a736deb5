package billing

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/quota"
)

func TestItemValidate(t *testing.T) {
	good := Item{Code: "IAAS-ECS-VCPU", Name: "云主机vCPU", Unit: "核·月", Basis: Monthly, Proration: ProrateDays, Footprint: quota.Vector{quota.VCPU: 1000}}
	tests := []struct {
		name  string
		mod   func(*Item)
		field string
		kind  error
	}{
		{"ok", func(*Item) {}, "", nil},
		{"lower-case code", func(i *Item) { i.Code = "iaas-ecs" }, "code", ErrInvalid},
		{"one segment", func(i *Item) { i.Code = "IAAS" }, "code", ErrInvalid},
		{"empty segment", func(i *Item) { i.Code = "IAAS--X" }, "code", ErrInvalid},
		{"digit first", func(i *Item) { i.Code = "1AAS-X" }, "code", ErrInvalid},
		{"no name", func(i *Item) { i.Name = " " }, "name", ErrInvalid},
		{"no unit", func(i *Item) { i.Unit = "" }, "unit", ErrInvalid},
		{"bad basis", func(i *Item) { i.Basis = "weekly" }, "basis", ErrInvalid},
		{"hourly with days", func(i *Item) { i.Basis = Hourly }, "proration", ErrInvalid},
		{"one-time with hours", func(i *Item) { i.Basis, i.Proration = OneTime, ProrateHours }, "proration", ErrInvalid},
		{"negative footprint", func(i *Item) { i.Footprint = quota.Vector{quota.Memory: -1} }, "footprint", ErrInvalid},
	}
	for _, tc := range tests {
		it := good
		it.Footprint = good.Footprint.Clone()
		tc.mod(&it)
		err := it.Validate()
		if tc.kind == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, tc.kind) {
			t.Errorf("%s: error %v, want field %s matching %v", tc.name, err, tc.field, tc.kind)
		}
	}
}

func TestPriceOverlap(t *testing.T) {
	base := func() *Catalog {
		c := &Catalog{}
		if err := c.AddItem(Item{Code: "IAAS-ECS-VCPU", Name: "x", Unit: "核·月", Basis: Monthly, Proration: ProrateDays}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []Price{
			{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 100, From: day(2026, 1, 1)},                      // open
			{Item: "IAAS-ECS-VCPU", Vendor: "v2", UnitPrice: 100, From: day(2026, 1, 1), To: day(2026, 7, 1)}, // closed
		} {
			if err := c.AddPrice(p); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}
	tests := []struct {
		name string
		p    Price
		want error
	}{
		{"open version superseded later: a price change", Price{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 90, From: day(2026, 4, 1)}, nil},
		{"same start", Price{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 90, From: day(2026, 1, 1)}, ErrOverlap},
		{"starts inside a closed version", Price{Item: "IAAS-ECS-VCPU", Vendor: "v2", UnitPrice: 90, From: day(2026, 3, 1)}, ErrOverlap},
		{"closed version containing a start", Price{Item: "IAAS-ECS-VCPU", Vendor: "v2", UnitPrice: 90, From: day(2025, 1, 1), To: day(2026, 2, 1)}, ErrOverlap},
		{"adjacent to a closed version", Price{Item: "IAAS-ECS-VCPU", Vendor: "v2", UnitPrice: 90, From: day(2026, 7, 1)}, nil},
		{"before, closed, not reaching", Price{Item: "IAAS-ECS-VCPU", Vendor: "v2", UnitPrice: 90, From: day(2025, 1, 1), To: day(2026, 1, 1)}, nil},
		{"other vendor independent", Price{Item: "IAAS-ECS-VCPU", Vendor: "v3", UnitPrice: 90, From: day(2026, 1, 1)}, nil},
		{"no vendor", Price{Item: "IAAS-ECS-VCPU", UnitPrice: 90, From: day(2026, 1, 1)}, ErrNoVendor},
		{"unknown item", Price{Item: "IAAS-NOPE-X", Vendor: "v1", UnitPrice: 90, From: day(2026, 1, 1)}, ErrUnknownItem},
		{"negative", Price{Item: "IAAS-ECS-VCPU", Vendor: "v4", UnitPrice: -1, From: day(2026, 1, 1)}, ErrNegative},
		{"to before from", Price{Item: "IAAS-ECS-VCPU", Vendor: "v4", UnitPrice: 1, From: day(2026, 2, 1), To: day(2026, 1, 1)}, ErrInvalid},
		{"bad date", Price{Item: "IAAS-ECS-VCPU", Vendor: "v4", UnitPrice: 1, From: Date{2026, 2, 30}}, ErrInvalid},
	}
	for _, tc := range tests {
		c := base()
		err := c.AddPrice(tc.p)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if tc.want != nil && len(c.Prices()) != 2 {
			t.Errorf("%s: a rejected price was kept", tc.name)
		}
	}
	c := base()
	if err := c.AddPrice(Price{Item: "IAAS-ECS-VCPU", Vendor: "v1", UnitPrice: 90, From: day(2026, 4, 1)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   Date
		want int64
		ok   bool
	}{{day(2025, 12, 31), 0, false}, {day(2026, 1, 1), 100, true}, {day(2026, 3, 31), 100, true}, {day(2026, 4, 1), 90, true}} {
		p, ok := c.PriceAt("IAAS-ECS-VCPU", "v1", tc.at.In(tz).Add(12*3600e9), tz)
		if ok != tc.ok || p.UnitPrice != tc.want {
			t.Errorf("PriceAt(%s) = %d,%v; want %d,%v", tc.at, p.UnitPrice, ok, tc.want, tc.ok)
		}
	}
	if _, ok := c.PriceAt("IAAS-ECS-VCPU", "v2", day(2026, 7, 1).In(tz), tz); ok {
		t.Error("PriceAt after a closed version's end found a price")
	}
}

const itemsCSV = `code,name,name_en,unit,basis,proration,footprint,std_code
IAAS-ECS-VCPU,云主机vCPU,ECS vCPU,核·月,monthly,days,vcpu=1000,
IAAS-EVS-SSD,云硬盘SSD,,GiB·月,monthly,hours,storage=1,
SVC-MIG-ONCE,迁移服务,,次,one_time,none,,
`

const pricesCSV = `item,vendor,contract,unit_price,from,to
IAAS-ECS-VCPU,v1,C-1,5000,2026-01-01,
IAAS-ECS-VCPU,v1,C-1,4500,2026-07-01,
IAAS-EVS-SSD,v1,C-1,100,2026-01-01,2027-01-01
SVC-MIG-ONCE,v2,C-2,200000,2026-01-01,
`

func TestImportCatalogCSVRoundTrip(t *testing.T) {
	c, err := ImportCatalogCSV(strings.NewReader(itemsCSV), strings.NewReader(pricesCSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Items()) != 3 || len(c.Prices()) != 4 {
		t.Fatalf("%d items, %d prices", len(c.Items()), len(c.Prices()))
	}
	var ib, pb, jb bytes.Buffer
	if err := WriteItemsCSV(&ib, c); err != nil {
		t.Fatal(err)
	}
	if err := WritePricesCSV(&pb, c); err != nil {
		t.Fatal(err)
	}
	if err := WriteCatalogJSON(&jb, c); err != nil {
		t.Fatal(err)
	}
	c2, err := ImportCatalogCSV(&ib, &pb)
	if err != nil {
		t.Fatal(err)
	}
	c3, err := ImportCatalogJSON(&jb)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []*Catalog{c2, c3} {
		if diff := cmp.Diff(c.Items(), other.Items()); diff != "" {
			t.Errorf("items after round trip (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(c.Prices(), other.Prices()); diff != "" {
			t.Errorf("prices after round trip (-want +got):\n%s", diff)
		}
	}
}

func TestImportCatalogErrors(t *testing.T) {
	tests := []struct {
		name          string
		items, prices string
		row           int
		field         string
		kind          error
	}{
		{"missing column", "code,name\nA-B,x\n", pricesCSV, 1, "name_en", ErrInvalid},
		{"unknown column", strings.Replace(itemsCSV, "std_code", "colour", 1), pricesCSV, 1, "colour", ErrInvalid},
		{"bad basis on row 3", strings.Replace(itemsCSV, "GiB·月,monthly", "GiB·月,weekly", 1), pricesCSV, 3, "basis", ErrInvalid},
		{"bad footprint", strings.Replace(itemsCSV, "vcpu=1000", "vcpu=-1", 1), pricesCSV, 2, "footprint", ErrInvalid},
		{"duplicate code", itemsCSV + "IAAS-ECS-VCPU,x,,核·月,monthly,days,,\n", pricesCSV, 5, "code", ErrExists},
		{"price without vendor", itemsCSV, strings.Replace(pricesCSV, "SVC-MIG-ONCE,v2", "SVC-MIG-ONCE,", 1), 5, "vendor", ErrNoVendor},
		{"overlapping price", itemsCSV, pricesCSV + "IAAS-EVS-SSD,v1,C-1,90,2026-06-01,\n", 6, "from", ErrOverlap},
		{"price of unknown item", itemsCSV, pricesCSV + "IAAS-NOPE-X,v1,C-1,90,2026-06-01,\n", 6, "item", ErrUnknownItem},
		{"bad price", itemsCSV, strings.Replace(pricesCSV, "5000", "50.00", 1), 2, "unit_price", ErrInvalid},
		{"bad date", itemsCSV, strings.Replace(pricesCSV, "2026-07-01", "2026-13-01", 1), 3, "from", ErrInvalid},
		{"ragged row", itemsCSV + "A-B,x\n", pricesCSV, 5, "", ErrInvalid},
	}
	for _, tc := range tests {
		_, err := ImportCatalogCSV(strings.NewReader(tc.items), strings.NewReader(tc.prices))
		var re *RowError
		if !errors.As(err, &re) || re.Row != tc.row || re.Field != tc.field || !errors.Is(err, tc.kind) {
			t.Errorf("%s: error %v; want row %d field %q matching %v", tc.name, err, tc.row, tc.field, tc.kind)
		}
	}
}

func TestImportCatalogJSONErrors(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		row   int
		field string
		kind  error
	}{
		{"unknown field", `{"items":[{"code":"A-B","colour":"red"}]}`, 1, "colour", ErrInvalid},
		{"wrong type", `{"items":[],"prices":[{"item":"A-B","unit_price":"1"}]}`, 1, "unit_price", ErrInvalid},
		{"bad code on item 2", `{"items":[{"code":"A-B","name":"x","unit":"个","basis":"one_time","proration":"none"},{"code":"a","name":"x","unit":"个","basis":"one_time","proration":"none"}]}`, 2, "code", ErrInvalid},
		{"bad footprint", `{"items":[{"code":"A-B","name":"x","unit":"个","basis":"one_time","proration":"none","footprint":{"Bad":1}}]}`, 1, "footprint", ErrInvalid},
		{"price without vendor", `{"items":[{"code":"A-B","name":"x","unit":"个","basis":"one_time","proration":"none"}],"prices":[{"item":"A-B","unit_price":1,"from":"2026-01-01"}]}`, 1, "vendor", ErrNoVendor},
		{"not json", `{"items":`, 0, "json", ErrInvalid},
	}
	for _, tc := range tests {
		_, err := ImportCatalogJSON(strings.NewReader(tc.doc))
		var re *RowError
		if !errors.As(err, &re) || re.Row != tc.row || re.Field != tc.field || !errors.Is(err, tc.kind) {
			t.Errorf("%s: error %v; want row %d field %q matching %v", tc.name, err, tc.row, tc.field, tc.kind)
		}
	}
}

// TestCatalogRoundTripProperty: random valid catalogs survive CSV and JSON
// export and import unchanged (fixed seed).
func TestCatalogRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	bases := []Basis{Monthly, Daily, Hourly, OneTime}
	for n := 0; n < 50; n++ {
		c := &Catalog{}
		for i := 0; i < rng.IntN(8)+1; i++ {
			b := bases[rng.IntN(4)]
			ps := validProration[b]
			it := Item{Code: fmt.Sprintf("IAAS-X%d-Y%d", n, i), Name: fmt.Sprintf("条目,\"%d\"", i), Unit: "个·月",
				Basis: b, Proration: ps[rng.IntN(len(ps))]}
			if rng.IntN(2) == 0 {
				it.Footprint = quota.Vector{quota.VCPU: rng.Int64N(1e6) + 1, quota.Memory: rng.Int64N(1e6)}.Clone()
			}
			if err := c.AddItem(it); err != nil {
				t.Fatal(err)
			}
			from := day(2020+rng.IntN(5), 1, 1)
			for k := 0; k < rng.IntN(4); k++ {
				p := Price{Item: it.Code, Vendor: fmt.Sprintf("v%d", rng.IntN(2)), UnitPrice: rng.Int64N(1e9), From: from}
				if rng.IntN(3) == 0 {
					p.To = Date{from.Year + 1, from.Month, from.Day}
				}
				_ = c.AddPrice(p) // overlaps are skipped
				from = Date{from.Year + 1, time.Month(rng.IntN(12) + 1), rng.IntN(28) + 1}
			}
		}
		var ib, pb, jb bytes.Buffer
		_ = WriteItemsCSV(&ib, c)
		_ = WritePricesCSV(&pb, c)
		_ = WriteCatalogJSON(&jb, c)
		c2, err := ImportCatalogCSV(&ib, &pb)
		if err != nil {
			t.Fatalf("CSV: %v", err)
		}
		c3, err := ImportCatalogJSON(&jb)
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		for _, o := range []*Catalog{c2, c3} {
			if diff := cmp.Diff(c.Items(), o.Items()); diff != "" {
				t.Fatalf("items (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.Prices(), o.Prices()); diff != "" {
				t.Fatalf("prices (-want +got):\n%s", diff)
			}
		}
	}
}

func FuzzImportCatalogCSV(f *testing.F) {
	f.Add(itemsCSV, pricesCSV)
	f.Add("code,name,name_en,unit,basis,proration,footprint,std_code\n", "item,vendor,contract,unit_price,from,to\n")
	f.Add(strings.Replace(itemsCSV, "vcpu=1000", "vcpu=1;vcpu=2", 1), pricesCSV+"IAAS-EVS-SSD,v1,,1,2026-06-01,\n")
	f.Add("\"unterminated", "")
	f.Fuzz(func(t *testing.T, items, prices string) {
		c, err := ImportCatalogCSV(strings.NewReader(items), strings.NewReader(prices))
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RowError", err)
			}
			return
		}
		// Whatever imports must survive a round trip.
		var ib, pb bytes.Buffer
		_ = WriteItemsCSV(&ib, c)
		_ = WritePricesCSV(&pb, c)
		c2, err := ImportCatalogCSV(&ib, &pb)
		if err != nil {
			t.Fatalf("re-import: %v", err)
		}
		if !cmp.Equal(c.Items(), c2.Items()) || !cmp.Equal(c.Prices(), c2.Prices()) {
			t.Fatal("round trip changed the catalog")
		}
	})
}

func FuzzImportCatalogJSON(f *testing.F) {
	var b bytes.Buffer
	c, _ := ImportCatalogCSV(strings.NewReader(itemsCSV), strings.NewReader(pricesCSV))
	_ = WriteCatalogJSON(&b, c)
	f.Add(b.String())
	f.Add(`{"items":[],"prices":[]}`)
	f.Add(`{"items":[{"code":"A-B","footprint":{"vcpu":-1}}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := ImportCatalogJSON(strings.NewReader(doc))
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *RowError", err)
			}
			return
		}
		var out bytes.Buffer
		_ = WriteCatalogJSON(&out, c)
		c2, err := ImportCatalogJSON(&out)
		if err != nil {
			t.Fatalf("re-import: %v", err)
		}
		if !cmp.Equal(c.Items(), c2.Items()) || !cmp.Equal(c.Prices(), c2.Prices()) {
			t.Fatal("round trip changed the catalog")
		}
	})
}
