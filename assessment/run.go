package assessment

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
	"unicode"
)

// SubjectKind says what a run scores: departments (第二十二条) or vendors
// (第二十三条).
type SubjectKind string

// The subject kinds.
const (
	SubjectDepartment SubjectKind = "department" // 使用单位
	SubjectVendor     SubjectKind = "vendor"     // 云服务商
)

// Valid reports whether k is SubjectDepartment or SubjectVendor.
func (k SubjectKind) Valid() bool { return k == SubjectDepartment || k == SubjectVendor }

// Label returns "使用单位" / "云服务商", or in English for lang "en".
func (k SubjectKind) Label(lang string) string {
	switch {
	case k == SubjectDepartment && lang == "en":
		return "department"
	case k == SubjectDepartment:
		return "使用单位"
	case k == SubjectVendor && lang == "en":
		return "vendor"
	case k == SubjectVendor:
		return "云服务商"
	}
	return string(k)
}

// RunInfo describes a run without its scorecards.
type RunInfo struct {
	// ID identifies the run and makes saving idempotent. The caller assigns it
	// (an injected IDGenerator); at most 128 printable characters, no spaces.
	ID     string      `json:"id"`
	Kind   SubjectKind `json:"kind"`
	Period Period      `json:"period"`
	// Scheme and Version name the scheme version every card was scored with.
	Scheme  string `json:"scheme"`
	Version string `json:"version"`
	// InputDigest is the hex SHA-256 of the scheme document and every
	// subject's values (InputDigest), so a reproduction can prove it used the
	// same inputs.
	InputDigest string `json:"input_digest"`
	// ScoredAt is when the run was computed (from the caller's clock), in UTC.
	ScoredAt time.Time `json:"scored_at"`
	// Supersedes names the run of the same kind and period this one replaces
	// (a correction); empty for the first run of a period. Runs of a period form
	// one chain; its last run is the period's current run.
	Supersedes string `json:"supersedes,omitempty"`
	// Subjects is the number of scorecards in the run (the ranking's size).
	Subjects int `json:"subjects"`
}

// Run is one scoring of every subject of a kind for one period under one
// scheme version: ranked scorecards plus what is needed to reproduce them.
// A saved run is immutable; stores return copies.
type Run struct {
	RunInfo
	// Cards in rank order (Rank: total descending, then subject ID).
	Cards []*Scorecard `json:"cards"`
}

// Input is one subject's raw values.
type Input struct {
	Subject Subject `json:"subject"`
	Values  Values  `json:"values"`
}

// RunSpec asks NewRun for a run.
type RunSpec struct {
	ID         string
	Kind       SubjectKind
	Period     Period
	Scheme     *Scheme
	Inputs     []Input
	ScoredAt   time.Time
	Supersedes string
}

// Validate reports the first wrong field as a *RunError.
func (s *RunSpec) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &RunError{RunID: s.ID, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if err := checkRunID(s.ID, "id"); err != nil {
		return err
	}
	if !s.Kind.Valid() {
		return bad("kind", "%q: want %q or %q", s.Kind, SubjectDepartment, SubjectVendor)
	}
	if !s.Period.Valid() {
		return bad("period", "%s is not a valid period", s.Period)
	}
	if s.Scheme == nil {
		return bad("scheme", "nil")
	}
	if sub := SubjectKind(s.Scheme.Subject); sub.Valid() && sub != s.Kind {
		return bad("scheme", "scheme %q scores %ss, not %ss", s.Scheme.ID, sub, s.Kind)
	}
	if err := s.Scheme.Validate(); err != nil {
		return fmt.Errorf("assessment: run %q: %w", s.ID, err)
	}
	if len(s.Inputs) == 0 {
		return bad("inputs", "no subjects")
	}
	seen := make(map[string]bool, len(s.Inputs))
	for i, in := range s.Inputs {
		if in.Subject.ID == "" {
			return bad(fmt.Sprintf("inputs[%d].subject.id", i), "empty")
		}
		if seen[in.Subject.ID] {
			return bad(fmt.Sprintf("inputs[%d].subject.id", i), "subject %q appears twice", in.Subject.ID)
		}
		seen[in.Subject.ID] = true
	}
	if s.ScoredAt.IsZero() {
		return bad("scored_at", "zero time")
	}
	if s.Supersedes != "" {
		if err := checkRunID(s.Supersedes, "supersedes"); err != nil {
			return err
		}
		if s.Supersedes == s.ID {
			return bad("supersedes", "a run cannot supersede itself")
		}
	}
	return nil
}

func checkRunID(id, field string) error {
	if id == "" {
		return &RunError{RunID: id, Field: field, Msg: "empty"}
	}
	if len(id) > 128 {
		return &RunError{RunID: id[:32] + "…", Field: field, Msg: fmt.Sprintf("%d bytes, at most 128", len(id))}
	}
	for _, r := range id {
		if r == unicode.ReplacementChar || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return &RunError{RunID: id, Field: field, Msg: fmt.Sprintf("character %q: use printable characters without spaces", r)}
		}
	}
	return nil
}

// NewRun scores every input with spec.Scheme, ranks the cards and records the
// inputs' digest. It does no I/O: save the result with a Store (through a
// Service). Any scoring error is returned for the first failing subject.
func NewRun(spec RunSpec) (*Run, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	digest, err := InputDigest(spec.Scheme, spec.Inputs)
	if err != nil {
		return nil, err
	}
	cards := make([]*Scorecard, len(spec.Inputs))
	for i, in := range spec.Inputs {
		c, err := spec.Scheme.Score(in.Subject, in.Values)
		if err != nil {
			return nil, fmt.Errorf("assessment: run %q: subject %q: %w", spec.ID, in.Subject.ID, err)
		}
		cards[i] = c
	}
	Rank(cards)
	return &Run{
		RunInfo: RunInfo{ID: spec.ID, Kind: spec.Kind, Period: spec.Period, Scheme: spec.Scheme.ID,
			Version: spec.Scheme.Version, InputDigest: digest, ScoredAt: spec.ScoredAt.UTC(),
			Supersedes: spec.Supersedes, Subjects: len(cards)},
		Cards: cards,
	}, nil
}

// digestPrefix versions the digest's encoding.
const digestPrefix = "govcloud/assessment/inputs/v1\n"

// InputDigest returns the hex SHA-256 of the scheme document (as JSON) and the
// inputs sorted by subject ID (as JSON, map keys sorted). It does not depend
// on the order of inputs, and changes with any value, note, subject name,
// weight or threshold.
func InputDigest(s *Scheme, inputs []Input) (string, error) {
	sorted := append([]Input(nil), inputs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Subject.ID < sorted[j].Subject.ID })
	h := sha256.New()
	h.Write([]byte(digestPrefix))
	enc := json.NewEncoder(h)
	if err := enc.Encode(s); err != nil {
		return "", fmt.Errorf("assessment: digest of scheme %q: %w", s.ID, err)
	}
	for _, in := range sorted {
		for _, v := range in.Values {
			if math.IsNaN(v.Number) || math.IsInf(v.Number, 0) {
				return "", &ValueError{Subject: in.Subject.ID, Msg: "NaN or infinite value", Err: ErrOutOfRange}
			}
		}
		if err := enc.Encode(in); err != nil {
			return "", fmt.Errorf("assessment: digest of subject %q: %w", in.Subject.ID, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Validate checks a run before it is saved and reports the first wrong field
// as a *RunError: ID, kind, period, scheme, a 64-digit hex digest, the
// scoring time, Subjects = len(Cards) ≥ 1, and every card of the run's scheme
// version, with a unique subject ID, a total in 0–100 and the rank Rank
// would give it, in rank order.
func (r *Run) Validate() error {
	if r == nil {
		return &RunError{Field: "run", Msg: "nil"}
	}
	bad := func(field, format string, args ...any) error {
		return &RunError{RunID: r.ID, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if err := checkRunID(r.ID, "id"); err != nil {
		return err
	}
	if !r.Kind.Valid() {
		return bad("kind", "%q: want %q or %q", r.Kind, SubjectDepartment, SubjectVendor)
	}
	if !r.Period.Valid() {
		return bad("period", "%s is not a valid period", r.Period)
	}
	if r.Scheme == "" {
		return bad("scheme", "empty")
	}
	if len(r.InputDigest) != 64 || hex.EncodeToString(mustHex(r.InputDigest)) != r.InputDigest {
		return bad("input_digest", "%q: want 64 lower-case hex digits (SHA-256)", r.InputDigest)
	}
	if r.ScoredAt.IsZero() {
		return bad("scored_at", "zero time")
	}
	if r.Supersedes != "" {
		if err := checkRunID(r.Supersedes, "supersedes"); err != nil {
			return err
		}
		if r.Supersedes == r.ID {
			return bad("supersedes", "a run cannot supersede itself")
		}
	}
	if len(r.Cards) == 0 {
		return bad("cards", "no scorecards")
	}
	if r.Subjects != len(r.Cards) {
		return bad("subjects", "%d, but the run holds %d cards", r.Subjects, len(r.Cards))
	}
	seen := make(map[string]bool, len(r.Cards))
	for i, c := range r.Cards {
		f := fmt.Sprintf("cards[%d]", i)
		switch {
		case c == nil:
			return bad(f, "nil")
		case c.SubjectID == "":
			return bad(f+".subject_id", "empty")
		case seen[c.SubjectID]:
			return bad(f+".subject_id", "subject %q appears twice", c.SubjectID)
		case c.Scheme != r.Scheme || c.Version != r.Version:
			return bad(f+".scheme", "%s@%s, but the run is %s@%s", c.Scheme, c.Version, r.Scheme, r.Version)
		case !(c.Total >= 0 && c.Total <= 100):
			return bad(f+".total", "%v outside 0..100", c.Total)
		case len(c.Lines) == 0:
			return bad(f+".lines", "no indicator lines")
		}
		seen[c.SubjectID] = true
		if i > 0 {
			p := r.Cards[i-1]
			if p.Total < c.Total || (p.Total == c.Total && p.SubjectID > c.SubjectID) {
				return bad(f, "subject %q is out of rank order (total desc, then subject ID)", c.SubjectID)
			}
		}
		want := i + 1
		if i > 0 && c.Total == r.Cards[i-1].Total {
			want = r.Cards[i-1].Rank
		}
		if c.Rank != want {
			return bad(f+".rank", "subject %q has rank %d, want %d", c.SubjectID, c.Rank, want)
		}
	}
	return nil
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return b
}

// Card returns the scorecard of subjectID, or false.
func (r *Run) Card(subjectID string) (*Scorecard, bool) {
	for _, c := range r.Cards {
		if c.SubjectID == subjectID {
			return c, true
		}
	}
	return nil, false
}

// Clone returns a deep copy of r.
func (r *Run) Clone() *Run {
	if r == nil {
		return nil
	}
	out := &Run{RunInfo: r.RunInfo, Cards: make([]*Scorecard, len(r.Cards))}
	for i, c := range r.Cards {
		out.Cards[i] = cloneCard(c)
	}
	return out
}

func cloneCard(c *Scorecard) *Scorecard {
	if c == nil {
		return nil
	}
	cc := *c
	cc.Lines = make([]Line, len(c.Lines))
	copy(cc.Lines, c.Lines)
	for i := range cc.Lines {
		if raw := cc.Lines[i].Raw; raw != nil {
			v := *raw
			cc.Lines[i].Raw = &v
		}
	}
	return &cc
}

// Equal reports whether r and o have the same payload: the same JSON
// encoding, with ScoredAt compared as an instant. Saving a run whose ID is
// stored is a no-op exactly when Equal holds.
func (r *Run) Equal(o *Run) bool {
	if r == nil || o == nil {
		return r == o
	}
	a, err1 := r.canonical()
	b, err2 := o.canonical()
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

func (r *Run) canonical() ([]byte, error) {
	c := *r
	c.ScoredAt = c.ScoredAt.UTC()
	return json.Marshal(&c)
}

// Verify re-scores inputs with s and reports, in a *ReproductionError
// (ErrNotReproduced), how the result differs from r: a different inputs'
// digest (the inputs or the scheme are not those scored), scheme version,
// subjects, totals, grades, ranks, and indicator scores, contributions and
// explanations. nil means the run is reproduced exactly.
func (r *Run) Verify(s *Scheme, inputs []Input) error {
	again, err := NewRun(RunSpec{ID: r.ID, Kind: r.Kind, Period: r.Period, Scheme: s, Inputs: inputs,
		ScoredAt: r.ScoredAt, Supersedes: r.Supersedes})
	if err != nil {
		return err
	}
	e := &ReproductionError{RunID: r.ID, InputsChanged: again.InputDigest != r.InputDigest}
	add := func(format string, args ...any) {
		if len(e.Differences) < 50 {
			e.Differences = append(e.Differences, fmt.Sprintf(format, args...))
		}
	}
	if again.Scheme != r.Scheme || again.Version != r.Version {
		add("scheme %s@%s ≠ %s@%s", again.Scheme, again.Version, r.Scheme, r.Version)
	}
	gotByID, wantByID := cardsByID(again), cardsByID(r)
	for _, want := range r.Cards {
		got, ok := gotByID[want.SubjectID]
		if !ok {
			add("%s: not among the inputs", want.SubjectID)
			continue
		}
		diffCards(want, got, add)
	}
	for _, got := range again.Cards {
		if _, ok := wantByID[got.SubjectID]; !ok {
			add("%s: not in the stored run", got.SubjectID)
		}
	}
	if !e.InputsChanged && len(e.Differences) == 0 {
		return nil
	}
	return e
}

func diffCards(want, got *Scorecard, add func(string, ...any)) {
	id := want.SubjectID
	if got.Total != want.Total {
		add("%s: total %v ≠ %v", id, got.Total, want.Total)
	}
	if got.Grade != want.Grade {
		add("%s: grade %s ≠ %s", id, got.Grade.Name, want.Grade.Name)
	}
	if got.Rank != want.Rank {
		add("%s: rank %d ≠ %d", id, got.Rank, want.Rank)
	}
	if got.SubjectName != want.SubjectName {
		add("%s: name %q ≠ %q", id, got.SubjectName, want.SubjectName)
	}
	gl := make(map[string]Line, len(got.Lines))
	for _, l := range got.Lines {
		gl[l.Path] = l
	}
	for _, w := range want.Lines {
		g, ok := gl[w.Path]
		switch {
		case !ok:
			add("%s/%s: indicator missing", id, w.Path)
		case g.Score != w.Score:
			add("%s/%s: score %v ≠ %v", id, w.Path, g.Score, w.Score)
		case g.Contribution != w.Contribution:
			add("%s/%s: contribution %v ≠ %v", id, w.Path, g.Contribution, w.Contribution)
		case g.Text != w.Text || g.TextEn != w.TextEn:
			add("%s/%s: explanation %q ≠ %q", id, w.Path, g.Text, w.Text)
		}
		delete(gl, w.Path)
	}
	for _, l := range got.Lines {
		if _, extra := gl[l.Path]; extra {
			add("%s/%s: indicator not in the stored card", id, l.Path)
		}
	}
}
