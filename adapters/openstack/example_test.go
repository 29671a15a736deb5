package openstack_test

import (
	"fmt"

	"github.com/opengovcloud/govcloud/adapters/openstack"
)

// A catalog maps service catalog items to OpenStack resources and the quota
// each unit needs.
func ExampleMapping() {
	catalog := map[string]openstack.Mapping{
		"ecs.4c8g": {Kind: openstack.KindServer, FlavorID: "c4m8", ImageID: "centos-stream-9",
			PerUnit: openstack.Quota{Cores: 4, RAMMB: 8192, Instances: 1}},
		"evs.ssd.gb": {Kind: openstack.KindVolume, VolumeType: "ssd", PerUnit: openstack.Quota{Gigabytes: 1}},
	}
	fmt.Println(openstack.ProjectName("app-42"), len(catalog))
	// Output:
	// govcloud-app-42 2
}
