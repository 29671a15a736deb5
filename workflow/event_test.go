package workflow

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The hand-written transition encoder must produce JSON that decodes to the same
// value as encoding/json's encoding of the same transition.
func checkTransitionJSON(t *testing.T, tr Transition) {
	t.Helper()
	got := encodeTransition(nil, &tr)
	if !json.Valid(got) {
		t.Fatalf("invalid JSON: %s", got)
	}
	std, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var a, b Transition
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("decode: %v\n%s", err, got)
	}
	if err := json.Unmarshal(std, &b); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(b, a); d != "" {
		t.Fatalf("hand-written encoding decodes differently (-encoding/json +ours):\n%s\n%s", d, got)
	}
	var ma, mb map[string]any
	_ = json.Unmarshal(got, &ma)
	_ = json.Unmarshal(std, &mb)
	if d := cmp.Diff(mb, ma); d != "" {
		t.Fatalf("field sets differ (-encoding/json +ours):\n%s", d)
	}
}

func TestEncodeTransitionMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "9", " ", "\"", "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", "<", "&", "é", "健康",
		"\u2028", "\u2029", "\xff", "\xe5\x81", "😀", "/"}
	str := func() string {
		var sb strings.Builder
		for range rng.IntN(8) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return sb.String()
	}
	items := func() []Item {
		if rng.IntN(4) == 0 {
			return nil
		}
		out := make([]Item, rng.IntN(3))
		for i := range out {
			out[i] = Item{Code: str(), Quantity: rng.Int64() - rng.Int64()}
		}
		return out
	}
	for range 500 {
		tr := Transition{
			IdempotencyKey: str(), ApplicationID: str(), Seq: rng.Int64(), At: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC(),
			Actor: Actor{Role: Role(str()), ID: str()}, Trigger: Trigger(str()), From: State(str()), To: State(str()),
			Department: str(), Vendor: str(), Zone: Zone(str()), SecurityLevel: rng.IntN(7) - 1,
			Items: items(), PreviousItems: items(), WorkOrder: str(), Version: rng.Int64(),
		}
		if rng.IntN(2) == 0 {
			tr.Change = &ChangeRequest{Items: items(), Major: rng.IntN(2) == 0, Reason: str(), RequestedAt: time.Unix(rng.Int64N(4e9), 0).In(time.FixedZone("X", 3600))}
		}
		if rng.IntN(2) == 0 {
			tr.Trial = &Trial{Start: time.Unix(rng.Int64N(4e9), 0).UTC(), Days: rng.IntN(40) - 5, Extensions: rng.IntN(3),
				ExtensionDays: rng.IntN(20), End: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()}
		}
		checkTransitionJSON(t, tr)
	}
}

func FuzzEncodeTransition(f *testing.F) {
	f.Add("a/1", "部门", "理由", "ecs", int64(3), int64(1700000000))
	f.Add("\x00\"\\", "\xff", "\u2028", "", int64(-1), int64(0))
	f.Fuzz(func(t *testing.T, key, dept, reason, code string, qty, unix int64) {
		tr := Transition{IdempotencyKey: key, Department: dept, Items: []Item{{Code: code, Quantity: qty}},
			At: time.Unix(unix%(1<<35), 0).UTC(), Change: &ChangeRequest{Reason: reason, Items: []Item{{Code: reason, Quantity: qty}}}}
		checkTransitionJSON(t, tr)
	})
}

func TestAuditDetailsJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := []string{"", "a", "健康", "\"q\"", "\x01", "\xff", "x y"}
	w := func() string { return words[rng.IntN(len(words))] }
	for range 500 {
		var d auditDetails
		if rng.IntN(2) == 0 {
			d.TrialDays = rng.IntN(40) - 5
		}
		d.Vendor, d.WorkOrder, d.CompletionKey = w(), w(), w()
		if rng.IntN(2) == 0 {
			d.ExtensionDays = rng.IntN(10)
		}
		if rng.IntN(2) == 0 {
			d.TestReport = &TestReport{Kind: TestKind(w()), Passed: rng.IntN(2) == 0, ThirdParty: rng.IntN(2) == 0, Lab: w(),
				Report: Attachment{Name: w(), URI: w(), SHA256: w()}, RecordedAt: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()}
		}
		if rng.IntN(2) == 0 {
			d.Change = &ChangeRequest{Items: []Item{{Code: w(), Quantity: rng.Int64N(9)}}, Major: rng.IntN(2) == 0, Reason: w(),
				RequestedAt: time.Unix(rng.Int64N(4e9), 0).UTC()}
		}
		if rng.IntN(2) == 0 {
			d.Revision = &Revision{SystemName: w(), Zone: Zone(w()), SecurityLevel: rng.IntN(3)}
			if rng.IntN(2) == 0 {
				d.Revision.Items = []Item{{Code: w(), Quantity: 1}}
			}
		}
		got := d.appendJSON(nil)
		std, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var a, b map[string]any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("invalid JSON %s: %v", got, err)
		}
		if err := json.Unmarshal(std, &b); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(b, a); diff != "" {
			t.Fatalf("details differ (-encoding/json +ours):\n%s\nours: %s\nstd:  %s", diff, got, std)
		}
	}
}

// The fast formatter must equal the standard library byte for byte: its output is
// hashed into the audit chain (details) and published (payloads).
func TestAppendRFC3339NanoMatchesTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	zones := []*time.Location{time.UTC, time.FixedZone("UTC+8", 8*3600), time.FixedZone("Z0", 0), time.FixedZone("W", -3*3600-1800)}
	edges := []time.Time{
		{}, time.Unix(0, 0), time.Unix(-1, 0), time.Unix(-1, 999999999), time.Unix(86399, 1),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 100, time.UTC), time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(1600, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(-400, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC),
	}
	check := func(tm time.Time) {
		t.Helper()
		if got, want := string(appendRFC3339Nano([]byte("x"), tm)), "x"+tm.Format(time.RFC3339Nano); got != want {
			t.Fatalf("appendRFC3339Nano(%#v) = %q, want %q", tm, got, want)
		}
	}
	for _, tm := range edges {
		check(tm)
		check(tm.UTC())
		for _, z := range zones {
			check(tm.In(z))
		}
	}
	for range 20000 {
		sec := rng.Int64N(1<<38) - 1<<37 // about ±4 000 years around 1970
		ns := rng.Int64N(1e9)
		switch rng.IntN(4) {
		case 0:
			ns = 0
		case 1:
			ns -= ns % 1000 // microseconds, as the engine writes
		}
		tm := time.Unix(sec, ns).UTC()
		check(tm)
		check(tm.In(zones[rng.IntN(len(zones))]))
	}
}
