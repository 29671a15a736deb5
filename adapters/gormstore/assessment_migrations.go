package gormstore

// assessmentMigrations create the tables of the assessment store (versions
// 400–499).
//
// assessment_runs holds one row per run: its description (assessment.RunInfo)
// as JSON in doc, and copies of the columns the store filters on. The unique
// key (kind, period, supersedes) makes the runs of a period one chain: one
// first run (empty supersedes), and at most one successor per run, so of two
// racing corrections of the same run exactly one is inserted. The current run
// of a period is the one no run supersedes.
//
// assessment_cards holds one row per scorecard (assessment.Scorecard as JSON
// in doc), pos being its index in rank order; (run_id, subject_id) is unique.
// Rows are never updated or deleted: a saved run is immutable.
func assessmentMigrations() []Migration {
	return []Migration{
		{
			Version: 400,
			Name:    "assessment: scorecard runs and cards",
			SQLite: []string{
				`CREATE TABLE assessment_runs (
					id         TEXT PRIMARY KEY,
					kind       TEXT NOT NULL,
					period     TEXT NOT NULL,
					supersedes TEXT NOT NULL,
					scheme     TEXT NOT NULL,
					version    TEXT NOT NULL,
					digest     TEXT NOT NULL,
					scored_at  INTEGER NOT NULL,
					subjects   INTEGER NOT NULL,
					doc        TEXT NOT NULL,
					UNIQUE (kind, period, supersedes)
				)`,
				`CREATE TABLE assessment_cards (
					run_id     TEXT NOT NULL,
					pos        INTEGER NOT NULL,
					subject_id TEXT NOT NULL,
					card_rank  INTEGER NOT NULL,
					total      REAL NOT NULL,
					doc        TEXT NOT NULL,
					PRIMARY KEY (run_id, pos),
					UNIQUE (run_id, subject_id)
				)`,
			},
			Postgres: []string{
				`CREATE TABLE assessment_runs (
					id         TEXT PRIMARY KEY,
					kind       TEXT NOT NULL,
					period     TEXT NOT NULL,
					supersedes TEXT NOT NULL,
					scheme     TEXT NOT NULL,
					version    TEXT NOT NULL,
					digest     TEXT NOT NULL,
					scored_at  BIGINT NOT NULL,
					subjects   INTEGER NOT NULL,
					doc        TEXT NOT NULL,
					UNIQUE (kind, period, supersedes)
				)`,
				`CREATE TABLE assessment_cards (
					run_id     TEXT NOT NULL,
					pos        INTEGER NOT NULL,
					subject_id TEXT NOT NULL,
					card_rank  INTEGER NOT NULL,
					total      DOUBLE PRECISION NOT NULL,
					doc        TEXT NOT NULL,
					PRIMARY KEY (run_id, pos),
					UNIQUE (run_id, subject_id)
				)`,
			},
		},
	}
}
