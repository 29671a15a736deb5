package gormstore_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/adapters/openstack"
	"github.com/opengovcloud/govcloud/adapters/openstack/opstoretest"
)

// TestOpenStackOpsConformance runs the openstack.OpStore conformance suite
// on every backend: SQLite file, SQLite in memory and PostgreSQL.
func TestOpenStackOpsConformance(t *testing.T) {
	for _, o := range openers() {
		t.Run(o.name, func(t *testing.T) {
			opstoretest.Run(t, func(t *testing.T) openstack.OpStore {
				return openDB(t, o.opts(t)).OpenStackOps()
			})
		})
	}
}
