package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opengovcloud/govcloud/workflow"
)

// ErrInvalidTokens reports a tokens file that cannot be used; the error is a
// *TokenFileError naming the entry and the field.
var ErrInvalidTokens = errors.New("platformd: invalid tokens file")

// TokenFileError names the wrong entry (index in "tokens") and field.
type TokenFileError struct {
	Index  int    // -1: the document itself
	Field  string // e.g. "sha256", "role", "id"
	Reason string
}

func (e *TokenFileError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("platformd: invalid tokens file: %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("platformd: invalid tokens file: tokens[%d].%s: %s", e.Index, e.Field, e.Reason)
}

// Is matches ErrInvalidTokens.
func (e *TokenFileError) Is(target error) bool { return target == ErrInvalidTokens }

// TokenEntry is one bearer token of the tokens file. Only the SHA-256 of the
// token is stored (lower-case hex, 64 characters): the file may be read by
// operators without revealing the tokens.
type TokenEntry struct {
	// SHA256 is hex(sha256(token)); see HashToken.
	SHA256 string `json:"sha256"`
	// Role is the workflow role: department, authority, vendor, operator or finance.
	Role workflow.Role `json:"role"`
	// ID is the department's or vendor's ID (required for those roles), or
	// optionally the office or person for the others (recorded in audits).
	ID string `json:"id,omitempty"`
	// Name is a note for people (who holds the token); not used.
	Name string `json:"name,omitempty"`
}

// TokenFile is the JSON document of the -tokens flag:
//
//	{"tokens": [
//	  {"sha256": "<hex sha256 of the token>", "role": "department", "id": "市自然资源局", "name": "自然资源局信息科"},
//	  {"sha256": "…", "role": "authority", "id": "市大数据局"},
//	  {"sha256": "…", "role": "vendor", "id": "vendor-a"}
//	]}
type TokenFile struct {
	Tokens []TokenEntry `json:"tokens"`
}

// Tokens maps bearer tokens to actors. It keeps only the tokens' SHA-256
// digests, and Lookup compares the presented token's digest with every
// entry in constant time. A Tokens is immutable and safe for concurrent use.
type Tokens struct {
	digests [][sha256.Size]byte
	actors  []workflow.Actor
}

// HashToken returns hex(sha256(token)), the form stored in the tokens file.
func HashToken(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// NewTokens validates the entries and builds the table. Errors are
// *TokenFileError (ErrInvalidTokens).
func NewTokens(entries []TokenEntry) (*Tokens, error) {
	t := &Tokens{}
	seen := map[[sha256.Size]byte]int{}
	for i, e := range entries {
		raw, err := hex.DecodeString(strings.ToLower(e.SHA256))
		if err != nil || len(raw) != sha256.Size {
			return nil, &TokenFileError{Index: i, Field: "sha256", Reason: "want 64 hex digits (sha256 of the token)"}
		}
		var d [sha256.Size]byte
		copy(d[:], raw)
		if j, dup := seen[d]; dup {
			return nil, &TokenFileError{Index: i, Field: "sha256", Reason: fmt.Sprintf("same token as tokens[%d]", j)}
		}
		seen[d] = i
		if !e.Role.Valid() {
			return nil, &TokenFileError{Index: i, Field: "role", Reason: fmt.Sprintf("unknown role %q (department, authority, vendor, operator, finance)", e.Role)}
		}
		if (e.Role == workflow.RoleDepartment || e.Role == workflow.RoleVendor) && strings.TrimSpace(e.ID) == "" {
			return nil, &TokenFileError{Index: i, Field: "id", Reason: "a " + string(e.Role) + " token needs the " + string(e.Role) + "'s ID"}
		}
		t.digests = append(t.digests, d)
		t.actors = append(t.actors, workflow.Actor{Role: e.Role, ID: e.ID})
	}
	return t, nil
}

// ReadTokens decodes a tokens file (unknown fields are refused).
func ReadTokens(r io.Reader) (*Tokens, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f TokenFile
	if err := dec.Decode(&f); err != nil {
		return nil, &TokenFileError{Index: -1, Field: "document", Reason: err.Error()}
	}
	if dec.More() {
		return nil, &TokenFileError{Index: -1, Field: "document", Reason: "data after the JSON document"}
	}
	return NewTokens(f.Tokens)
}

// LoadTokens reads the tokens file at path.
func LoadTokens(path string) (*Tokens, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ReadTokens(bytes.NewReader(b))
}

// Len is the number of tokens.
func (t *Tokens) Len() int { return len(t.digests) }

// Lookup returns the actor of token. It hashes the token and compares the
// digest with every entry (no early exit), so the time taken does not
// depend on which entry, if any, matches.
func (t *Tokens) Lookup(token string) (workflow.Actor, bool) {
	d := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.digests {
		if subtle.ConstantTimeCompare(d[:], t.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 || token == "" {
		return workflow.Actor{}, false
	}
	return t.actors[found], true
}
