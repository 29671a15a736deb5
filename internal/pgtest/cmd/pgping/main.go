// Command pgping checks that the PostgreSQL server named by GOVCLOUD_TEST_POSTGRES_DSN
// answers a query within a few seconds. .ci/run uses it before the tests.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/opengovcloud/govcloud/internal/pgtest"
)

func main() {
	dsn := pgtest.BaseDSN()
	if dsn == "" {
		fmt.Fprintf(os.Stderr, "pgping: %s is not set\n", pgtest.EnvDSN)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgping: %v\n", err)
		os.Exit(1)
	}
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, "SHOW server_version").Scan(&v); err != nil {
		fmt.Fprintf(os.Stderr, "pgping: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("PostgreSQL %s answers\n", v)
}
