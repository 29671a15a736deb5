package billing

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Source says where a usage record comes from.
type Source string

// The usage sources.
const (
	// SourceVendor: a vendor's metered record.
	SourceVendor Source = "vendor"
	// SourceLifecycle: an active application's items, from activation to
	// reclaim, metered by MeterApplications.
	SourceLifecycle Source = "lifecycle"
)

// UsageRecord is one metered use of a catalog item: Quantity units held from
// Start to End (End == Start for a one-time item). Key identifies the record
// for idempotent ingestion.
type UsageRecord struct {
	Key         string    `json:"key"`
	Source      Source    `json:"source"`
	Vendor      string    `json:"vendor"`
	Department  string    `json:"department"`
	Application string    `json:"application,omitempty"`
	Item        string    `json:"item"`
	Quantity    Quantity  `json:"quantity"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
}

// Validate checks the fields of r alone; the error is a *FieldError.
func (r UsageRecord) Validate() error {
	if r.Key == "" || len(r.Key) > 200 || !utf8.ValidString(r.Key) {
		return fieldErr(ErrInvalid, "key", r.Key, "want 1–200 bytes")
	}
	if r.Source != SourceVendor && r.Source != SourceLifecycle {
		return fieldErr(ErrInvalid, "source", string(r.Source), "want vendor or lifecycle")
	}
	if strings.TrimSpace(r.Vendor) == "" || len(r.Vendor) > 64 || !utf8.ValidString(r.Vendor) {
		return fieldErr(ErrInvalid, "vendor", r.Vendor, "want 1–64 bytes")
	}
	if strings.TrimSpace(r.Department) == "" || len(r.Department) > 64 || !utf8.ValidString(r.Department) {
		return fieldErr(ErrInvalid, "department", r.Department, "want 1–64 bytes")
	}
	if len(r.Application) > 64 || !utf8.ValidString(r.Application) {
		return fieldErr(ErrInvalid, "application", r.Application, "at most 64 bytes")
	}
	if err := ValidateCode(r.Item); err != nil {
		err.(*FieldError).Field = "item"
		return err
	}
	if r.Quantity < 0 {
		return fieldErr(ErrNegative, "quantity", r.Quantity.String(), "must be ≥ 0")
	}
	if r.Start.IsZero() || r.Start.Year() < 1900 || r.Start.Year() > 9999 {
		return fieldErr(ErrInvalid, "start", "", "want a time in years 1900–9999")
	}
	if r.End.Before(r.Start) || r.End.Year() > 9999 {
		return fieldErr(ErrInvalid, "end", r.End.Format(time.RFC3339), "before start")
	}
	return nil
}

// Same reports whether r and o carry the same payload (times compared as
// instants).
func (r UsageRecord) Same(o UsageRecord) bool {
	return r.Key == o.Key && r.Source == o.Source && r.Vendor == o.Vendor && r.Department == o.Department &&
		r.Application == o.Application && r.Item == o.Item && r.Quantity == o.Quantity &&
		r.Start.Equal(o.Start) && r.End.Equal(o.End)
}

// normalize truncates times to microseconds (what every store keeps) in UTC.
func (r UsageRecord) normalize() UsageRecord {
	r.Start = r.Start.UTC().Truncate(time.Microsecond)
	r.End = r.End.UTC().Truncate(time.Microsecond)
	return r
}

// UsageColumns are the columns of the usage CSV. source may be empty
// (meaning vendor) and application may be empty.
var UsageColumns = []string{"key", "source", "vendor", "department", "application", "item", "quantity", "start", "end"}

// ReadUsageCSV parses usage records from CSV (columns UsageColumns; start and
// end in RFC 3339). Each record is validated; the error is a *RowError.
// Records are handed to fn one at a time, so a file of any length streams.
func ReadUsageCSV(r io.Reader, fn func(UsageRecord) error) error {
	return csvTable(r, UsageColumns, 0, func(n int, get func(string) string) error {
		rec, err := usageFromStrings(get("key"), get("source"), get("vendor"), get("department"),
			get("application"), get("item"), get("quantity"), get("start"), get("end"))
		if err != nil {
			return rowErr(n, err)
		}
		if err := fn(rec); err != nil {
			return rowErr(n, err)
		}
		return nil
	})
}

func usageFromStrings(key, src, vendor, dept, app, item, qty, start, end string) (UsageRecord, error) {
	if src == "" {
		src = string(SourceVendor)
	}
	q, err := ParseQuantity(qty)
	if err != nil {
		return UsageRecord{}, err
	}
	st, err := time.Parse(time.RFC3339Nano, start)
	if err != nil {
		return UsageRecord{}, fieldErr(ErrInvalid, "start", start, "want RFC 3339")
	}
	en, err := time.Parse(time.RFC3339Nano, end)
	if err != nil {
		return UsageRecord{}, fieldErr(ErrInvalid, "end", end, "want RFC 3339")
	}
	rec := UsageRecord{Key: key, Source: Source(src), Vendor: vendor, Department: dept, Application: app,
		Item: item, Quantity: q, Start: st, End: en}
	return rec, rec.Validate()
}

type usageJSON struct {
	Key         string `json:"key"`
	Source      string `json:"source"`
	Vendor      string `json:"vendor"`
	Department  string `json:"department"`
	Application string `json:"application"`
	Item        string `json:"item"`
	Quantity    string `json:"quantity"`
	Start       string `json:"start"`
	End         string `json:"end"`
}

// ReadUsageJSON parses a JSON array of usage records (quantity a decimal
// string, times RFC 3339), streaming element by element; a *RowError's Row is
// the 1-based array index.
func ReadUsageJSON(r io.Reader, fn func(UsageRecord) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		return &RowError{Row: 0, Field: "json", Err: fieldErr(ErrInvalid, "json", "", "want a JSON array")}
	}
	for n := 1; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return &RowError{Row: n, Field: "json", Err: fieldErr(ErrInvalid, "json", "", err.Error())}
		}
		var u usageJSON
		if err := strictDecode(raw, &u); err != nil {
			return rowErr(n, err)
		}
		rec, err := usageFromStrings(u.Key, u.Source, u.Vendor, u.Department, u.Application, u.Item, u.Quantity, u.Start, u.End)
		if err != nil {
			return rowErr(n, err)
		}
		if err := fn(rec); err != nil {
			return rowErr(n, err)
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return &RowError{Row: 0, Field: "json", Err: fieldErr(ErrInvalid, "json", "", "unterminated array")}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &RowError{Row: 0, Field: "json", Err: fieldErr(ErrInvalid, "json", "", "trailing data")}
	}
	return nil
}

// WriteUsageJSON writes records as a JSON array readable by ReadUsageJSON.
func WriteUsageJSON(w io.Writer, recs []UsageRecord) error {
	out := make([]usageJSON, len(recs))
	for i, r := range recs {
		out[i] = usageJSON{Key: r.Key, Source: string(r.Source), Vendor: r.Vendor, Department: r.Department,
			Application: r.Application, Item: r.Item, Quantity: r.Quantity.String(),
			Start: r.Start.Format(time.RFC3339Nano), End: r.End.Format(time.RFC3339Nano)}
	}
	return json.NewEncoder(w).Encode(out)
}

// String describes r briefly.
func (r UsageRecord) String() string {
	return fmt.Sprintf("%s: %s %s×%s %s–%s", r.Key, r.Department, r.Item, r.Quantity,
		r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339))
}
