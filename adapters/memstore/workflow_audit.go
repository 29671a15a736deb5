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
// as varints; booleans as one byte; hashes (PrevHash, Hash) as packHash does. Field
// order: At, Actor.Role, Actor.ID, From, To, Trigger, Opinion, len(Attachments) and
// each Name, URI, SHA256, Details, Timing.Party, Timing.Due, Timing.Late,
// Timing.LateWorkdays, PrevHash, Hash. Seq is in the row; ApplicationID is the key
// of the entry holding the row (Commit files a record under its own ApplicationID).

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

// The tag before a packed hash: hashBinary for its 32 bytes, hashString for a
// string.
const (
	hashString = 0
	hashBinary = 1
)

// packHash packs a hash: the engine's (64 lower-case hex digits, a SHA-256) as a tag
// and its 32 bytes, which halves the largest part of a record; anything else (the
// empty PrevHash of a first record, a foreign value) as a tag and the string.
func packHash(b []byte, h string) []byte {
	if len(h) == 2*sha256Size {
		n := len(b)
		b = append(b, hashBinary)
		var bad byte
		for i := 0; i < len(h); i += 2 {
			hi, lo := hexValue[h[i]], hexValue[h[i+1]]
			bad |= hi | lo
			b = append(b, hi<<4|lo)
		}
		if bad&0xf0 == 0 {
			return b
		}
		b = b[:n]
	}
	b = append(b, hashString)
	return packString(b, h)
}

const sha256Size = 32

// hexValue maps a lower-case hex digit to its value and any other byte to 0xff.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()

func packAudit(b []byte, r *workflow.AuditRecord) []byte {
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
	b = packHash(b, r.PrevHash)
	return packHash(b, r.Hash)
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

func (u *unpacker) hash() string {
	if u.byte() == hashString {
		return u.str()
	}
	var h [2 * sha256Size]byte
	const digits = "0123456789abcdef"
	for i := range sha256Size {
		c := u.s[u.off+i]
		h[2*i], h[2*i+1] = digits[c>>4], digits[c&0xf]
	}
	u.off += sha256Size
	return string(h[:])
}

// unpackAudit returns the record of row, filed under application appID.
func unpackAudit(appID string, row *auditRow) workflow.AuditRecord {
	u := &unpacker{s: string(row.blob)}
	r := workflow.AuditRecord{ApplicationID: appID, Seq: row.seq}
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
	r.PrevHash = u.hash()
	r.Hash = u.hash()
	return r
}
