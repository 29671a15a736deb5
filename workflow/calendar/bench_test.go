package calendar

import (
	"bytes"
	"testing"
	"time"
)

var (
	benchDate Date
	benchInt  int
	benchBool bool
	benchTime time.Time
	benchDur  time.Duration
)

func BenchmarkIsWorkday(b *testing.B) {
	c := China()
	d := Date{2025, time.October, 11}
	b.ReportAllocs()
	for b.Loop() {
		benchBool, _ = c.IsWorkday(d)
	}
}

// BenchmarkWorkdaysBetweenYear counts the working days of one year.
func BenchmarkWorkdaysBetweenYear(b *testing.B) {
	c := China()
	from, to := Date{2025, time.January, 1}, Date{2025, time.December, 31}
	b.ReportAllocs()
	for b.Loop() {
		benchInt, _ = c.WorkdaysBetween(from, to)
	}
}

// BenchmarkAddWorkdays250 adds 250 working days (about a year).
func BenchmarkAddWorkdays250(b *testing.B) {
	c := China()
	d := Date{2025, time.January, 2}
	b.ReportAllocs()
	for b.Loop() {
		benchDate, _ = c.AddWorkdays(d, 250)
	}
}

func BenchmarkDeadline(b *testing.B) {
	c := China()
	t := time.Date(2025, 9, 30, 8, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		benchTime, _ = c.Deadline(t, 20)
	}
}

func BenchmarkWorkingTime(b *testing.B) {
	c := China()
	h := StandardOfficeHours()
	from := time.Date(2025, 1, 24, 16, 0, 0, 0, beijing)
	to := from.Add(30 * 24 * time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		benchDur, _ = c.WorkingTime(from, to, h)
	}
}

func BenchmarkLoadAndBuildChina(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ds, err := Load(bytes.NewReader(chinaData))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(ds); err != nil {
			b.Fatal(err)
		}
	}
}
