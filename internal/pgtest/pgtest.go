// Package pgtest gives tests an isolated PostgreSQL schema on the server named by
// GOVCLOUD_TEST_POSTGRES_DSN. Without that variable the tests that ask for one are
// skipped, so `go test ./...` passes on any machine; .ci/run sets it.
//
// Every call creates a fresh schema with a random name, returns a DSN whose
// search_path points at it, and drops the schema (CASCADE) when the test ends, so
// concurrent test runs never see each other's data.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// EnvDSN names the environment variable holding the base PostgreSQL DSN.
const EnvDSN = "GOVCLOUD_TEST_POSTGRES_DSN"

// BaseDSN returns the configured DSN, or "" when PostgreSQL tests are disabled.
func BaseDSN() string { return os.Getenv(EnvDSN) }

// DSN creates a fresh schema for t and returns a DSN that uses it. It skips t when
// GOVCLOUD_TEST_POSTGRES_DSN is unset and fails t when the server cannot be reached.
func DSN(t testing.TB) string {
	t.Helper()
	base := BaseDSN()
	if base == "" {
		t.Skipf("%s not set: skipping PostgreSQL test", EnvDSN)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + strings.ToLower(hex.EncodeToString(b[:]))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", EnvDSN, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("pgtest: create schema on %s: %v", EnvDSN, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("pgtest: reopen for cleanup: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	dsn, err := WithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// WithSearchPath returns dsn with its search_path set to schema. dsn may be a URL
// (postgres://...) or a key=value connection string.
func WithSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: parse DSN: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema, nil
}
