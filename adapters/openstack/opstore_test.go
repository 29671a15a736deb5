package openstack_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/adapters/openstack"
	"github.com/opengovcloud/govcloud/adapters/openstack/opstoretest"
)

// The in-memory default passes the OpStore conformance suite.
func TestMemOpsConformance(t *testing.T) {
	opstoretest.Run(t, func(*testing.T) openstack.OpStore { return openstack.NewMemOps() })
}
