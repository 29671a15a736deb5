package workflow

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// auditDomain separates the audit hash from any other use of SHA-256.
const auditDomain = "govcloud/workflow/audit/v1"

// HashAuditRecord returns the hex SHA-256 of the canonical encoding of r (r.Hash is
// ignored). The encoding is: the domain string, then each field in declaration order
// (ApplicationID, Seq, At, Actor.Role, Actor.ID, From, To, Trigger, Opinion, the
// number of Attachments and each one's Name, URI, SHA256, Details, Timing.Party,
// Timing.Due, Timing.Late, Timing.LateWorkdays, PrevHash); strings are written as an
// unsigned varint length followed by their bytes, integers as big-endian int64,
// instants as big-endian int64 Unix microseconds (a zero time as the minimum int64),
// booleans as one byte.
func HashAuditRecord(r AuditRecord) string {
	var buf [512]byte
	h, _ := hashAudit(buf[:0], &r)
	return h
}

// hashAudit returns the hex SHA-256 of r's canonical encoding, which it appends to
// buf (returned for reuse).
func hashAudit(buf []byte, r *AuditRecord) (string, []byte) {
	sum, buf := sumAudit(buf, r, r.Details)
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	return string(hx[:]), buf
}

// sumAudit returns the SHA-256 of the canonical encoding of r with details in place
// of r.Details, and the encoding appended to buf. The engine passes the details
// still in its scratch buffer, so that they become a string only once, together
// with the record's other new strings.
func sumAudit[D string | []byte](buf []byte, r *AuditRecord, details D) ([sha256.Size]byte, []byte) {
	buf = appendAuditHead(buf, r)
	buf = binary.AppendUvarint(buf, uint64(len(details)))
	buf = append(buf, details...)
	buf = appendAuditTail(buf, r)
	return sha256.Sum256(buf), buf
}

func appendAuditString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendAuditInt(b []byte, v int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(v)) }

// appendAuditHead appends the canonical encoding of r up to, not including, Details.
func appendAuditHead(b []byte, r *AuditRecord) []byte {
	b = appendAuditString(b, auditDomain)
	b = appendAuditString(b, r.ApplicationID)
	b = appendAuditInt(b, r.Seq)
	b = appendAuditInt(b, microOrMin(r.At))
	b = appendAuditString(b, string(r.Actor.Role))
	b = appendAuditString(b, r.Actor.ID)
	b = appendAuditString(b, string(r.From))
	b = appendAuditString(b, string(r.To))
	b = appendAuditString(b, string(r.Trigger))
	b = appendAuditString(b, r.Opinion)
	b = appendAuditInt(b, int64(len(r.Attachments)))
	for i := range r.Attachments {
		a := &r.Attachments[i]
		b = appendAuditString(b, a.Name)
		b = appendAuditString(b, a.URI)
		b = appendAuditString(b, a.SHA256)
	}
	return b
}

// appendAuditTail appends the canonical encoding of r after Details.
func appendAuditTail(b []byte, r *AuditRecord) []byte {
	b = appendAuditString(b, string(r.Timing.Party))
	b = appendAuditInt(b, microOrMin(r.Timing.Due))
	if r.Timing.Late {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = appendAuditInt(b, int64(r.Timing.LateWorkdays))
	return appendAuditString(b, r.PrevHash)
}

func microOrMin(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 63
	}
	return t.UnixMicro()
}

// VerifyChain checks an application's audit records (as returned by Store.History)
// against the application's head (AuditSeq, AuditHead). It returns nil when the chain
// is intact, else a *TamperError (matching ErrTampered) naming the first sequence
// number where it breaks and whether a record was altered, deleted or reordered.
func VerifyChain(app Application, records []AuditRecord) error {
	bad := func(seq int64, problem, format string, args ...any) error {
		return &TamperError{ApplicationID: app.ID, Seq: seq, Problem: problem, Detail: fmt.Sprintf(format, args...)}
	}
	bySeq := make(map[int64]int, len(records))
	byHash := make(map[string]int64, len(records))
	for i, r := range records {
		bySeq[r.Seq] = i
		byHash[r.Hash] = r.Seq
	}
	prev := ""
	for i, r := range records {
		want := int64(i + 1)
		if r.ApplicationID != app.ID {
			return bad(want, "foreign", "record at position %d belongs to application %q", i, r.ApplicationID)
		}
		if got := HashAuditRecord(r); got != r.Hash {
			return bad(want, "altered", "stored hash %.12s… does not match content hash %.12s…", r.Hash, got)
		}
		if r.Seq != want {
			if _, later := bySeq[want]; later {
				return bad(want, "reordered", "record %d found at position %d, record %d is elsewhere", r.Seq, i, want)
			}
			if r.Seq > want {
				return bad(want, "deleted", "record %d is missing (next present is %d)", want, r.Seq)
			}
			return bad(want, "reordered", "record %d appears again at position %d", r.Seq, i)
		}
		if r.PrevHash != prev {
			if s, ok := byHash[r.PrevHash]; ok && s > r.Seq {
				return bad(r.Seq, "reordered", "record %d chains to later record %d", r.Seq, s)
			}
			return bad(r.Seq-1, "altered", "record %d does not chain to the record %d present: that record was replaced (altered and rehashed) or removed with the rest renumbered", r.Seq, r.Seq-1)
		}
		prev = r.Hash
	}
	n := int64(len(records))
	if n < app.AuditSeq {
		return bad(n+1, "deleted", "application head is at seq %d but only %d records exist", app.AuditSeq, n)
	}
	if n > app.AuditSeq {
		return bad(app.AuditSeq+1, "head mismatch", "%d records exist beyond the application head %d", n-app.AuditSeq, app.AuditSeq)
	}
	if prev != app.AuditHead {
		return bad(n, "altered", "last record's hash does not match the application head")
	}
	return nil
}
