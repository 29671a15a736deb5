package assessment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// maxSchemeBytes bounds a scheme document; real schemes are a few kilobytes.
const maxSchemeBytes = 1 << 20

// ParseScheme reads a scheme from JSON and validates it. Unknown fields are
// rejected; every problem found (unknown fields, bad weights, bad normalisers,
// ...) is reported in one *SchemeError, each naming its location or indicator path.
func ParseScheme(data []byte) (*Scheme, error) {
	if len(data) > maxSchemeBytes {
		return nil, &SchemeError{Problems: []Problem{{Msg: fmt.Sprintf("document is %d bytes, limit %d", len(data), maxSchemeBytes), Err: ErrInvalidScheme}}}
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, &SchemeError{Problems: []Problem{{Msg: "not JSON: " + err.Error(), Err: ErrInvalidScheme}}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &SchemeError{Problems: []Problem{{Msg: "trailing data after the JSON document", Err: ErrInvalidScheme}}}
	}
	var probs []Problem
	checkFields(raw, "", schemeFields, &probs)
	id := ""
	if m, ok := raw.(map[string]any); ok {
		id, _ = m["id"].(string)
	}
	var s Scheme
	strict := json.NewDecoder(bytes.NewReader(data))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&s); err != nil {
		if len(probs) == 0 { // the walker found nothing: report the decoder's error
			probs = append(probs, Problem{Path: jsonErrPath(err), Msg: err.Error(), Err: ErrInvalidScheme})
		}
		return nil, &SchemeError{Scheme: id, Problems: probs}
	}
	if err := s.Validate(); err != nil {
		var se *SchemeError
		if errors.As(err, &se) {
			probs = append(probs, se.Problems...)
		}
	}
	if len(probs) > 0 {
		return nil, &SchemeError{Scheme: s.ID, Problems: probs}
	}
	return &s, nil
}

// LoadScheme reads a scheme from r (see ParseScheme).
func LoadScheme(r io.Reader) (*Scheme, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSchemeBytes+1))
	if err != nil {
		return nil, fmt.Errorf("assessment: reading scheme: %w", err)
	}
	return ParseScheme(data)
}

func jsonErrPath(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field
	}
	return ""
}

// The document walker checks every key and every value's JSON type before the
// strict decode, so that all unknown fields and type errors are reported at once,
// each with its indicator path. (json.Marshal of a Scheme writes a document
// ParseScheme reads back.)

type valueKind int

const (
	kString valueKind = iota
	kNumber
	kInt
	kDate
	kObject // sub
	kArray  // array of sub objects
	kTable  // object of numbers
)

type field struct {
	kind valueKind
	sub  fieldSpec
}

type fieldSpec map[string]field

var (
	stepFields  = fieldSpec{"bound": {kind: kNumber}, "score": {kind: kNumber}}
	rangeFields = fieldSpec{"min": {kind: kNumber}, "max": {kind: kNumber}}
	normFields  = fieldSpec{"kind": {kind: kString}, "min": {kind: kNumber}, "max": {kind: kNumber},
		"target": {kind: kNumber}, "threshold": {kind: kNumber}, "threshold_score": {kind: kNumber},
		"steps": {kind: kArray, sub: stepFields}, "otherwise": {kind: kNumber}, "table": {kind: kTable}}
	gradeFields     = fieldSpec{"name": {kind: kString}, "name_en": {kind: kString}, "min": {kind: kNumber}}
	indicatorFields = fieldSpec{"id": {kind: kString}, "name": {kind: kString}, "name_en": {kind: kString},
		"unit": {kind: kString}, "weight_bp": {kind: kInt}, "note": {kind: kString}, "direction": {kind: kString},
		"normaliser": {kind: kObject, sub: normFields}, "range": {kind: kObject, sub: rangeFields},
		"missing": {kind: kString}}
	schemeFields = fieldSpec{"id": {kind: kString}, "version": {kind: kString}, "name": {kind: kString},
		"name_en": {kind: kString}, "subject": {kind: kString}, "effective_from": {kind: kDate},
		"note": {kind: kString}, "grades": {kind: kArray, sub: gradeFields},
		"indicators": {kind: kArray, sub: indicatorFields}}
)

func init() { indicatorFields["children"] = field{kind: kArray, sub: indicatorFields} }

var kindNames = map[valueKind]string{kString: "a string", kNumber: "a number", kInt: "an integer",
	kDate: `a date "YYYY-MM-DD"`, kObject: "an object", kArray: "an array", kTable: "an object of numbers"}

// checkFields walks the decoded document and reports every unknown key and every
// value of the wrong type with its location, naming the indicator path where there
// is one ("quality/availability.normaliser.bogus").
func checkFields(v any, where string, spec fieldSpec, probs *[]Problem) {
	m, ok := v.(map[string]any)
	if !ok {
		if v != nil {
			at := where
			if at == "" {
				at = "(document)"
			}
			*probs = append(*probs, Problem{Path: at, Msg: "want an object", Err: ErrInvalidScheme})
		}
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, known := spec[k]
		loc := k
		if where != "" {
			loc = where + "." + k
		}
		if !known {
			*probs = append(*probs, Problem{Path: loc, Msg: fmt.Sprintf("unknown field %q", k), Err: ErrUnknownField})
			continue
		}
		val := m[k]
		if val == nil {
			continue // null: the zero value
		}
		bad := func() {
			*probs = append(*probs, Problem{Path: loc, Msg: "want " + kindNames[f.kind], Err: ErrInvalidScheme})
		}
		switch f.kind {
		case kString:
			if _, ok := val.(string); !ok {
				bad()
			}
		case kNumber:
			if !jsonFloat(val) {
				bad()
			}
		case kInt:
			n, ok := val.(json.Number)
			if !ok {
				bad()
			} else if i, err := n.Int64(); err != nil || i != int64(int32(i)) {
				bad()
			}
		case kDate:
			str, ok := val.(string)
			if !ok {
				bad()
			} else if str != "" {
				if _, err := calendar.ParseDate(str); err != nil {
					bad()
				}
			}
		case kObject:
			checkFields(val, loc, f.sub, probs)
		case kTable:
			t, ok := val.(map[string]any)
			if !ok {
				bad()
				continue
			}
			for _, tk := range sortedAnyKeys(t) {
				if !jsonFloat(t[tk]) {
					*probs = append(*probs, Problem{Path: fmt.Sprintf("%s[%q]", loc, tk), Msg: "want a number", Err: ErrInvalidScheme})
				}
			}
		case kArray:
			arr, ok := val.([]any)
			if !ok {
				bad()
				continue
			}
			for i, item := range arr {
				itemLoc := fmt.Sprintf("%s[%d]", loc, i)
				if k == "indicators" || k == "children" {
					itemLoc = indicatorLoc(where, k == "children", item, i)
				}
				checkFields(item, itemLoc, f.sub, probs)
			}
		}
	}
}

func jsonFloat(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	x, err := n.Float64()
	return err == nil && finite(x)
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// indicatorLoc names an indicator in the document by its path when it has an id.
func indicatorLoc(parent string, child bool, item any, i int) string {
	prefix := ""
	if child {
		prefix = parent + "/"
	}
	if m, ok := item.(map[string]any); ok {
		if id, ok := m["id"].(string); ok && id != "" {
			return prefix + id
		}
	}
	return fmt.Sprintf("%s#%d", prefix, i+1)
}
