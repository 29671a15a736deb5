package gormstore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/billing"
)

// TestDirectStatementsAreLogged: the statements run beside GORM on SQLite (a
// billing write, a document read, a failed statement) still reach
// Options.Logger as slow or failed SQL.
func TestDirectStatementsAreLogged(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	db, err := Open(ctx, Options{DSN: ":memory:", Logger: slog.New(slog.NewTextHandler(&buf, nil)), SlowQuery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	buf.Reset() // migrations
	err = db.Billing().Update(ctx, func(ctx context.Context, tx billing.Tx) error {
		if err := tx.PutBudget(ctx, billing.Budget{Department: "d", FiscalYear: 2025}); err != nil {
			return err
		}
		_, err := tx.Budget(ctx, "d", 2025)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := execContext(ctx, db.Gorm(), `INSERT INTO no_such_table VALUES (?)`, 1); r.Error == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	for _, want := range []string{"INSERT INTO bill_budgets", "SELECT doc FROM bill_budgets", "no_such_table"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the log does not mention %q:\n%s", want, buf.String())
		}
	}
}
