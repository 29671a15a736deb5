package memstore

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/workflow"
	"github.com/opengovcloud/govcloud/workflow/workflowtest"
)

// Packing is internal to the store, but History must return every record exactly as
// committed: random records (fixed seed) round-trip through packAudit/unpackAudit.
func TestAuditPackRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	words := []string{"", "a", "健康码", "doc://x/y", strings.Repeat("长", 200), "\x00\xff", "d-1",
		workflow.HashAuditRecord(workflow.AuditRecord{}), strings.Repeat("ab", 32), strings.Repeat("AB", 32), strings.Repeat("a", 63), strings.Repeat("g", 64)}
	w := func() string { return words[rng.IntN(len(words))] }
	zones := []*time.Location{time.UTC, workflowtest.China, time.FixedZone("W", -5*3600)}
	tm := func() time.Time {
		switch rng.IntN(5) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(-rng.Int64N(1<<36), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
		}
		return time.Unix(rng.Int64N(1<<36), rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))])
	}
	var buf []byte
	for range 2000 {
		r := workflow.AuditRecord{ApplicationID: w(), Seq: rng.Int64() - rng.Int64(), At: tm(),
			Actor: workflow.Actor{Role: workflow.Role(w()), ID: w()}, From: workflow.State(w()), To: workflow.State(w()),
			Trigger: workflow.Trigger(w()), Opinion: w(), Details: w(),
			Timing:   workflow.Timing{Party: workflow.Party(w()), Due: tm(), Late: rng.IntN(2) == 0, LateWorkdays: rng.IntN(5000) - 100},
			PrevHash: w(), Hash: w()}
		for range rng.IntN(4) {
			r.Attachments = append(r.Attachments, workflow.Attachment{Name: w(), URI: w(), SHA256: w()})
		}
		buf = packAudit(buf[:0], &r)
		row := &auditRow{seq: r.Seq, blob: append([]byte(nil), buf...)}
		got := unpackAudit(r.ApplicationID, row)
		if d := cmp.Diff(r, got, workflowtest.CmpOpts); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		for _, x := range []time.Time{got.At, got.Timing.Due} {
			if !x.IsZero() && x.Location() != time.UTC {
				t.Fatalf("instant %v returned in %v, want UTC", x, x.Location())
			}
		}
		if workflow.HashAuditRecord(got) != workflow.HashAuditRecord(r) {
			t.Fatalf("the unpacked record hashes differently")
		}
	}
}
