package workflow

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Stored chains must keep verifying: the canonical encoding must never change. The
// want hashes were computed by the implementation that wrote the first stored
// chains; both ways of hashing (HashAuditRecord, used by VerifyChain, and the
// engine's, with the details still in its scratch buffer) must give them.
func TestAuditHashIsStable(t *testing.T) {
	at := time.Date(2026, 3, 2, 1, 0, 0, 123456000, time.UTC)
	tests := []struct {
		name string
		r    AuditRecord
		want string
	}{
		{"zero record", AuditRecord{}, "bc122b5b852ff40b15617f586cc555589ac5ac70e0c5936c5a50333b7a3ccbe4"},
		{"submission with attachments", AuditRecord{ApplicationID: "b-000001", Seq: 1, At: at,
			Actor: Actor{Role: RoleDepartment, ID: "dept-health"}, From: StateNone, To: StateSubmitted, Trigger: TriggerSubmit,
			Attachments: []Attachment{{Name: "申请表", URI: "doc://a", SHA256: "ab"}, {URI: "doc://b"}}},
			"dc15aba32aa84a82b5dd804258b9f954f42d714063e826622fbe3edc82b6d2ee"},
		{"late, with opinion, details and previous hash", AuditRecord{ApplicationID: "b-000001", Seq: 7, At: at,
			Actor: Actor{Role: RoleAuthority}, From: StateTrial, To: StateFinalReview, Trigger: TriggerSubmitTests, Opinion: "同意",
			Details:  `{"work_order":"w-1","completion_key":"k"}`,
			Timing:   Timing{Party: PartyDepartment, Due: at.Add(72 * time.Hour), Late: true, LateWorkdays: 3},
			PrevHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			"c92a730b4303451003a3544852e786dac703762bf2fdf5f3a681bba76d62cd74"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			details := []byte(tt.r.Details)
			r := tt.r
			r.Details = "" // the engine's way: details from the buffer only
			sum, _ := sumAudit(nil, &r, details)
			got := []string{HashAuditRecord(tt.r), hex.EncodeToString(sum[:])}
			if d := cmp.Diff([]string{tt.want, tt.want}, got); d != "" {
				t.Errorf("hashes [HashAuditRecord, engine] (-want +got):\n%s", d)
			}
		})
	}
}
