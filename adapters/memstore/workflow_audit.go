package memstore

import (
	"encoding/binary"
	"time"

	"github.com/opengovcloud/govcloud/workflow"
)

// auditRow is one stored audit record: its Seq (for ordering and the duplicate
// check) and the record's fields packed into bytes of a pointer-free chunk. Packing
// keeps the growing history out of the garbage collector's way (a record otherwise
// holds about fifteen pointers it would follow at every cycle) and makes it smaller;
// History unpacks, which is the rare path.
type auditRow struct {
	seq  int64
	blob []byte
}

// The packed form: strings as uvarint length + bytes; instants as a flag byte (0 for
// the zero time) followed by Unix seconds (varint) and nanoseconds (uvarint); ints
// as varints; booleans as one byte. Field order: ApplicationID, At, Actor.Role,
// Actor.ID, From, To, Trigger, Opinion, len(Attachments) and each Name, URI, SHA256,
// Details, Timing.Party, Timing.Due, Timing.Late, Timing.LateWorkdays, PrevHash, Hash.
// Seq is in the row.

func packString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func packTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func packAudit(b []byte, r *workflow.AuditRecord) []byte {
	b = packString(b, r.ApplicationID)
	b = packTime(b, r.At)
	b = packString(b, string(r.Actor.Role))
	b = packString(b, r.Actor.ID)
	b = packString(b, string(r.From))
	b = packString(b, string(r.To))
	b = packString(b, string(r.Trigger))
	b = packString(b, r.Opinion)
	b = binary.AppendUvarint(b, uint64(len(r.Attachments)))
	for i := range r.Attachments {
		a := &r.Attachments[i]
		b = packString(b, a.Name)
		b = packString(b, a.URI)
		b = packString(b, a.SHA256)
	}
	b = packString(b, r.Details)
	b = packString(b, string(r.Timing.Party))
	b = packTime(b, r.Timing.Due)
	if r.Timing.Late {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendVarint(b, int64(r.Timing.LateWorkdays))
	b = packString(b, r.PrevHash)
	return packString(b, r.Hash)
}

// unpacker reads a packed record. The blob was written by packAudit in this process,
// so it is well formed; all strings are cut from one copy of the blob (one
// allocation per record).
type unpacker struct {
	s   string
	off int
}

func (u *unpacker) uvarint() uint64 {
	v, n := binary.Uvarint([]byte(u.s[u.off:min(len(u.s), u.off+binary.MaxVarintLen64)]))
	u.off += n
	return v
}

func (u *unpacker) varint() int64 {
	v, n := binary.Varint([]byte(u.s[u.off:min(len(u.s), u.off+binary.MaxVarintLen64)]))
	u.off += n
	return v
}

func (u *unpacker) str() string {
	n := int(u.uvarint())
	s := u.s[u.off : u.off+n]
	u.off += n
	return s
}

func (u *unpacker) byte() byte {
	c := u.s[u.off]
	u.off++
	return c
}

func (u *unpacker) time() time.Time {
	if u.byte() == 0 {
		return time.Time{}
	}
	sec := u.varint()
	return time.Unix(sec, int64(u.uvarint())).UTC()
}

func unpackAudit(row *auditRow) workflow.AuditRecord {
	u := &unpacker{s: string(row.blob)}
	r := workflow.AuditRecord{Seq: row.seq}
	r.ApplicationID = u.str()
	r.At = u.time()
	r.Actor.Role = workflow.Role(u.str())
	r.Actor.ID = u.str()
	r.From = workflow.State(u.str())
	r.To = workflow.State(u.str())
	r.Trigger = workflow.Trigger(u.str())
	r.Opinion = u.str()
	if n := int(u.uvarint()); n > 0 {
		r.Attachments = make([]workflow.Attachment, n)
		for i := range r.Attachments {
			r.Attachments[i] = workflow.Attachment{Name: u.str(), URI: u.str(), SHA256: u.str()}
		}
	}
	r.Details = u.str()
	r.Timing.Party = workflow.Party(u.str())
	r.Timing.Due = u.time()
	r.Timing.Late = u.byte() == 1
	r.Timing.LateWorkdays = int(u.varint())
	r.PrevHash = u.str()
	r.Hash = u.str()
	return r
}
