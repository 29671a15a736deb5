package openstack

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/usage"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	netquotas "github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/quotas"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/pagination"

	volumequotas "github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/quotasets"
	computequotas "github.com/gophercloud/gophercloud/v2/openstack/compute/v2/quotasets"

	govcloud "github.com/opengovcloud/govcloud/provider"
)

// ErrInvalidOptions reports Options that Validate rejects (an *OptionError).
var ErrInvalidOptions = errors.New("openstack: invalid options")

// OptionError names the wrong field; it matches ErrInvalidOptions.
type OptionError struct{ Field, Reason string }

func (e *OptionError) Error() string {
	return "openstack: invalid options: " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidOptions.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// Kind is what a catalog item becomes in OpenStack.
type Kind string

// The kinds of mapped items.
const (
	// KindServer: Quantity servers of a flavor (metered in instance-hours).
	KindServer Kind = "server"
	// KindVolume: one volume of Quantity GB (metered in GB-hours).
	KindVolume Kind = "volume"
	// KindNetwork: Quantity tenant networks (not metered).
	KindNetwork Kind = "network"
)

// Quota is the project quota one unit of an item needs.
type Quota struct {
	Cores, RAMMB, Instances int
	Gigabytes, Volumes      int
	Networks                int
}

// Mapping says how a catalog item is built.
type Mapping struct {
	Kind Kind
	// FlavorID, ImageID and NetworkID configure servers.
	FlavorID, ImageID, NetworkID string
	// VolumeType configures volumes ("" for the default type).
	VolumeType string
	// PerUnit is the quota a unit of the item needs; the project's quota is
	// the sum over the approved items (第十条: allocate what the system needs).
	PerUnit Quota
}

// Clients are service clients of one project scope.
type Clients struct {
	Compute, BlockStorage, Network *gophercloud.ServiceClient
}

// Clock gives the current instant.
type Clock interface{ Now() time.Time }

// Options configures the provider.
type Options struct {
	// Vendor is the vendor ID this cloud answers for (required).
	Vendor string
	// Identity is an identity v3 client with the right to create projects
	// (required).
	Identity *gophercloud.ServiceClient
	// Admin are the admin-scoped clients used for quotas and usage (required).
	Admin Clients
	// Scoped returns clients whose token is scoped to a project, to create
	// and list the project's servers, volumes and networks (required). A
	// typical implementation re-authenticates with the same credentials and
	// gophercloud.AuthScope{ProjectID: id}, and caches the result.
	Scoped func(ctx context.Context, projectID string) (Clients, error)
	// DomainID is the domain of the projects (required).
	DomainID string
	// Catalog maps catalog item codes to what they become (required).
	Catalog map[string]Mapping
	// Clock gives the time (required).
	Clock Clock
	// Ops stores operations by idempotency key (nil: in memory; a vendor
	// running several adapters or restarting them provides a durable one).
	Ops OpStore
}

// Validate reports the first wrong field.
func (o *Options) Validate() error {
	switch {
	case strings.TrimSpace(o.Vendor) == "":
		return &OptionError{"Vendor", "is required"}
	case o.Identity == nil:
		return &OptionError{"Identity", "is required"}
	case o.Admin.Compute == nil || o.Admin.BlockStorage == nil || o.Admin.Network == nil:
		return &OptionError{"Admin", "compute, block-storage and network clients are required"}
	case o.Scoped == nil:
		return &OptionError{"Scoped", "is required"}
	case o.DomainID == "":
		return &OptionError{"DomainID", "is required"}
	case len(o.Catalog) == 0:
		return &OptionError{"Catalog", "is empty"}
	case o.Clock == nil:
		return &OptionError{"Clock", "is required"}
	}
	for code, m := range o.Catalog {
		f := fmt.Sprintf("Catalog[%q]", code)
		switch m.Kind {
		case KindServer:
			if m.FlavorID == "" || m.ImageID == "" {
				return &OptionError{f, "a server needs FlavorID and ImageID"}
			}
		case KindVolume, KindNetwork:
		default:
			return &OptionError{f, fmt.Sprintf("unknown kind %q", m.Kind)}
		}
	}
	return nil
}

// Op is the stored state of one operation.
type Op struct {
	Key         string
	Op          govcloud.Op
	Fingerprint string
	Order       govcloud.Order
	Items       []govcloud.Item
	Accepted    time.Time
	// Done and Result are set once complete; Err once failed permanently.
	// Either makes the operation final: it is never written again.
	Done   bool
	Result *govcloud.Result
	Err    *govcloud.ProviderError
	// Revision counts the writes of the key: 0 for an operation not stored
	// yet, and Get returns the stored revision (1 after the first Put). Put
	// compares it (see OpStore).
	Revision int64
}

// Running reports whether op is unfinished: neither done nor failed.
func (op Op) Running() bool { return !op.Done && op.Err == nil }

// ErrStaleOp is returned (wrapped) by OpStore.Put when the key's stored
// revision is not the one the written Op carries: another writer (another
// adapter instance, or a concurrent call) stored the key meanwhile. Nothing
// is written; the writer reads the key again.
var ErrStaleOp = errors.New("openstack: operation changed since it was read")

// OpStore keeps operations by idempotency key and answers the running
// operation of an application. It must be safe for concurrent use; a
// durable one (gormstore's DB.OpenStackOps) may be shared by several adapter
// instances. The conformance suite opstoretest.Run checks an
// implementation.
//
// Put is a compare-and-set on Op.Revision: it stores op, as revision
// op.Revision+1, only if the key's stored revision is op.Revision (0: the
// key is not stored); otherwise it writes nothing and returns an error
// matching ErrStaleOp. So of two writers that read the same revision
// exactly one succeeds, a key is bound to the first request stored under
// it, and a final outcome (Done or Err) is never replaced by a writer that
// read the key before it was final. The Provider advances its copy's
// Revision after each successful Put; on ErrStaleOp it answers the stored
// operation instead of its own. A store that ignores Revision (last writer
// wins) still works for a single adapter instance that never runs two calls
// on one key at once.
type OpStore interface {
	// Get returns the operation stored under key (ok false if none), with
	// its stored Revision.
	Get(ctx context.Context, key string) (op Op, ok bool, err error)
	// Put stores op under op.Key if the stored revision is op.Revision
	// (see above); an error matching ErrStaleOp otherwise.
	Put(ctx context.Context, op Op) error
	// Running returns the key of the application's unfinished operation
	// ("" if none). If several are unfinished (two adapter instances
	// accepted different keys at once), it returns the one accepted first:
	// the earliest Accepted, then the smallest key.
	Running(ctx context.Context, application string) (string, error)
}

// NewMemOps returns an OpStore in memory, the default of Options.Ops: it
// lives as long as the process and serves one adapter instance.
func NewMemOps() OpStore { return &memOps{ops: map[string]Op{}} }

type memOps struct {
	mu  sync.Mutex
	ops map[string]Op
}

// cloneOp returns a copy of op that shares no memory with it.
func cloneOp(op Op) Op {
	op.Items = slices.Clone(op.Items)
	if op.Result != nil {
		r := *op.Result
		r.Resources = slices.Clone(r.Resources)
		op.Result = &r
	}
	if op.Err != nil {
		e := *op.Err
		op.Err = &e
	}
	return op
}

func (m *memOps) Get(ctx context.Context, key string) (Op, bool, error) {
	if err := ctx.Err(); err != nil {
		return Op{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	op, ok := m.ops[key]
	return cloneOp(op), ok, nil
}

func (m *memOps) Put(ctx context.Context, op Op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.ops[op.Key]; cur.Revision != op.Revision {
		return fmt.Errorf("%w: key %q is at revision %d, not %d", ErrStaleOp, op.Key, cur.Revision, op.Revision)
	}
	op = cloneOp(op)
	op.Revision++
	m.ops[op.Key] = op
	return nil
}

func (m *memOps) Running(ctx context.Context, app string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var first *Op
	for k, op := range m.ops {
		if op.Order.Application != app || !op.Running() {
			continue
		}
		if first == nil || op.Accepted.Before(first.Accepted) || (op.Accepted.Equal(first.Accepted) && k < first.Key) {
			first = &op
		}
	}
	if first == nil {
		return "", nil
	}
	return first.Key, nil
}

// Provider is a govcloud.Provider (with Poller and UsageReporter) for an
// OpenStack cloud.
type Provider struct {
	o Options
}

var (
	_ govcloud.Provider      = (*Provider)(nil)
	_ govcloud.Poller        = (*Provider)(nil)
	_ govcloud.UsageReporter = (*Provider)(nil)
)

// New validates o and returns the provider.
func New(o Options) (*Provider, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Ops == nil {
		o.Ops = NewMemOps()
	}
	return &Provider{o: o}, nil
}

// ProjectName is the name of an application's project.
func ProjectName(application string) string { return "govcloud-" + application }

const (
	prefix    = "gc-"
	tagFormal = "govcloud-formal"
)

// classify turns a gophercloud error into a contract error.
func classify(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *govcloud.ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	msg := what + ": " + err.Error()
	var ue gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &ue) {
		switch st := ue.Actual; {
		case st == http.StatusTooManyRequests:
			return govcloud.Retryable(govcloud.CodeRateLimited, msg)
		case st == http.StatusConflict:
			return govcloud.Retryable(govcloud.CodeBusy, msg)
		case st == http.StatusRequestTimeout || st == http.StatusGatewayTimeout:
			return govcloud.Retryable(govcloud.CodeTimeout, msg)
		case st >= 500:
			return govcloud.Retryable(govcloud.CodeUnavailable, msg)
		case st == http.StatusNotFound:
			return govcloud.Permanent(govcloud.CodeNotFound, msg)
		case st == http.StatusRequestEntityTooLarge || st == http.StatusForbidden:
			return govcloud.Permanent(govcloud.CodeInvalidRequest, "超出配额或无权限 (quota exceeded or forbidden): "+msg)
		default:
			return govcloud.Permanent(govcloud.CodeInvalidRequest, msg)
		}
	}
	return govcloud.Retryable(govcloud.CodeUnavailable, msg)
}

// project returns the application's project (ok false if none).
func (p *Provider) project(ctx context.Context, app string) (projects.Project, bool, error) {
	pages, err := projects.List(p.o.Identity, projects.ListOpts{Name: ProjectName(app), DomainID: p.o.DomainID}).AllPages(ctx)
	if err != nil {
		return projects.Project{}, false, classify(ctx, "list projects", err)
	}
	ps, err := projects.ExtractProjects(pages)
	if err != nil {
		return projects.Project{}, false, classify(ctx, "list projects", err)
	}
	for _, pr := range ps {
		if pr.Name == ProjectName(app) {
			return pr, true, nil
		}
	}
	return projects.Project{}, false, nil
}

// begin checks a mutating request and returns its stored op when it is a
// replay (replay true).
func (p *Provider) begin(ctx context.Context, kind govcloud.Op, o govcloud.Order, req any, validate func() error, items []govcloud.Item) (Op, bool, error) {
	if err := ctx.Err(); err != nil {
		return Op{}, false, err
	}
	if err := validate(); err != nil {
		return Op{}, false, err
	}
	if o.Vendor != p.o.Vendor {
		return Op{}, false, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "Vendor",
			Msg: fmt.Sprintf("本云为 %q,工单发给了 %q (order addressed to another vendor)", p.o.Vendor, o.Vendor)}
	}
	for i, it := range items {
		if _, ok := p.o.Catalog[it.Code]; !ok {
			return Op{}, false, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeUnknownItem,
				Field: fmt.Sprintf("Items[%d].Code", i), Msg: fmt.Sprintf("目录条目 %q 未映射到 OpenStack (item not mapped)", it.Code)}
		}
	}
	fp := govcloud.RequestFingerprint(req)
	op, ok, err := p.o.Ops.Get(ctx, o.Key)
	if err != nil {
		return Op{}, false, govcloud.Retryable(govcloud.CodeInternal, "op store: "+err.Error())
	}
	if ok {
		if op.Fingerprint != fp {
			return Op{}, false, keyConflict(o.Key)
		}
		return op, true, nil
	}
	if running, err := p.o.Ops.Running(ctx, o.Application); err != nil {
		return Op{}, false, govcloud.Retryable(govcloud.CodeInternal, "op store: "+err.Error())
	} else if running != "" {
		return Op{}, false, &govcloud.ProviderError{Class: govcloud.ClassRetryable, Code: govcloud.CodeBusy,
			Msg: fmt.Sprintf("上一操作 %q 尚未完成 (previous operation still running)", running), RetryAfter: 10 * time.Minute}
	}
	return Op{Key: o.Key, Op: kind, Fingerprint: fp, Order: o, Items: slices.Clone(items), Accepted: p.o.Clock.Now()}, false, nil
}

func keyConflict(key string) error {
	return &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeIdempotencyConflict, Field: "Key",
		Msg: fmt.Sprintf("幂等键 %q 已用于另一请求 (key reused with another request)", key)}
}

// record stores op as its next revision and advances op.Revision. stop
// reports that the caller must return (a, err) instead of going on: the
// store failed (a retryable error), or it refused the write because the key
// changed since op was read (another adapter instance or a concurrent call
// stored it: ErrStaleOp), and (a, err) answer the stored operation.
func (p *Provider) record(ctx context.Context, op *Op) (a govcloud.Ack, stop bool, err error) {
	perr := p.o.Ops.Put(ctx, *op)
	switch {
	case perr == nil:
		op.Revision++
		return govcloud.Ack{}, false, nil
	case !errors.Is(perr, ErrStaleOp):
		return govcloud.Ack{}, true, govcloud.Retryable(govcloud.CodeInternal, "op store: "+perr.Error())
	}
	cur, ok, err := p.o.Ops.Get(ctx, op.Key)
	switch {
	case err != nil:
		return govcloud.Ack{}, true, govcloud.Retryable(govcloud.CodeInternal, "op store: "+err.Error())
	case !ok:
		return govcloud.Ack{}, true, govcloud.Retryable(govcloud.CodeBusy, fmt.Sprintf("操作 %q 正被另一实例修改 (operation changed concurrently)", op.Key))
	case cur.Fingerprint != op.Fingerprint:
		return govcloud.Ack{}, true, keyConflict(op.Key)
	}
	a, err = ack(cur)
	return a, true, err
}

// ack returns op's Ack, or its stored failure.
func ack(op Op) (govcloud.Ack, error) {
	if op.Err != nil {
		e := *op.Err
		return govcloud.Ack{}, &e
	}
	a := govcloud.Ack{Key: op.Key, Op: op.Op, Done: op.Done, Accepted: op.Accepted}
	if op.Result != nil {
		r := *op.Result
		r.Resources = slices.Clone(r.Resources)
		a.Result = &r
	}
	return a, nil
}

// fail records a permanent failure as the operation's final outcome.
func (p *Provider) fail(ctx context.Context, op Op, err error) (govcloud.Ack, error) {
	var pe *govcloud.ProviderError
	if errors.As(err, &pe) && pe.Class == govcloud.ClassPermanent {
		op.Err = pe
		if a, stop, rerr := p.record(ctx, &op); stop {
			return a, rerr
		}
	}
	return govcloud.Ack{}, err
}

// Provision implements govcloud.Provider: it creates the project
// "govcloud-<application>", sets its quotas and builds the items.
func (p *Provider) Provision(ctx context.Context, r govcloud.ProvisionRequest) (govcloud.Ack, error) {
	op, replay, err := p.begin(ctx, govcloud.OpProvision, r.Order, r, r.Validate, r.Items)
	if err != nil || (replay && (op.Done || op.Err != nil)) {
		if err != nil {
			return govcloud.Ack{}, err
		}
		return ack(op)
	}
	pr, exists, err := p.project(ctx, r.Application)
	if err != nil {
		return govcloud.Ack{}, err
	}
	if exists && !replay {
		return p.fail(ctx, op, govcloud.Permanent(govcloud.CodeInvalidState, fmt.Sprintf("项目 %s 已存在 (already provisioned)", pr.Name)))
	}
	// Record the operation before touching the cloud: if the answer to a
	// create is lost, the retry with the same key finds it and continues.
	if a, stop, err := p.record(ctx, &op); stop {
		return a, err
	}
	if !exists {
		if pr, err = p.createProject(ctx, r.Order); err != nil {
			return govcloud.Ack{}, err
		}
	}
	return p.converge(ctx, op, pr)
}

func (p *Provider) createProject(ctx context.Context, o govcloud.Order) (projects.Project, error) {
	created, err := projects.Create(ctx, p.o.Identity, projects.CreateOpts{Name: ProjectName(o.Application), DomainID: p.o.DomainID,
		Description: fmt.Sprintf("政务云应用 %s(使用单位 %s,工单 %s)", o.Application, o.Department, o.WorkOrder)}).Extract()
	if err != nil {
		return projects.Project{}, classify(ctx, "create project", err)
	}
	return *created, nil
}

// Promote implements govcloud.Provider: the project is tagged formal.
func (p *Provider) Promote(ctx context.Context, r govcloud.PromoteRequest) (govcloud.Ack, error) {
	op, replay, err := p.begin(ctx, govcloud.OpPromote, r.Order, r, r.Validate, nil)
	if err != nil || (replay && (op.Done || op.Err != nil)) {
		if err != nil {
			return govcloud.Ack{}, err
		}
		return ack(op)
	}
	pr, exists, err := p.project(ctx, r.Application)
	if err != nil {
		return govcloud.Ack{}, err
	}
	switch {
	case !exists:
		return p.fail(ctx, op, govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("应用 %q 没有项目 (no project)", r.Application)))
	case slices.Contains(pr.Tags, tagFormal) && !replay:
		return p.fail(ctx, op, govcloud.Permanent(govcloud.CodeInvalidState, "已是正式环境 (already formal)"))
	}
	if !slices.Contains(pr.Tags, tagFormal) {
		tags := append(slices.Clone(pr.Tags), tagFormal)
		updated, err := projects.Update(ctx, p.o.Identity, pr.ID, projects.UpdateOpts{Tags: &tags}).Extract()
		if err != nil {
			return govcloud.Ack{}, classify(ctx, "tag project", err)
		}
		pr = *updated
	}
	op.Items = nil
	if a, stop, err := p.record(ctx, &op); stop {
		return a, err
	}
	return p.converge(ctx, op, pr)
}

// Change implements govcloud.Provider: quotas are reset from the new items
// and the resources converge to them (volumes can grow, not shrink).
func (p *Provider) Change(ctx context.Context, r govcloud.ChangeRequest) (govcloud.Ack, error) {
	op, replay, err := p.begin(ctx, govcloud.OpChange, r.Order, r, r.Validate, r.Items)
	if err != nil || (replay && (op.Done || op.Err != nil)) {
		if err != nil {
			return govcloud.Ack{}, err
		}
		return ack(op)
	}
	pr, exists, err := p.project(ctx, r.Application)
	if err != nil {
		return govcloud.Ack{}, err
	}
	if !exists {
		return p.fail(ctx, op, govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("应用 %q 没有项目 (no project)", r.Application)))
	}
	if a, stop, err := p.record(ctx, &op); stop {
		return a, err
	}
	return p.converge(ctx, op, pr)
}

// Reclaim implements govcloud.Provider: every server, volume and network is
// deleted, then the project.
func (p *Provider) Reclaim(ctx context.Context, r govcloud.ReclaimRequest) (govcloud.Ack, error) {
	op, replay, err := p.begin(ctx, govcloud.OpReclaim, r.Order, r, r.Validate, nil)
	if err != nil || (replay && (op.Done || op.Err != nil)) {
		if err != nil {
			return govcloud.Ack{}, err
		}
		return ack(op)
	}
	pr, exists, err := p.project(ctx, r.Application)
	if err != nil {
		return govcloud.Ack{}, err
	}
	if !exists {
		return p.fail(ctx, op, govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("应用 %q 没有项目 (no project, or already reclaimed)", r.Application)))
	}
	op.Items = nil
	if a, stop, err := p.record(ctx, &op); stop {
		return a, err
	}
	return p.converge(ctx, op, pr)
}

// Poll implements govcloud.Poller: it continues the operation (converging
// the project again) and reports whether it is complete.
func (p *Provider) Poll(ctx context.Context, key string) (govcloud.Ack, error) {
	if err := ctx.Err(); err != nil {
		return govcloud.Ack{}, err
	}
	op, ok, err := p.o.Ops.Get(ctx, key)
	if err != nil {
		return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeInternal, "op store: "+err.Error())
	}
	if !ok {
		return govcloud.Ack{}, govcloud.Permanent(govcloud.CodeNotFound, fmt.Sprintf("未知的操作 %q (unknown operation key)", key))
	}
	if op.Done || op.Err != nil {
		return ack(op)
	}
	pr, exists, err := p.project(ctx, op.Order.Application)
	if err != nil {
		return govcloud.Ack{}, err
	}
	if !exists {
		switch op.Op {
		case govcloud.OpReclaim:
			return p.finish(ctx, op, projects.Project{}, nil)
		case govcloud.OpProvision: // the creation's answer was lost: create it now
			if pr, err = p.createProject(ctx, op.Order); err != nil {
				return govcloud.Ack{}, err
			}
			return p.converge(ctx, op, pr)
		}
		return p.fail(ctx, op, govcloud.Permanent(govcloud.CodeNotFound, "项目已不存在 (project gone)"))
	}
	return p.converge(ctx, op, pr)
}

func (p *Provider) finish(ctx context.Context, op Op, pr projects.Project, res []govcloud.Resource) (govcloud.Ack, error) {
	op.Done = true
	op.Result = &govcloud.Result{Application: op.Order.Application, Environment: pr.ID, Formal: slices.Contains(pr.Tags, tagFormal),
		Resources: res, Completed: p.o.Clock.Now(), Note: op.Op.String() + "已完成"}
	if op.Op == govcloud.OpReclaim {
		op.Result.Environment = ""
	}
	if a, stop, err := p.record(ctx, &op); stop {
		return a, err
	}
	return ack(op)
}

// ---- converging a project to its items ----

type inventory struct {
	servers  []servers.Server
	volumes  []volumes.Volume
	networks []networks.Network
}

func (p *Provider) inventory(ctx context.Context, c Clients, projectID string) (inventory, error) {
	var inv inventory
	pages, err := servers.List(c.Compute, servers.ListOpts{}).AllPages(ctx)
	if err == nil {
		inv.servers, err = servers.ExtractServers(pages)
	}
	if err != nil {
		return inv, classify(ctx, "list servers", err)
	}
	vp, err := volumes.List(c.BlockStorage, volumes.ListOpts{}).AllPages(ctx)
	if err == nil {
		inv.volumes, err = volumes.ExtractVolumes(vp)
	}
	if err != nil {
		return inv, classify(ctx, "list volumes", err)
	}
	np, err := networks.List(c.Network, networks.ListOpts{ProjectID: projectID}).AllPages(ctx)
	if err == nil {
		inv.networks, err = networks.ExtractNetworks(np)
	}
	if err != nil {
		return inv, classify(ctx, "list networks", err)
	}
	inv.servers = slices.DeleteFunc(inv.servers, func(s servers.Server) bool { return !strings.HasPrefix(s.Name, prefix) })
	inv.volumes = slices.DeleteFunc(inv.volumes, func(v volumes.Volume) bool { return !strings.HasPrefix(v.Name, prefix) })
	inv.networks = slices.DeleteFunc(inv.networks, func(n networks.Network) bool { return !strings.HasPrefix(n.Name, prefix) })
	return inv, nil
}

// unitName is the name of the i-th unit (1-based) of item code.
func unitName(code string, i int) string { return fmt.Sprintf("%s%s-%d", prefix, code, i) }

// codeOf parses a unit or volume name back to its item code.
func codeOf(name string) string {
	s := strings.TrimPrefix(name, prefix)
	if i := strings.LastIndexByte(s, '-'); i > 0 {
		if _, err := strconv.Atoi(s[i+1:]); err == nil {
			return s[:i]
		}
	}
	return s
}

// quota sums the per-unit quotas of items (plus one volume per volume item).
func (p *Provider) quota(items []govcloud.Item) Quota {
	var q Quota
	for _, it := range items {
		u, n := p.o.Catalog[it.Code].PerUnit, int(it.Quantity)
		q.Cores += u.Cores * n
		q.RAMMB += u.RAMMB * n
		q.Instances += u.Instances * n
		q.Gigabytes += u.Gigabytes * n
		q.Volumes += u.Volumes * n
		q.Networks += u.Networks * n
		if p.o.Catalog[it.Code].Kind == KindVolume {
			q.Volumes++ // one volume per volume item, whatever its size
		}
	}
	return q
}

// converge moves the project one step towards op's target and completes op
// when it is there: every wanted server ACTIVE, volume available, network
// ACTIVE, and nothing unwanted left.
func (p *Provider) converge(ctx context.Context, op Op, pr projects.Project) (govcloud.Ack, error) {
	c, err := p.o.Scoped(ctx, pr.ID)
	if err != nil {
		return govcloud.Ack{}, classify(ctx, "scope to project", err)
	}
	target := op.Items
	if op.Op == govcloud.OpPromote {
		// Keep whatever runs.
		inv, err := p.inventory(ctx, c, pr.ID)
		if err != nil {
			return govcloud.Ack{}, err
		}
		return p.finish(ctx, op, pr, resources(inv))
	}
	if op.Op == govcloud.OpProvision || op.Op == govcloud.OpChange {
		q := p.quota(target)
		if _, err := computequotas.Update(ctx, p.o.Admin.Compute, pr.ID, computequotas.UpdateOpts{
			Cores: &q.Cores, RAM: &q.RAMMB, Instances: &q.Instances}).Extract(); err != nil {
			return govcloud.Ack{}, classify(ctx, "set compute quota", err)
		}
		if _, err := volumequotas.Update(ctx, p.o.Admin.BlockStorage, pr.ID, volumequotas.UpdateOpts{
			Gigabytes: &q.Gigabytes, Volumes: &q.Volumes}).Extract(); err != nil {
			return govcloud.Ack{}, classify(ctx, "set volume quota", err)
		}
		if _, err := netquotas.Update(ctx, p.o.Admin.Network, pr.ID, netquotas.UpdateOpts{Network: &q.Networks}).Extract(); err != nil {
			return govcloud.Ack{}, classify(ctx, "set network quota", err)
		}
	}
	inv, err := p.inventory(ctx, c, pr.ID)
	if err != nil {
		return govcloud.Ack{}, err
	}
	want := map[string]int64{}
	for _, it := range target {
		want[it.Code] = it.Quantity
	}
	ready := true
	// Servers: units 1..n of each server item.
	have := map[string]servers.Server{}
	for _, s := range inv.servers {
		code := codeOf(s.Name)
		n, err := strconv.Atoi(s.Name[strings.LastIndexByte(s.Name, '-')+1:])
		if m, ok := p.o.Catalog[code]; !ok || m.Kind != KindServer || err != nil || int64(n) > want[code] {
			if err := servers.Delete(ctx, c.Compute, s.ID).ExtractErr(); err != nil && !isNotFound(err) {
				return govcloud.Ack{}, classify(ctx, "delete server", err)
			}
			ready = false
			continue
		}
		if s.Status == "ERROR" {
			if err := servers.Delete(ctx, c.Compute, s.ID).ExtractErr(); err != nil && !isNotFound(err) {
				return govcloud.Ack{}, classify(ctx, "delete failed server", err)
			}
			return govcloud.Ack{}, govcloud.Retryable(govcloud.CodeCapacity, fmt.Sprintf("云主机 %s 创建失败,已删除,请重发 (server failed to build; send the key again)", s.Name))
		}
		have[s.Name] = s
		if s.Status != "ACTIVE" {
			ready = false
		}
	}
	// Volumes: one per volume item.
	vols := map[string]volumes.Volume{}
	for _, v := range inv.volumes {
		code := codeOf(v.Name)
		if m, ok := p.o.Catalog[code]; !ok || m.Kind != KindVolume || want[code] == 0 || v.Name != prefix+code {
			if err := volumes.Delete(ctx, c.BlockStorage, v.ID, volumes.DeleteOpts{}).ExtractErr(); err != nil && !isNotFound(err) {
				return govcloud.Ack{}, classify(ctx, "delete volume", err)
			}
			ready = false
			continue
		}
		vols[code] = v
	}
	nets := map[string]networks.Network{}
	for _, n := range inv.networks {
		code := codeOf(n.Name)
		k, err := strconv.Atoi(n.Name[strings.LastIndexByte(n.Name, '-')+1:])
		if m, ok := p.o.Catalog[code]; !ok || m.Kind != KindNetwork || err != nil || int64(k) > want[code] {
			if err := networks.Delete(ctx, c.Network, n.ID).ExtractErr(); err != nil && !isNotFound(err) {
				return govcloud.Ack{}, classify(ctx, "delete network", err)
			}
			ready = false
			continue
		}
		nets[n.Name] = n
	}
	for _, it := range target {
		m := p.o.Catalog[it.Code]
		switch m.Kind {
		case KindServer:
			for i := 1; int64(i) <= it.Quantity; i++ {
				name := unitName(it.Code, i)
				if _, ok := have[name]; ok {
					continue
				}
				opts := servers.CreateOpts{Name: name, FlavorRef: m.FlavorID, ImageRef: m.ImageID,
					Metadata: map[string]string{"govcloud_application": op.Order.Application, "govcloud_item": it.Code}}
				if m.NetworkID != "" {
					opts.Networks = []servers.Network{{UUID: m.NetworkID}}
				}
				if _, err := servers.Create(ctx, c.Compute, opts, nil).Extract(); err != nil {
					return govcloud.Ack{}, classify(ctx, "create server", err)
				}
				ready = false
			}
		case KindVolume:
			v, ok := vols[it.Code]
			switch {
			case !ok:
				if _, err := volumes.Create(ctx, c.BlockStorage, volumes.CreateOpts{Name: prefix + it.Code, Size: int(it.Quantity),
					VolumeType: m.VolumeType, Metadata: map[string]string{"govcloud_application": op.Order.Application}}, nil).Extract(); err != nil {
					return govcloud.Ack{}, classify(ctx, "create volume", err)
				}
				ready = false
			case int64(v.Size) < it.Quantity:
				if err := volumes.ExtendSize(ctx, c.BlockStorage, v.ID, volumes.ExtendSizeOpts{NewSize: int(it.Quantity)}).ExtractErr(); err != nil {
					return govcloud.Ack{}, classify(ctx, "extend volume", err)
				}
				ready = false
			case int64(v.Size) > it.Quantity:
				return p.fail(ctx, op, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "Items",
					Msg: fmt.Sprintf("云硬盘 %s 不能从 %d GB 缩小到 %d GB (volumes cannot shrink)", v.Name, v.Size, it.Quantity)})
			case v.Status != "available" && v.Status != "in-use":
				ready = false
			}
		case KindNetwork:
			for i := 1; int64(i) <= it.Quantity; i++ {
				name := unitName(it.Code, i)
				if n, ok := nets[name]; ok {
					if n.Status != "ACTIVE" {
						ready = false
					}
					continue
				}
				if _, err := networks.Create(ctx, c.Network, networks.CreateOpts{Name: name, ProjectID: pr.ID}).Extract(); err != nil {
					return govcloud.Ack{}, classify(ctx, "create network", err)
				}
				ready = false
			}
		}
	}
	if !ready {
		return ack(op)
	}
	if op.Op == govcloud.OpReclaim {
		if err := projects.Delete(ctx, p.o.Identity, pr.ID).ExtractErr(); err != nil && !isNotFound(err) {
			return govcloud.Ack{}, classify(ctx, "delete project", err)
		}
		return p.finish(ctx, op, pr, nil)
	}
	return p.finish(ctx, op, pr, resources(inv))
}

func isNotFound(err error) bool {
	return gophercloud.ResponseCodeIs(err, http.StatusNotFound)
}

// resources lists what a project runs as contract resources.
func resources(inv inventory) []govcloud.Resource {
	var rs []govcloud.Resource
	for _, s := range inv.servers {
		rs = append(rs, govcloud.Resource{ID: s.ID, Item: codeOf(s.Name), Quantity: 1})
	}
	for _, v := range inv.volumes {
		rs = append(rs, govcloud.Resource{ID: v.ID, Item: codeOf(v.Name), Quantity: int64(v.Size)})
	}
	for _, n := range inv.networks {
		rs = append(rs, govcloud.Resource{ID: n.ID, Item: codeOf(n.Name), Quantity: 1})
	}
	slices.SortFunc(rs, func(a, b govcloud.Resource) int {
		if c := strings.Compare(a.Item, b.Item); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rs
}

// ---- usage ----

var beijing = time.FixedZone("CST", 8*3600)

// Usage implements govcloud.UsageReporter with one record per server and
// volume and Beijing day: days that start in [q.Start, q.End) and have
// ended. Servers come from the compute usage API (os-simple-tenant-usage),
// metered in instance-hours; volumes from the block-storage API (size ×
// hours since creation), metered in GB-hours; both in thousandths
// (govcloud.UsageScale). Keys are "openstack/<project>/<resource>/<day>".
// A reclaimed application's usage must be collected before Reclaim (the
// project is deleted).
func (p *Provider) Usage(ctx context.Context, q govcloud.UsageQuery) ([]govcloud.UsageRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if q.End.Sub(q.Start) > 400*24*time.Hour {
		return nil, &govcloud.ProviderError{Class: govcloud.ClassPermanent, Code: govcloud.CodeInvalidRequest, Field: "End", Msg: "period longer than 400 days"}
	}
	var prs []projects.Project
	if q.Application != "" {
		pr, ok, err := p.project(ctx, q.Application)
		if err != nil {
			return nil, err
		}
		if ok {
			prs = append(prs, pr)
		}
	} else {
		pages, err := projects.List(p.o.Identity, projects.ListOpts{DomainID: p.o.DomainID}).AllPages(ctx)
		if err != nil {
			return nil, classify(ctx, "list projects", err)
		}
		all, err := projects.ExtractProjects(pages)
		if err != nil {
			return nil, classify(ctx, "list projects", err)
		}
		for _, pr := range all {
			if strings.HasPrefix(pr.Name, "govcloud-") {
				prs = append(prs, pr)
			}
		}
	}
	now := p.o.Clock.Now()
	var out []govcloud.UsageRecord
	first := time.Date(q.Start.In(beijing).Year(), q.Start.In(beijing).Month(), q.Start.In(beijing).Day(), 0, 0, 0, 0, beijing)
	if first.Before(q.Start) {
		first = first.AddDate(0, 0, 1)
	}
	for _, pr := range prs {
		app := strings.TrimPrefix(pr.Name, "govcloud-")
		c, err := p.o.Scoped(ctx, pr.ID)
		if err != nil {
			return nil, classify(ctx, "scope to project", err)
		}
		vp, err := volumes.List(c.BlockStorage, volumes.ListOpts{}).AllPages(ctx)
		var vols []volumes.Volume
		if err == nil {
			vols, err = volumes.ExtractVolumes(vp)
		}
		if err != nil {
			return nil, classify(ctx, "list volumes", err)
		}
		for day := first; day.Before(q.End); day = day.AddDate(0, 0, 1) {
			end := day.AddDate(0, 0, 1)
			if end.After(now) {
				break
			}
			start, stop := day.UTC(), end.UTC()
			var sus []usage.ServerUsage
			err := usage.SingleTenant(p.o.Admin.Compute, pr.ID, usage.SingleTenantOpts{Start: &start, End: &stop}).EachPage(ctx,
				func(_ context.Context, page pagination.Page) (bool, error) {
					tu, err := usage.ExtractSingleTenant(page)
					if err != nil {
						return false, err
					}
					if tu != nil {
						sus = append(sus, tu.ServerUsages...)
					}
					return true, nil
				})
			if err != nil {
				return nil, classify(ctx, "compute usage", err)
			}
			for _, su := range sus {
				if su.Hours <= 0 || !strings.HasPrefix(su.Name, prefix) {
					continue
				}
				out = append(out, govcloud.UsageRecord{Key: fmt.Sprintf("openstack/%s/%s/%s", pr.ID, su.InstanceID, day.Format("20060102")),
					Application: app, Resource: su.InstanceID, Item: codeOf(su.Name),
					Quantity: int64(math.Round(su.Hours * govcloud.UsageScale)), Start: day, End: end})
			}
			for _, v := range vols {
				if !strings.HasPrefix(v.Name, prefix) {
					continue
				}
				from := v.CreatedAt
				if from.Before(day) {
					from = day
				}
				if !from.Before(end) {
					continue
				}
				ms := end.Sub(from).Milliseconds()
				out = append(out, govcloud.UsageRecord{Key: fmt.Sprintf("openstack/%s/%s/%s", pr.ID, v.ID, day.Format("20060102")),
					Application: app, Resource: v.ID, Item: codeOf(v.Name),
					Quantity: int64(v.Size) * ms * govcloud.UsageScale / int64(time.Hour/time.Millisecond), Start: day, End: end})
			}
		}
	}
	slices.SortFunc(out, func(a, b govcloud.UsageRecord) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}
