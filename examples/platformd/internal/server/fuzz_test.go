package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
)

var decoderSeeds = []string{
	``, `{}`, `null`, `[]`, `{"system_name":"x"}`, `{"system_name":"x",`, `{"colour":1}`,
	`{"items":[{"code":"IAAS-ECS-VCPU","quantity":8}]}`, `{"items":[{"code":1}]}`, `{"security_level":1e400}`,
	`{"test_report":{"kind":"function","passed":true,"report":{"name":"a","uri":"b"}}}`, `{"change":{"items":[],"major":true}}`,
	`{"expected_version":-1}`, `{"key":"k","note":"n"}`, `{"amount_fen":-19,"reason":"尾差"}`, `{} {}`, `{}x`, "\xff", `"str"`,
	`{"Items":[]}`, `{"materials":[{"kind":"construction_plan","attachment":{"name":"a","uri":"u","sha256":"x"}}]}`,
}

// checkDecoded: either a *RequestError with a 400/413 status and a field,
// or a value that survives a JSON round trip through the same decoder.
func checkDecoded[T any](t *testing.T, in []byte, decode func(*bytes.Reader) (T, error)) {
	v, err := decode(bytes.NewReader(in))
	if err != nil {
		var re *server.RequestError
		if !errors.As(err, &re) {
			t.Fatalf("%q: error %T %v, want *RequestError", in, err, err)
		}
		if (re.Status != http.StatusBadRequest && re.Status != http.StatusRequestEntityTooLarge) || re.Field == "" {
			t.Fatalf("%q: %+v: want 400/413 naming a field", in, re)
		}
		return
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%q: re-encode: %v", in, err)
	}
	w, err := decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("%q: re-encoded %s does not decode: %v", in, out, err)
	}
	if diff := cmp.Diff(v, w, cmpopts.EquateEmpty()); diff != "" { // omitempty drops empty lists
		t.Fatalf("%q: round trip differs:\n%s", in, diff)
	}
}

func fuzzDecoder[T any](f *testing.F, decode func(*bytes.Reader) (T, error)) {
	for _, s := range decoderSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkDecoded(t, in, decode) })
}

func FuzzDecodeSubmit(f *testing.F) {
	fuzzDecoder(f, func(r *bytes.Reader) (server.SubmitBody, error) { return server.DecodeSubmit(r) })
}

func FuzzDecodeInput(f *testing.F) {
	fuzzDecoder(f, func(r *bytes.Reader) (server.InputBody, error) { return server.DecodeInput(r) })
}

func FuzzDecodeCompletion(f *testing.F) {
	fuzzDecoder(f, func(r *bytes.Reader) (any, error) { c, err := server.DecodeCompletion(r); return c, err })
}

func FuzzDecodeAdjustment(f *testing.F) {
	fuzzDecoder(f, func(r *bytes.Reader) (server.AdjustmentBody, error) { return server.DecodeAdjustment(r) })
}

func FuzzDecodeQuotaCheck(f *testing.F) {
	fuzzDecoder(f, func(r *bytes.Reader) (server.QuotaCheckBody, error) { return server.DecodeQuotaCheck(r) })
}

// FuzzReadTokens: a tokens file is either refused with a *TokenFileError or
// yields a table whose every entry is found by its digest's preimage only.
func FuzzReadTokens(f *testing.F) {
	h := server.HashToken("t")
	for _, s := range []string{`{"tokens":[]}`, `{"tokens":[{"sha256":"` + h + `","role":"vendor","id":"v"}]}`, `{`, `{"tokens":[{"sha256":"` + h + `"}]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		tk, err := server.ReadTokens(strings.NewReader(doc))
		if err != nil {
			if !errors.Is(err, server.ErrInvalidTokens) {
				t.Fatalf("error %v does not match ErrInvalidTokens", err)
			}
			return
		}
		if _, ok := tk.Lookup(""); ok {
			t.Fatal("the empty token authenticates")
		}
	})
}
