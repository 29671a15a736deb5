package gormstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/opengovcloud/govcloud/assessment"
)

// AssessmentStore is assessment.Store on a DB: scorecard runs in the tables
// of migration 400 (assessment_runs, assessment_cards). Rows are only ever
// inserted, so a saved run is immutable; a run and its cards are inserted in
// one transaction, so a reader sees either the whole run or none of it.
//
// Saving is idempotent by run ID and the runs of a (kind, period) form one
// chain, both enforced by unique keys in the database (see
// assessmentMigrations), so several processes on one PostgreSQL may save
// concurrently: of two corrections of the same run exactly one commits and the
// other gets assessment.ErrConflict.
type AssessmentStore struct {
	db *DB
}

// NewAssessmentStore returns the assessment store on db. The database must
// carry the assessment migrations (versions 400–499).
func NewAssessmentStore(db *DB) *AssessmentStore { return &AssessmentStore{db: db} }

// Assessment returns the assessment store on db (NewAssessmentStore(db)).
func (db *DB) Assessment() *AssessmentStore { return NewAssessmentStore(db) }

var _ assessment.Store = (*AssessmentStore)(nil)

// cardBatch is the number of cards per INSERT statement (6 parameters each).
const cardBatch = 200

// SaveRun implements assessment.Store.
func (s *AssessmentStore) SaveRun(ctx context.Context, r *assessment.Run) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	c := r.Clone()
	c.ScoredAt = c.ScoredAt.UTC()
	info, err := json.Marshal(c.RunInfo)
	if err != nil {
		return fmt.Errorf("gormstore: encode run %s: %w", r.ID, err)
	}
	cards := make([]string, len(c.Cards))
	for i, card := range c.Cards {
		b, err := json.Marshal(card)
		if err != nil {
			return fmt.Errorf("gormstore: encode run %s card %s: %w", r.ID, card.SubjectID, err)
		}
		cards[i] = string(b)
	}
	return s.db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A retry of a saved run is the common case of a second save: answer it
		// without touching the chain.
		if stored, ok, err := loadRun(tx, c.ID); err != nil {
			return err
		} else if ok {
			return sameRun(stored, c)
		}
		if c.Supersedes != "" {
			prev, ok, err := loadInfo(tx, c.Supersedes)
			if err != nil {
				return err
			}
			switch {
			case !ok:
				return conflictRun(c.ID, "supersedes run %q, which is not stored", c.Supersedes)
			case prev.Kind != c.Kind || prev.Period != c.Period:
				return conflictRun(c.ID, "supersedes run %q of %s %s, not %s %s", c.Supersedes, prev.Kind, prev.Period, c.Kind, c.Period)
			}
		}
		res := tx.Exec(`INSERT INTO assessment_runs (id, kind, period, supersedes, scheme, version, digest, scored_at, subjects, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.ID, string(c.Kind), c.Period.String(), c.Supersedes, c.Scheme, c.Version, c.InputDigest,
			nanos(c.ScoredAt), c.Subjects, string(info))
		if res.Error != nil {
			return fmt.Errorf("gormstore: insert run %s: %w", c.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return diagnoseRun(tx, c)
		}
		for lo := 0; lo < len(cards); lo += cardBatch {
			hi := min(lo+cardBatch, len(cards))
			var sb strings.Builder
			sb.WriteString(`INSERT INTO assessment_cards (run_id, pos, subject_id, card_rank, total, doc) VALUES `)
			args := make([]any, 0, 6*(hi-lo))
			for i := lo; i < hi; i++ {
				if i > lo {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?)")
				card := c.Cards[i]
				args = append(args, c.ID, i, card.SubjectID, card.Rank, card.Total, cards[i])
			}
			if err := tx.Exec(sb.String(), args...).Error; err != nil {
				return fmt.Errorf("gormstore: insert cards of run %s: %w", c.ID, err)
			}
		}
		return nil
	})
}

// diagnoseRun explains why the run row was not inserted: the same ID was
// saved concurrently (compare payloads), or the chain's unique key holds
// another run.
func diagnoseRun(tx *gorm.DB, r *assessment.Run) error {
	if stored, ok, err := loadRun(tx, r.ID); err != nil {
		return err
	} else if ok {
		return sameRun(stored, r)
	}
	head, err := currentID(tx, r.Kind, r.Period)
	if err != nil {
		return err
	}
	if r.Supersedes == "" {
		return conflictRun(r.ID, "the %s runs of %s already have current run %q; a new run must supersede it", r.Kind, r.Period, head)
	}
	return conflictRun(r.ID, "run %q is already superseded; the current run of %s is %q", r.Supersedes, r.Period, head)
}

func sameRun(stored, r *assessment.Run) error {
	if stored.Equal(r) {
		return nil
	}
	return conflictRun(r.ID, "a different run is stored under this ID; a saved run is immutable")
}

func conflictRun(id, format string, args ...any) error {
	return &assessment.ConflictError{RunID: id, Reason: fmt.Sprintf(format, args...)}
}

// docs runs q and returns its single text column.
func docs(q *gorm.DB) ([]string, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func decodeInfo(doc string) (assessment.RunInfo, error) {
	var info assessment.RunInfo
	if err := json.Unmarshal([]byte(doc), &info); err != nil {
		return info, fmt.Errorf("gormstore: decode run: %w", err)
	}
	info.ScoredAt = info.ScoredAt.UTC()
	return info, nil
}

func loadInfo(g *gorm.DB, id string) (assessment.RunInfo, bool, error) {
	ds, err := docs(g.Raw(`SELECT doc FROM assessment_runs WHERE id = ?`, id))
	if err != nil {
		return assessment.RunInfo{}, false, fmt.Errorf("gormstore: read run %s: %w", id, err)
	}
	if len(ds) == 0 {
		return assessment.RunInfo{}, false, nil
	}
	info, err := decodeInfo(ds[0])
	return info, err == nil, err
}

func loadCards(g *gorm.DB, info assessment.RunInfo) ([]*assessment.Scorecard, error) {
	ds, err := docs(g.Raw(`SELECT doc FROM assessment_cards WHERE run_id = ? ORDER BY pos`, info.ID))
	if err != nil {
		return nil, fmt.Errorf("gormstore: read cards of run %s: %w", info.ID, err)
	}
	out := make([]*assessment.Scorecard, len(ds))
	for i, d := range ds {
		out[i] = new(assessment.Scorecard)
		if err := json.Unmarshal([]byte(d), out[i]); err != nil {
			return nil, fmt.Errorf("gormstore: decode card %d of run %s: %w", i, info.ID, err)
		}
	}
	if len(out) != info.Subjects {
		return nil, fmt.Errorf("gormstore: run %s has %d cards, its description says %d", info.ID, len(out), info.Subjects)
	}
	return out, nil
}

func loadRun(g *gorm.DB, id string) (*assessment.Run, bool, error) {
	info, ok, err := loadInfo(g, id)
	if err != nil || !ok {
		return nil, false, err
	}
	cards, err := loadCards(g, info)
	if err != nil {
		return nil, false, err
	}
	return &assessment.Run{RunInfo: info, Cards: cards}, true, nil
}

// headSQL selects the current run of (kind, period): the one no run supersedes.
const headSQL = `SELECT doc FROM assessment_runs r WHERE r.kind = ? AND r.period = ?
	AND NOT EXISTS (SELECT 1 FROM assessment_runs n WHERE n.kind = r.kind AND n.period = r.period AND n.supersedes = r.id)`

func currentInfo(g *gorm.DB, kind assessment.SubjectKind, p assessment.Period) (assessment.RunInfo, error) {
	ds, err := docs(g.Raw(headSQL, string(kind), p.String()))
	if err != nil {
		return assessment.RunInfo{}, fmt.Errorf("gormstore: read current %s run of %s: %w", kind, p, err)
	}
	if len(ds) == 0 {
		return assessment.RunInfo{}, &assessment.NotFoundError{What: fmt.Sprintf("%s run for %s", kind, p)}
	}
	return decodeInfo(ds[0])
}

func currentID(g *gorm.DB, kind assessment.SubjectKind, p assessment.Period) (string, error) {
	info, err := currentInfo(g, kind, p)
	if errors.Is(err, assessment.ErrNotFound) {
		return "", nil
	}
	return info.ID, err
}

// Run implements assessment.Store.
func (s *AssessmentStore) Run(ctx context.Context, id string) (*assessment.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, ok, err := loadRun(s.db.reader(ctx), id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &assessment.NotFoundError{What: fmt.Sprintf("run %q", id)}
	}
	return r, nil
}

// CurrentRun implements assessment.Store.
func (s *AssessmentStore) CurrentRun(ctx context.Context, kind assessment.SubjectKind, p assessment.Period) (*assessment.Run, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g := s.db.reader(ctx)
	info, err := currentInfo(g, kind, p)
	if err != nil {
		return nil, err
	}
	cards, err := loadCards(g, info)
	if err != nil {
		return nil, err
	}
	return &assessment.Run{RunInfo: info, Cards: cards}, nil
}

// Scorecard implements assessment.Store.
func (s *AssessmentStore) Scorecard(ctx context.Context, kind assessment.SubjectKind, p assessment.Period, subjectID string) (assessment.RunInfo, *assessment.Scorecard, error) {
	if err := ctx.Err(); err != nil {
		return assessment.RunInfo{}, nil, err
	}
	g := s.db.reader(ctx)
	info, err := currentInfo(g, kind, p)
	if err != nil {
		return assessment.RunInfo{}, nil, err
	}
	ds, err := docs(g.Raw(`SELECT doc FROM assessment_cards WHERE run_id = ? AND subject_id = ?`, info.ID, subjectID))
	if err != nil {
		return assessment.RunInfo{}, nil, fmt.Errorf("gormstore: read card %s of run %s: %w", subjectID, info.ID, err)
	}
	if len(ds) == 0 {
		return assessment.RunInfo{}, nil, &assessment.NotFoundError{What: fmt.Sprintf("scorecard of %q in %s run %q", subjectID, p, info.ID)}
	}
	var c assessment.Scorecard
	if err := json.Unmarshal([]byte(ds[0]), &c); err != nil {
		return assessment.RunInfo{}, nil, fmt.Errorf("gormstore: decode card %s of run %s: %w", subjectID, info.ID, err)
	}
	return info, &c, nil
}

// PeriodRuns implements assessment.Store.
func (s *AssessmentStore) PeriodRuns(ctx context.Context, kind assessment.SubjectKind, p assessment.Period) ([]assessment.RunInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ds, err := docs(s.db.reader(ctx).Raw(`SELECT doc FROM assessment_runs WHERE kind = ? AND period = ?`, string(kind), p.String()))
	if err != nil {
		return nil, fmt.Errorf("gormstore: read %s runs of %s: %w", kind, p, err)
	}
	next := make(map[string]assessment.RunInfo, len(ds)) // supersedes → run
	for _, d := range ds {
		info, err := decodeInfo(d)
		if err != nil {
			return nil, err
		}
		next[info.Supersedes] = info
	}
	out := make([]assessment.RunInfo, 0, len(ds))
	for cur, ok := next[""]; ok; cur, ok = next[cur.ID] {
		out = append(out, cur)
		if len(out) > len(ds) {
			return nil, fmt.Errorf("gormstore: the %s runs of %s form a cycle", kind, p)
		}
	}
	if len(out) != len(ds) {
		return nil, fmt.Errorf("gormstore: the %s runs of %s do not form one chain (%d of %d linked)", kind, p, len(out), len(ds))
	}
	return out, nil
}
