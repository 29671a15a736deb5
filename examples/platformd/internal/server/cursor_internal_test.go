package server

import (
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/opengovcloud/govcloud/billing"
)

// FuzzStatementCursor: any ?after= either is refused with a 400 naming
// "after", or is a key whose cursor parses back to the same key; and the
// cursor of any key (of UTF-8 text) parses back to it.
func FuzzStatementCursor(f *testing.F) {
	for _, s := range []string{"", "not-a-cursor", "e30", statementCursor(billing.StatementKey{Month: billing.Month{Year: 2026, Month: 3}, Department: "教育局", Vendor: "v|1", ID: "st-1"}), "eyJpZCI6IngiLCJ4IjoxfQ"} {
		f.Add(s, 2026, 3, "d", "v", "id")
	}
	f.Fuzz(func(t *testing.T, in string, y, m int, d, v, id string) {
		k, err := parseStatementCursor(in)
		if err != nil {
			var re *RequestError
			if !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Field != "after" {
				t.Fatalf("%q: %v, want a 400 naming after", in, err)
			}
		} else if again, err := parseStatementCursor(statementCursor(*k)); err != nil || *again != *k {
			t.Fatalf("%q: %+v does not survive its own cursor: %+v, %v", in, k, again, err)
		}
		// Keys come from stored statements, UTF-8 text like every JSON string
		// of the API.
		if id == "" || !utf8.ValidString(d) || !utf8.ValidString(v) || !utf8.ValidString(id) {
			return
		}
		key := billing.StatementKey{Month: billing.Month{Year: y, Month: time.Month(m)}, Department: d, Vendor: v, ID: id}
		if got, err := parseStatementCursor(statementCursor(key)); err != nil || *got != key {
			t.Fatalf("%+v: cursor parses to %+v, %v", key, got, err)
		}
	})
}

// TestStatementCursorTrailingData: a cursor with anything after its JSON is
// refused.
func TestStatementCursorTrailingData(t *testing.T) {
	good := statementCursor(billing.StatementKey{Month: billing.Month{Year: 2026, Month: 3}, Department: "d", Vendor: "v", ID: "s"})
	if _, err := parseStatementCursor(good); err != nil {
		t.Fatalf("a good cursor: %v", err)
	}
	for _, tail := range []string{"}", " x", " {}", "]"} {
		raw, _ := base64.RawURLEncoding.DecodeString(good)
		bad := base64.RawURLEncoding.EncodeToString(append(raw, tail...))
		if _, err := parseStatementCursor(bad); err == nil {
			t.Errorf("cursor with %q after its JSON accepted", tail)
		}
	}
}
