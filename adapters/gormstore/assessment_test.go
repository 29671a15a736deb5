package gormstore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/opengovcloud/govcloud/assessment"
	"github.com/opengovcloud/govcloud/assessment/assessmenttest"
	"github.com/opengovcloud/govcloud/internal/pgtest"
)

func openAssessmentDB(t testing.TB, opts Options) *DB {
	t.Helper()
	db, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func assessmentOpeners() []struct {
	name string
	opts func(t testing.TB) Options
} {
	return []struct {
		name string
		opts func(t testing.TB) Options
	}{
		{"sqlite-file", func(t testing.TB) Options { return Options{DSN: filepath.Join(t.TempDir(), "govcloud.db")} }},
		{"postgres", func(t testing.TB) Options { return Options{DSN: pgtest.DSN(t)} }},
	}
}

// TestAssessmentConformance runs the assessment.Store conformance suite on
// SQLite (a file in t.TempDir) and PostgreSQL (pgtest).
func TestAssessmentConformance(t *testing.T) {
	for _, o := range assessmentOpeners() {
		t.Run(o.name, func(t *testing.T) {
			assessmenttest.Run(t, func(t *testing.T) assessment.Store {
				return NewAssessmentStore(openAssessmentDB(t, o.opts(t)))
			})
		})
	}
}

// TestAssessmentMigrations checks the assessment migrations fit the registry:
// their area's range, statements for both engines, and a clean re-open.
func TestAssessmentMigrations(t *testing.T) {
	migs := Migrations()
	if err := checkMigrations(migs); err != nil {
		t.Fatal(err)
	}
	for _, m := range assessmentMigrations() {
		if m.Version < 400 || m.Version > 499 {
			t.Errorf("migration %d outside the assessment area 400–499", m.Version)
		}
	}
	dsn := filepath.Join(t.TempDir(), "re.db")
	db, err := open(context.Background(), Options{DSN: dsn}, migs)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = open(context.Background(), Options{DSN: dsn}, migs)
	if err != nil {
		t.Fatalf("re-open: %v", err)
	}
	defer db.Close()
	applied, err := db.AppliedMigrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(applied, func(a AppliedMigration) bool { return a.Version == 400 }) {
		t.Errorf("migration 400 not recorded: %+v", applied)
	}
}
