package server_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengovcloud/govcloud/examples/platformd/internal/server"
	"github.com/opengovcloud/govcloud/workflow"
)

func TestReadTokens(t *testing.T) {
	h := server.HashToken("secret")
	if h != "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" {
		t.Fatalf("HashToken(secret) = %s", h)
	}
	tk, err := server.ReadTokens(strings.NewReader(`{"tokens":[{"sha256":"` + h + `","role":"department","id":"dA","name":"信息科"},
		{"sha256":"` + strings.ToUpper(server.HashToken("op")) + `","role":"operator"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		token string
		actor workflow.Actor
		ok    bool
	}{
		{"secret", workflow.Actor{Role: workflow.RoleDepartment, ID: "dA"}, true},
		{"op", workflow.Actor{Role: workflow.RoleOperator}, true},
		{"Secret", workflow.Actor{}, false},
		{"", workflow.Actor{}, false},
		{h, workflow.Actor{}, false}, // the digest is not the token
	} {
		a, ok := tk.Lookup(c.token)
		if ok != c.ok || a != c.actor {
			t.Errorf("Lookup(%q) = %v %v, want %v %v", c.token, a, ok, c.actor, c.ok)
		}
	}

	for _, c := range []struct {
		name, doc string
		want      server.TokenFileError
	}{
		{"not JSON", `{`, server.TokenFileError{Index: -1, Field: "document"}},
		{"unknown field", `{"tokens":[],"secret":1}`, server.TokenFileError{Index: -1, Field: "document"}},
		{"short digest", `{"tokens":[{"sha256":"abc","role":"operator"}]}`, server.TokenFileError{Index: 0, Field: "sha256"}},
		{"plain token", `{"tokens":[{"sha256":"my-token-is-not-hashed-but-64-chars-long-xxxxxxxxxxxxxxxxxxxxxxxx","role":"operator"}]}`, server.TokenFileError{Index: 0, Field: "sha256"}},
		{"bad role", `{"tokens":[{"sha256":"` + h + `","role":"mayor"}]}`, server.TokenFileError{Index: 0, Field: "role"}},
		{"department without id", `{"tokens":[{"sha256":"` + h + `","role":"department"}]}`, server.TokenFileError{Index: 0, Field: "id"}},
		{"duplicate", `{"tokens":[{"sha256":"` + h + `","role":"authority"},{"sha256":"` + h + `","role":"finance"}]}`, server.TokenFileError{Index: 1, Field: "sha256"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := server.ReadTokens(strings.NewReader(c.doc))
			var te *server.TokenFileError
			if !errors.As(err, &te) || !errors.Is(err, server.ErrInvalidTokens) {
				t.Fatalf("err %v, want a *TokenFileError", err)
			}
			got := server.TokenFileError{Index: te.Index, Field: te.Field}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := server.New(server.Config{})
	var ce *server.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Platform" || !errors.Is(err, server.ErrInvalidConfig) {
		t.Fatalf("New(zero) = %v", err)
	}
}
