package workflow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// TopicTransition is the outbox topic of committed transitions.
const TopicTransition = "workflow.transition"

// Transition describes one committed (or committing) transition. Participants get it
// inside the transaction; subscribers get it from the outbox (JSON payload of the
// message with topic TopicTransition).
type Transition struct {
	// IdempotencyKey is "<application ID>/<Seq>": unique per transition, stable across
	// redeliveries. Subscribers deduplicate on it.
	IdempotencyKey string    `json:"idempotency_key"`
	ApplicationID  string    `json:"application_id"`
	Seq            int64     `json:"seq"`
	At             time.Time `json:"at"`
	Actor          Actor     `json:"actor"`
	Trigger        Trigger   `json:"trigger"`
	From           State     `json:"from"`
	To             State     `json:"to"`
	Department     string    `json:"department"`
	Vendor         string    `json:"vendor"`
	Zone           Zone      `json:"zone"`
	SecurityLevel  int       `json:"security_level"`
	// Items are the application's resources after the transition; PreviousItems before
	// it (they differ on resubmission and when a change is executed).
	Items         []Item `json:"items"`
	PreviousItems []Item `json:"previous_items,omitempty"`
	// Change is the change request concerned (request, approval, execution).
	Change *ChangeRequest `json:"change,omitempty"`
	// Trial is the application's trial after the transition (set from approval on):
	// its length, extensions and end, e.g. for a quota hold that must outlive it.
	Trial *Trial `json:"trial,omitempty"`
	// WorkOrder is the work order created or completed by the transition, if any.
	WorkOrder string `json:"work_order,omitempty"`
	// Version is the application's version after the transition.
	Version int64 `json:"version"`
}

func idempotencyKey(appID string, seq int64) string {
	return appID + "/" + strconv.FormatInt(seq, 10)
}

// DecodeTransition decodes an outbox message of topic TopicTransition.
func DecodeTransition(m Message) (Transition, error) {
	if m.Topic != TopicTransition {
		return Transition{}, fmt.Errorf("%w: message %q has topic %q, want %q", ErrInvalidInput, m.ID, m.Topic, TopicTransition)
	}
	var t Transition
	if err := json.Unmarshal(m.Payload, &t); err != nil {
		return Transition{}, fmt.Errorf("%w: message %q: payload: %v", ErrInvalidInput, m.ID, err)
	}
	return t, nil
}

// encodeTransition appends t as JSON to b, equivalent to json.Marshal(t) (same field
// names, same omitempty rules) without reflection: it runs on every transition.
func encodeTransition(b []byte, t *Transition) []byte {
	b = append(b, `{"idempotency_key":`...)
	b = appendJSONString(b, t.IdempotencyKey)
	b = append(b, `,"application_id":`...)
	b = appendJSONString(b, t.ApplicationID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, t.Seq, 10)
	b = append(b, `,"at":`...)
	b = appendJSONTime(b, t.At)
	b = append(b, `,"actor":{"role":`...)
	b = appendJSONString(b, string(t.Actor.Role))
	if t.Actor.ID != "" {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, t.Actor.ID)
	}
	b = append(b, `},"trigger":`...)
	b = appendJSONString(b, string(t.Trigger))
	b = append(b, `,"from":`...)
	b = appendJSONString(b, string(t.From))
	b = append(b, `,"to":`...)
	b = appendJSONString(b, string(t.To))
	b = append(b, `,"department":`...)
	b = appendJSONString(b, t.Department)
	b = append(b, `,"vendor":`...)
	b = appendJSONString(b, t.Vendor)
	b = append(b, `,"zone":`...)
	b = appendJSONString(b, string(t.Zone))
	b = append(b, `,"security_level":`...)
	b = strconv.AppendInt(b, int64(t.SecurityLevel), 10)
	b = append(b, `,"items":`...)
	b = appendJSONItems(b, t.Items)
	if len(t.PreviousItems) > 0 {
		b = append(b, `,"previous_items":`...)
		b = appendJSONItems(b, t.PreviousItems)
	}
	if c := t.Change; c != nil {
		b = append(b, `,"change":{"items":`...)
		b = appendJSONItems(b, c.Items)
		if c.Major {
			b = append(b, `,"major":true`...)
		}
		if c.Reason != "" {
			b = append(b, `,"reason":`...)
			b = appendJSONString(b, c.Reason)
		}
		b = append(b, `,"requested_at":`...)
		b = appendJSONTime(b, c.RequestedAt)
		b = append(b, '}')
	}
	if tr := t.Trial; tr != nil {
		b = append(b, `,"trial":{"start":`...)
		b = appendJSONTime(b, tr.Start)
		b = append(b, `,"days":`...)
		b = strconv.AppendInt(b, int64(tr.Days), 10)
		if tr.Extensions != 0 {
			b = append(b, `,"extensions":`...)
			b = strconv.AppendInt(b, int64(tr.Extensions), 10)
		}
		if tr.ExtensionDays != 0 {
			b = append(b, `,"extension_days":`...)
			b = strconv.AppendInt(b, int64(tr.ExtensionDays), 10)
		}
		b = append(b, `,"end":`...)
		b = appendJSONTime(b, tr.End)
		b = append(b, '}')
	}
	if t.WorkOrder != "" {
		b = append(b, `,"work_order":`...)
		b = appendJSONString(b, t.WorkOrder)
	}
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, t.Version, 10)
	return append(b, '}')
}

func appendJSONItems(b []byte, items []Item) []byte {
	if items == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"code":`...)
		b = appendJSONString(b, it.Code)
		b = append(b, `,"quantity":`...)
		b = strconv.AppendInt(b, it.Quantity, 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = appendRFC3339Nano(b, t)
	return append(b, '"')
}

// appendRFC3339Nano appends t.AppendFormat(b, time.RFC3339Nano), byte for byte. The
// engine's instants are UTC: for those (years 0–9999) the civil date is computed
// directly from the Unix day (H. Hinnant's civil_from_days), which costs a fraction of
// the general formatter; every other instant goes through the standard library.
func appendRFC3339Nano(b []byte, t time.Time) []byte {
	if t.Location() != time.UTC {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	sec := t.Unix()
	days := sec / 86400
	if sec%86400 < 0 {
		days--
	}
	rem := sec - days*86400
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	hh, mm, ss := rem/3600, rem/60%60, rem%60
	c, y := year/100, year%100
	b = append(b, digitPairs[2*c], digitPairs[2*c+1], digitPairs[2*y], digitPairs[2*y+1], '-',
		digitPairs[2*month], digitPairs[2*month+1], '-', digitPairs[2*day], digitPairs[2*day+1], 'T',
		digitPairs[2*hh], digitPairs[2*hh+1], ':', digitPairs[2*mm], digitPairs[2*mm+1], ':',
		digitPairs[2*ss], digitPairs[2*ss+1])
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i >= 1; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, 'Z')
}

const hexDigits = "0123456789abcdef"

// digitPairs holds "00" to "99": the two digits of n are digitPairs[2n:2n+2].
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as in
// encoding/json; <, > and & are left as they are (the payload is not HTML).
func appendJSONString(b []byte, s string) []byte {
	// Fast path: IDs, codes and states are printable ASCII without quote or
	// backslash, copied as they are.
	i := 0
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return appendJSONStringSlow(b, s)
}

// jsonPlain marks the bytes appendJSONString copies unescaped: printable ASCII other
// than '"' and '\\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func appendJSONStringSlow(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSON writes d as JSON, equivalent to json.Marshal(d) without reflection. The
// result is hashed into the audit chain, so its form must never change.
func (d *auditDetails) appendJSON(b []byte) []byte {
	b = append(b, '{')
	sep := func() {
		if len(b) > 1 {
			b = append(b, ',')
		}
	}
	if d.TrialDays != 0 {
		sep()
		b = append(b, `"trial_days":`...)
		b = strconv.AppendInt(b, int64(d.TrialDays), 10)
	}
	if d.Vendor != "" {
		sep()
		b = append(b, `"vendor":`...)
		b = appendJSONString(b, d.Vendor)
	}
	if d.ExtensionDays != 0 {
		sep()
		b = append(b, `"extension_days":`...)
		b = strconv.AppendInt(b, int64(d.ExtensionDays), 10)
	}
	if r := d.TestReport; r != nil {
		sep()
		b = append(b, `"test_report":{"kind":`...)
		b = appendJSONString(b, string(r.Kind))
		b = append(b, `,"passed":`...)
		b = strconv.AppendBool(b, r.Passed)
		if r.ThirdParty {
			b = append(b, `,"third_party":true`...)
		}
		if r.Lab != "" {
			b = append(b, `,"lab":`...)
			b = appendJSONString(b, r.Lab)
		}
		b = append(b, `,"report":`...)
		b = appendJSONAttachment(b, r.Report)
		b = append(b, `,"recorded_at":`...)
		b = appendJSONTime(b, r.RecordedAt)
		b = append(b, '}')
	}
	if c := d.Change; c != nil {
		sep()
		b = append(b, `"change":{"items":`...)
		b = appendJSONItems(b, c.Items)
		if c.Major {
			b = append(b, `,"major":true`...)
		}
		if c.Reason != "" {
			b = append(b, `,"reason":`...)
			b = appendJSONString(b, c.Reason)
		}
		b = append(b, `,"requested_at":`...)
		b = appendJSONTime(b, c.RequestedAt)
		b = append(b, '}')
	}
	if r := d.Revision; r != nil {
		sep()
		b = append(b, `"revision":{`...)
		n := len(b)
		field := func(name string) {
			if len(b) > n {
				b = append(b, ',')
			}
			b = append(b, name...)
		}
		if r.SystemName != "" {
			field(`"system_name":`)
			b = appendJSONString(b, r.SystemName)
		}
		if r.Zone != "" {
			field(`"zone":`)
			b = appendJSONString(b, string(r.Zone))
		}
		if r.SecurityLevel != 0 {
			field(`"security_level":`)
			b = strconv.AppendInt(b, int64(r.SecurityLevel), 10)
		}
		if len(r.Items) > 0 {
			field(`"items":`)
			b = appendJSONItems(b, r.Items)
		}
		b = append(b, '}')
	}
	if d.WorkOrder != "" {
		sep()
		b = append(b, `"work_order":`...)
		b = appendJSONString(b, d.WorkOrder)
	}
	if d.CompletionKey != "" {
		sep()
		b = append(b, `"completion_key":`...)
		b = appendJSONString(b, d.CompletionKey)
	}
	return append(b, '}')
}

func appendJSONAttachment(b []byte, a Attachment) []byte {
	b = append(b, `{"name":`...)
	b = appendJSONString(b, a.Name)
	b = append(b, `,"uri":`...)
	b = appendJSONString(b, a.URI)
	if a.SHA256 != "" {
		b = append(b, `,"sha256":`...)
		b = appendJSONString(b, a.SHA256)
	}
	return append(b, '}')
}
