package calbench

import (
	"testing"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

func TestSameAnswers(t *testing.T) {
	c := calendar.China()
	for _, cacheable := range []bool{false, true} {
		p := NewPeer(c, cacheable)
		if p.Holidays == 0 || p.Workdays == 0 {
			t.Fatalf("peer got %d holidays, %d 调休 days", p.Holidays, p.Workdays)
		}
		if err := Verify(c, p); err != nil {
			t.Fatalf("cacheable=%v: %v", cacheable, err)
		}
		for _, cs := range Cases(c) {
			if _, err := cs.Check(p); err != nil {
				t.Errorf("cacheable=%v: %s: %v", cacheable, cs.Name, err)
			}
		}
	}
}

// Benchmarks: BenchmarkCompare/<case>/{govcloud,cal,cal-cached}.
func BenchmarkCompare(b *testing.B) {
	c := calendar.China()
	plain, cached := NewPeer(c, false), NewPeer(c, true)
	for _, cs := range Cases(c) {
		b.Run(cs.Name, func(b *testing.B) {
			b.Run("govcloud", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					cs.Ours()
				}
			})
			b.Run("cal", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					cs.Theirs(plain)
				}
			})
			b.Run("cal-cached", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					cs.Theirs(cached)
				}
			})
		})
	}
}
