package gormstore

// assessmentRecordMigrations create the table of the records the platform
// keeps for assessment (versions 410–419 of the assessment area): what the
// vendors and departments report that no other area records — outages and
// approved exclusions (可用性), incidents, performance checks, deliverables
// (第十五条 monthly reports, 第十九条 bulletins and drills), satisfaction
// answers, and the department register's systems that are not on the
// platform (上云率).
//
// One row per record: kind and id are the key (the id is the caller's
// idempotency key), vendor and department the owners ("" when not
// applicable), start_at/end_at the record's span in Unix nanoseconds (UTC;
// end_at = start_at for an instant) and doc the record as JSON. Rows are
// never updated: a record is written once, a second write of the same
// content is a no-op.
func assessmentRecordMigrations() []Migration {
	table := func(bigint string) []string {
		return []string{
			`CREATE TABLE assessment_records (
				kind       TEXT NOT NULL,
				id         TEXT NOT NULL,
				vendor     TEXT NOT NULL,
				department TEXT NOT NULL,
				start_at   ` + bigint + ` NOT NULL,
				end_at     ` + bigint + ` NOT NULL,
				doc        TEXT NOT NULL,
				PRIMARY KEY (kind, id)
			)`,
			`CREATE INDEX assessment_records_vendor ON assessment_records (kind, vendor, start_at)`,
			`CREATE INDEX assessment_records_department ON assessment_records (kind, department)`,
		}
	}
	return []Migration{{
		Version:  410,
		Name:     "assessment: records reported to the platform",
		SQLite:   table("INTEGER"),
		Postgres: table("BIGINT"),
	}}
}
