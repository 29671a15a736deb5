package pgtest

import (
	"context"
	"database/sql"
	"testing"
)

func TestWithSearchPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/test?search_path=s1&sslmode=disable"},
		{"host=127.0.0.1 user=postgres", "host=127.0.0.1 user=postgres search_path=s1"},
	} {
		got, err := WithSearchPath(tc.in, "s1")
		if err != nil || got != tc.want {
			t.Errorf("WithSearchPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestDSNIsolatedSchema(t *testing.T) {
	dsn := DSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE probe (id int)`); err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name='probe'`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if schema == "public" || schema == "" {
		t.Fatalf("table landed in schema %q, want the test's own schema", schema)
	}
}
