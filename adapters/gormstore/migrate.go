package gormstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Migration is one numbered, immutable schema step. Once shipped, a
// migration is never edited: its checksum is recorded when applied, and a
// database whose recorded checksum differs fails to open (ErrMigrationChanged).
// Change the schema with a new migration instead.
type Migration struct {
	// Version orders migrations and must fall in its area's range (see Areas).
	Version int
	// Name says what the step does, e.g. "workflow: applications".
	Name string
	// SQLite and Postgres hold the statements for each engine, run in order
	// in one transaction together with every other pending migration.
	SQLite   []string
	Postgres []string
}

// statements returns m's statements for driver d.
func (m Migration) statements(d Driver) []string {
	if d == Postgres {
		return m.Postgres
	}
	return m.SQLite
}

// Checksum is the hex SHA-256 of m's name and its statements for driver d.
func (m Migration) Checksum(d Driver) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n%s\n", m.Version, m.Name)
	for _, s := range m.statements(d) {
		h.Write([]byte(strings.TrimSpace(s)))
		h.Write([]byte("\n;\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Area is a range of migration versions owned by one store area, so areas
// add migrations independently without clashing.
type Area struct {
	Name     string
	Min, Max int
}

// Areas lists the version ranges. Versions 1–99 are reserved for the
// package itself.
func Areas() []Area {
	return []Area{
		{"core", 1, 99},
		{"workflow", 100, 199},
		{"quota", 200, 299},
		{"billing", 300, 399},
		{"assessment", 400, 499},
		{"dispatcher", 500, 599},
		{"openstack", 600, 699},
	}
}

// Migrations returns every migration Open applies, in version order. To add
// one, append it to its area's list (workflowMigrations, ...) and register
// that list here once.
func Migrations() []Migration {
	var all []Migration
	all = append(all, workflowMigrations()...)
	all = append(all, quotaMigrations()...)
	all = append(all, billingMigrations()...)
	all = append(all, assessmentMigrations()...)
	all = append(all, assessmentRecordMigrations()...)
	all = append(all, dispatchMigrations()...)
	all = append(all, openstackMigrations()...)
	slices.SortStableFunc(all, func(a, b Migration) int { return a.Version - b.Version })
	return all
}

// checkMigrations rejects duplicate or out-of-range versions, empty names and
// migrations without statements for an engine.
func checkMigrations(migs []Migration) error {
	areas := Areas()
	for i, m := range migs {
		if i > 0 && m.Version <= migs[i-1].Version {
			return fmt.Errorf("%w: version %d (%s) follows %d: versions must be unique and ascending",
				ErrBadMigration, m.Version, m.Name, migs[i-1].Version)
		}
		if strings.TrimSpace(m.Name) == "" {
			return fmt.Errorf("%w: version %d has no name", ErrBadMigration, m.Version)
		}
		in := false
		for _, a := range areas {
			in = in || (m.Version >= a.Min && m.Version <= a.Max)
		}
		if !in {
			return fmt.Errorf("%w: version %d (%s) is outside every area range", ErrBadMigration, m.Version, m.Name)
		}
		if len(m.SQLite) == 0 || len(m.Postgres) == 0 {
			return fmt.Errorf("%w: version %d (%s) lacks statements for SQLite or PostgreSQL", ErrBadMigration, m.Version, m.Name)
		}
	}
	return nil
}

// SchemaError reports a database whose recorded migrations do not fit the
// code. It matches ErrSchemaTooNew or ErrMigrationChanged.
type SchemaError struct {
	Version int
	Name    string // as recorded in the database
	Reason  string
	err     error
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("%v: migration %d (%s): %s", e.err, e.Version, e.Name, e.Reason)
}

// Unwrap returns the sentinel the error matches.
func (e *SchemaError) Unwrap() error { return e.err }

// AppliedMigration is one row of schema_migrations.
type AppliedMigration struct {
	Version   int       `gorm:"column:version"`
	Name      string    `gorm:"column:name"`
	Checksum  string    `gorm:"column:checksum"`
	AppliedAt time.Time `gorm:"column:applied_at"`
}

// advisoryLockClass is the first key of the PostgreSQL advisory lock that
// serialises migrations; the second is a hash of the current schema, so
// instances migrating different schemas of one database do not wait on
// each other.
const advisoryLockClass = 0x67766364 // "gvcd"

const createSchemaMigrationsSQLite = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	checksum   TEXT NOT NULL,
	applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
)`

const createSchemaMigrationsPostgres = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	checksum   TEXT NOT NULL,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// migrate applies the pending migrations of migs in one transaction and
// returns their versions. On PostgreSQL the transaction first takes an
// advisory lock, so concurrent openers run one after another and the later
// ones find nothing to do; on SQLite BEGIN IMMEDIATE does the same.
func migrate(ctx context.Context, w *gorm.DB, d Driver, migs []Migration, log *slog.Logger) ([]int, error) {
	var done []int
	err := w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		done = nil
		create := createSchemaMigrationsSQLite
		if d == Postgres {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))`, advisoryLockClass).Error; err != nil {
				return fmt.Errorf("gormstore: migration lock: %w", err)
			}
			create = createSchemaMigrationsPostgres
		}
		if err := tx.Exec(create).Error; err != nil {
			return fmt.Errorf("gormstore: create schema_migrations: %w", err)
		}
		var applied []AppliedMigration
		if err := tx.Raw(`SELECT version, name, checksum FROM schema_migrations ORDER BY version`).Scan(&applied).Error; err != nil {
			return fmt.Errorf("gormstore: read schema_migrations: %w", err)
		}
		known := make(map[int]Migration, len(migs))
		for _, m := range migs {
			known[m.Version] = m
		}
		have := make(map[int]bool, len(applied))
		for _, a := range applied {
			m, ok := known[a.Version]
			if !ok {
				return &SchemaError{Version: a.Version, Name: a.Name, err: ErrSchemaTooNew,
					Reason: "applied to the database but unknown to this code; upgrade the program"}
			}
			if sum := m.Checksum(d); sum != a.Checksum {
				return &SchemaError{Version: a.Version, Name: a.Name, err: ErrMigrationChanged,
					Reason: fmt.Sprintf("recorded checksum %.12s…, code has %.12s…", a.Checksum, sum)}
			}
			have[a.Version] = true
		}
		for _, m := range migs {
			if have[m.Version] {
				continue
			}
			for i, s := range m.statements(d) {
				if err := tx.Exec(s).Error; err != nil {
					return fmt.Errorf("gormstore: migration %d (%s) statement %d: %w", m.Version, m.Name, i+1, err)
				}
			}
			if err := tx.Exec(`INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)`,
				m.Version, m.Name, m.Checksum(d)).Error; err != nil {
				return fmt.Errorf("gormstore: record migration %d: %w", m.Version, err)
			}
			done = append(done, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, v := range done {
		log.LogAttrs(ctx, slog.LevelInfo, "gormstore: applied migration", slog.Int("version", v), slog.String("driver", string(d)))
	}
	return done, nil
}

// AppliedMigrations lists the migrations recorded in the database.
func (db *DB) AppliedMigrations(ctx context.Context) ([]AppliedMigration, error) {
	var out []AppliedMigration
	err := db.reader(ctx).Raw(`SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version`).Scan(&out).Error
	return out, err
}
