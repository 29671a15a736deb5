// Package openstack is a govcloud.Provider for OpenStack-based government
// clouds, on gophercloud v2. It implements Poller and UsageReporter too.
//
// # Model
//
//   - One Keystone project per application, named "govcloud-<application>"
//     (ProjectName), in Options.DomainID.
//   - Quotas (Nova cores / RAM / instances, Cinder gigabytes / volumes) are
//     set from the approved items: the sum of each item's Mapping.PerUnit ×
//     quantity (第十条, 按需分配), again on every change.
//   - Options.Catalog maps each catalog item code to what it becomes:
//     KindServer (quantity servers "gc-<code>-<n>" of a flavor and image),
//     KindVolume (one volume "gc-<code>" of quantity GB; it can grow, a
//     change that shrinks it is refused permanently) or KindNetwork
//     (quantity networks "gc-<code>-<n>").
//   - Provision and Change converge the project to the item list, by name:
//     missing units are created, surplus ones deleted. Because the cloud's
//     own state is the reference, a retry after a lost answer or a partial
//     failure creates only what is missing. The operation completes when
//     every server is ACTIVE, every volume available and every network
//     ACTIVE; until then Poll continues it. A server in ERROR is deleted and
//     the operation answers a retryable CodeCapacity. Promote tags the
//     project "govcloud-formal"; Reclaim deletes every server, volume and
//     network, then the project.
//   - Idempotency keys and outcomes are kept in an OpStore (in memory by
//     default; a vendor that restarts the adapter or runs several supplies a
//     durable one, see below). An operation is recorded before the cloud is
//     touched.
//
// # Durable operations
//
// The default OpStore (NewMemOps) lives in the process: an adapter that
// restarts forgets its keys, and refuses the replay of a Provision it had
// started as "already provisioned". Give it a durable store instead: the
// operation store of gormstore, on an SQLite file for one adapter process
// or on PostgreSQL for several:
//
//	db, err := gormstore.Open(ctx, gormstore.Options{DSN: "postgres://…"})
//	if err != nil { … }
//	p, err := openstack.New(openstack.Options{…, Ops: db.OpenStackOps()})
//
// Any OpStore passes the conformance suite of package opstoretest. Put is a
// compare-and-set on Op.Revision: of two adapter instances that read a key
// at the same revision, only the first write succeeds; the other gets
// ErrStaleOp, and the Provider then answers the stored operation (the
// other instance's outcome, or its running operation) rather than its own.
// So a final outcome is never overwritten, and an instance that raced
// another on one key never fails the key that the other is building.
// Running answers the application's unfinished operation accepted first.
//
// # Usage
//
// Usage returns one record per resource and Beijing day (days that start in
// the query and have ended): servers from Nova's os-simple-tenant-usage
// (instance-hours), volumes from Cinder's volume list (size × hours since
// creation, GB-hours), both in thousandths (govcloud.UsageScale). Collect an
// application's usage before reclaiming it: the project is deleted.
//
// # Clients and scopes
//
// Options.Identity (Keystone v3) creates projects; Options.Admin clients set
// quotas and read usage; Options.Scoped returns clients with a token scoped
// to one project, because Nova and Cinder create resources in the project
// of the token. With password credentials:
//
//	scoped := func(ctx context.Context, projectID string) (openstack.Clients, error) {
//		ao := authOpts // gophercloud.AuthOptions of a user with a role in the project
//		ao.Scope = &gophercloud.AuthScope{ProjectID: projectID}
//		pc, err := gos.AuthenticatedClient(ctx, ao) // gos = gophercloud/v2/openstack
//		if err != nil {
//			return openstack.Clients{}, err
//		}
//		eo := gophercloud.EndpointOpts{Region: region}
//		c, _ := gos.NewComputeV2(pc, eo)
//		b, _ := gos.NewBlockStorageV3(pc, eo)
//		n, _ := gos.NewNetworkV2(pc, eo)
//		return openstack.Clients{Compute: c, BlockStorage: b, Network: n}, nil
//	}
//
// # Errors
//
// gophercloud errors are classified: 5xx, 429, 408/504 and 409 retryable;
// 404 not found, 403/413 (quota) and other 4xx permanent; transport
// failures retryable; a cancelled context returns ctx.Err().
//
// The tests run the providertest conformance suite against an httptest
// server answering the OpenStack APIs with bodies in the real APIs' format.
package openstack
