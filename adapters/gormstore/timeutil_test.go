package gormstore

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestNanosOrderAndRoundTrip checks, on random instants (fixed seed), that
// the stored column values order like the instants and that nullable values
// round-trip exactly, in UTC, with the zero time as NULL.
func TestNanosOrderAndRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("X", -5*3600-1800)}
	random := func() time.Time {
		switch rng.IntN(10) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(1000+rng.IntN(600), 1, 1, 0, 0, 0, 0, time.UTC) // before the int64 range
		}
		return time.Unix(0, rng.Int64N(1<<62)-(1<<61)).In(zones[rng.IntN(len(zones))])
	}
	inRange := func(t time.Time) bool { return !t.Before(minNanoTime) && !t.After(maxNanoTime) }
	for range 5000 {
		a, b := random(), random()
		if a.IsZero() && nanos(a) != math.MinInt64 {
			t.Fatalf("nanos(zero) = %d", nanos(a))
		}
		if inRange(a) && inRange(b) || a.IsZero() || b.IsZero() {
			if got, want := nanos(a) < nanos(b), a.Before(b); got != want {
				t.Fatalf("nanos(%v) < nanos(%v) = %v, want %v", a, b, got, want)
			}
		} else if a.Before(b) && nanos(a) > nanos(b) {
			t.Fatalf("clamped order broken: %v, %v", a, b)
		}
		if !inRange(a) && !a.IsZero() {
			continue
		}
		back := fromNanos(nullNanos(a))
		if !back.Equal(a) || back.Location() != time.UTC || back.IsZero() != a.IsZero() {
			t.Fatalf("round trip of %v gave %v", a, back)
		}
	}
}

func TestUTCAll(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	type inner struct{ At time.Time }
	type rec struct {
		A      time.Time
		P      *inner
		S      []inner
		Zero   time.Time
		B      []byte
		I      any
		Arr    [1]inner
		PS     []*inner
		Strs   []string
		hidden time.Time
	}
	at := func(m time.Month) time.Time { return time.Date(2026, m, 1, 3, 4, 5, 6, cst) }
	v := rec{A: at(1), P: &inner{at(2)}, S: []inner{{at(3)}}, Zero: time.Time{}.In(cst), B: []byte("x"),
		I: &inner{at(4)}, Arr: [1]inner{{at(5)}}, PS: []*inner{{at(6)}, nil}, Strs: []string{"s"}, hidden: at(7)}
	want := []time.Time{v.A, v.P.At, v.S[0].At, v.I.(*inner).At, v.Arr[0].At, v.PS[0].At}
	utcAll(&v)
	for i, got := range []time.Time{v.A, v.P.At, v.S[0].At, v.I.(*inner).At, v.Arr[0].At, v.PS[0].At} {
		if !got.Equal(want[i]) || got.Location() != time.UTC {
			t.Errorf("time %d = %v, want %v in UTC", i, got, want[i])
		}
	}
	if v.Zero != (time.Time{}) {
		t.Errorf("zero time became %#v, want time.Time{}", v.Zero)
	}
	if v.hidden.Location() != cst {
		t.Errorf("an unexported field was rewritten: %v", v.hidden)
	}
}

// BenchmarkUTCAll: a record of the shape of a billing statement (a few
// instants and a slice of lines with strings and numbers).
func BenchmarkUTCAll(b *testing.B) {
	type line struct {
		Item, Unit string
		Qty, Cents int64
		From, To   time.Time
		Tags       []string
	}
	type rec struct {
		ID      string
		Created time.Time
		Lines   []line
		History []struct {
			At   time.Time
			Note string
		}
	}
	cst := time.FixedZone("CST", 8*3600)
	r := rec{ID: "s", Created: time.Now().In(cst)}
	for range 50 {
		r.Lines = append(r.Lines, line{Item: "i", From: time.Now().In(cst), To: time.Now().In(cst), Tags: []string{"a", "b"}})
	}
	b.ReportAllocs()
	for b.Loop() {
		utcAll(&r)
	}
}

// FuzzOptionsDSN: Validate never panics, and for every SQLite DSN it accepts
// the DSN Open builds keeps the user's path intact, with Open's own
// parameters after it (a path cannot smuggle in or override parameters).
func FuzzOptionsDSN(f *testing.F) {
	for _, s := range []string{"govcloud.db", ":memory:", "file:x.db?cache=shared", "a?b", "file:a?_txlock=deferred",
		"postgres://u@h/db", "/tmp/数据库.db", "x#y", "file::memory:?cache=shared", "  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dsn string) {
		o := Options{DSN: dsn}
		if err := o.Validate(); err != nil || o.driver() != SQLite {
			return
		}
		p := o.sqliteParams()
		p.Set("_txlock", "immediate")
		built := sqliteDSN(dsn, p)
		if !strings.HasPrefix(built, dsn) {
			t.Fatalf("built DSN %q does not start with %q", built, dsn)
		}
		if !strings.HasPrefix(dsn, "file:") {
			// mattn/go-sqlite3 cuts a plain path at the first '?'.
			if path, _, _ := strings.Cut(built, "?"); path != dsn {
				t.Fatalf("path %q became %q", dsn, path)
			}
		}
		if strings.Count(built, "_txlock=") != 1 {
			t.Fatalf("built DSN %q sets _txlock more than once", built)
		}
	})
}
