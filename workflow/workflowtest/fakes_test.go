package workflowtest

import (
	"fmt"
	"testing"
)

func TestIDsFormat(t *testing.T) {
	for _, n := range []int64{0, 8, 99999, 999998, 999999, 1234566} {
		g := &IDs{Prefix: "app"}
		g.n.Store(n)
		if got, want := g.NewID(), fmt.Sprintf("%s-%06d", "app", n+1); got != want {
			t.Errorf("NewID after %d = %q, want %q", n, got, want)
		}
	}
}
