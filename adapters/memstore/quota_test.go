package memstore_test

import (
	"testing"

	"github.com/opengovcloud/govcloud/adapters/memstore"
	"github.com/opengovcloud/govcloud/quota"
	"github.com/opengovcloud/govcloud/quota/quotatest"
)

func TestQuotaStoreConformance(t *testing.T) {
	quotatest.Run(t, func(t *testing.T) quota.Store { return memstore.NewQuotaStore() })
}
