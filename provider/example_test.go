package provider_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengovcloud/govcloud/adapters/providertest"
	govcloud "github.com/opengovcloud/govcloud/provider"
)

// The provider of ExampleProvider passes the conformance suite.
func TestExampleProviderConforms(t *testing.T) {
	providertest.Run(t, func(t *testing.T) (govcloud.Provider, providertest.Harness) {
		c := newTinyCloud("tiny", func() time.Time { return time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC) })
		return c, providertest.Harness{
			Vendor: "tiny",
			Items:  []string{"ecs.vcpu", "oss.gb", "rds.instance"},
			Resources: func(app string) []govcloud.Resource {
				c.mu.Lock()
				defer c.mu.Unlock()
				if e := c.envs[app]; e != nil {
					return slices.Clone(e.res)
				}
				return nil
			},
		}
	})
}

// tinyCloud is the smallest correct Provider: synchronous (every Ack is
// done), idempotent by key and request fingerprint, in order.
type tinyCloud struct {
	vendor string
	now    func() time.Time // injected clock
	mu     sync.Mutex
	ops    map[string]stored // idempotency key → outcome
	envs   map[string]*tinyEnv
}

type tinyEnv struct {
	formal, reclaimed bool
	res               []govcloud.Resource
}

func newTinyCloud(vendor string, now func() time.Time) *tinyCloud {
	return &tinyCloud{vendor: vendor, now: now, ops: map[string]stored{}, envs: map[string]*tinyEnv{}}
}

func (c *tinyCloud) live(app string) (*tinyEnv, error) {
	e := c.envs[app]
	switch {
	case e == nil:
		return nil, govcloud.Permanent(govcloud.CodeNotFound, "no environment")
	case e.reclaimed:
		return nil, govcloud.Permanent(govcloud.CodeInvalidState, "reclaimed")
	}
	return e, nil
}

func resources(app string, items []govcloud.Item) []govcloud.Resource {
	var rs []govcloud.Resource
	for _, it := range items {
		rs = append(rs, govcloud.Resource{ID: app + "/" + it.Code, Item: it.Code, Quantity: it.Quantity})
	}
	slices.SortFunc(rs, func(a, b govcloud.Resource) int { return strings.Compare(a.Item, b.Item) })
	return rs
}

type stored struct {
	fingerprint string
	ack         govcloud.Ack
	err         error
}

func (c *tinyCloud) run(ctx context.Context, req any, o govcloud.Order, op govcloud.Op, validate func() error, apply func() error) (govcloud.Ack, error) {
	if err := ctx.Err(); err != nil {
		return govcloud.Ack{}, err // neither retryable nor permanent
	}
	if err := validate(); err != nil {
		return govcloud.Ack{}, err // permanent, nothing stored
	}
	if o.Vendor != c.vendor {
		return govcloud.Ack{}, govcloud.Permanent(govcloud.CodeInvalidRequest, "order for another vendor")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fp := govcloud.RequestFingerprint(req)
	if s, ok := c.ops[o.Key]; ok {
		if s.fingerprint != fp {
			return govcloud.Ack{}, govcloud.Permanent(govcloud.CodeIdempotencyConflict, "key reused")
		}
		return s.ack, s.err // replay the final outcome
	}
	err := apply()
	now := c.now()
	ack := govcloud.Ack{Key: o.Key, Op: op, Done: err == nil, Accepted: now}
	if err == nil {
		e := c.envs[o.Application]
		ack.Result = &govcloud.Result{Application: o.Application, Environment: "env-" + o.Application,
			Formal: e.formal, Resources: slices.Clone(e.res), Completed: now}
	}
	if !govcloud.IsRetryable(err) { // only final outcomes are remembered
		c.ops[o.Key] = stored{fp, ack, err}
	}
	return ack, err
}

func (c *tinyCloud) Provision(ctx context.Context, r govcloud.ProvisionRequest) (govcloud.Ack, error) {
	return c.run(ctx, r, r.Order, govcloud.OpProvision, r.Validate, func() error {
		if _, ok := c.envs[r.Application]; ok {
			return govcloud.Permanent(govcloud.CodeInvalidState, "already provisioned")
		}
		c.envs[r.Application] = &tinyEnv{res: resources(r.Application, r.Items)}
		return nil
	})
}

func (c *tinyCloud) Promote(ctx context.Context, r govcloud.PromoteRequest) (govcloud.Ack, error) {
	return c.run(ctx, r, r.Order, govcloud.OpPromote, r.Validate, func() error {
		e, err := c.live(r.Application)
		if err == nil {
			e.formal = true
		}
		return err
	})
}

func (c *tinyCloud) Change(ctx context.Context, r govcloud.ChangeRequest) (govcloud.Ack, error) {
	return c.run(ctx, r, r.Order, govcloud.OpChange, r.Validate, func() error {
		e, err := c.live(r.Application)
		if err == nil {
			e.res = resources(r.Application, r.Items)
		}
		return err
	})
}

func (c *tinyCloud) Reclaim(ctx context.Context, r govcloud.ReclaimRequest) (govcloud.Ack, error) {
	return c.run(ctx, r, r.Order, govcloud.OpReclaim, r.Validate, func() error {
		e, err := c.live(r.Application)
		if err == nil {
			e.reclaimed, e.res = true, nil
		}
		return err
	})
}

// Implementing a Provider: validate, deduplicate by idempotency key, refuse
// reuse of a key for another request, classify every error.
func ExampleProvider() {
	var p govcloud.Provider = newTinyCloud("v", func() time.Time { return time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC) })
	ctx := context.Background()
	order := govcloud.Order{Key: "wo-7/provision", WorkOrder: "wo-7", Application: "app-7", Department: "dept-2", Vendor: "v"}
	req := govcloud.ProvisionRequest{Order: order, Items: []govcloud.Item{{Code: "ecs.vcpu", Quantity: 4}}}

	a1, _ := p.Provision(ctx, req)
	a2, _ := p.Provision(ctx, req) // a retry: same outcome, nothing new
	fmt.Println(a1.Done, a1.Result.Resources, a2.Result.Resources)

	req.Items[0].Quantity = 8 // the same key for another request
	_, err := p.Provision(ctx, req)
	fmt.Println(errors.Is(err, govcloud.ErrIdempotencyConflict), govcloud.IsPermanent(err))

	_, err = p.Promote(ctx, govcloud.PromoteRequest{Order: govcloud.Order{Key: "k", WorkOrder: "w", Application: "none", Department: "d", Vendor: "v"}})
	fmt.Println(govcloud.Classify(err), govcloud.Classify(err).English())
	// Output:
	// true [{app-7/ecs.vcpu ecs.vcpu 4}] [{app-7/ecs.vcpu ecs.vcpu 4}]
	// true true
	// 不可重试 permanent
}

// Errors are classified: retry the retryable ones with the same key, raise
// the permanent ones to the operator, and stop on context errors.
func ExampleClassify() {
	for _, err := range []error{
		govcloud.Retryable(govcloud.CodeTimeout, "no answer in 30s"),
		fmt.Errorf("dispatch: %w", govcloud.Permanent(govcloud.CodeUnknownItem, "gpu.a100")),
		context.Canceled,
	} {
		fmt.Printf("retryable=%v permanent=%v class=%q\n", govcloud.IsRetryable(err), govcloud.IsPermanent(err), govcloud.Classify(err).English())
	}
	// Output:
	// retryable=true permanent=false class="retryable"
	// retryable=false permanent=true class="permanent"
	// retryable=false permanent=false class="ErrorClass(0)"
}

// A change names the complete new item list; DiffItems tells the provider
// what to resize, add and remove.
func ExampleDiffItems() {
	old := []govcloud.Item{{Code: "ecs.vcpu", Quantity: 4}, {Code: "oss.gb", Quantity: 100}}
	next := []govcloud.Item{{Code: "ecs.vcpu", Quantity: 8}, {Code: "rds.instance", Quantity: 1}}
	for _, d := range govcloud.DiffItems(old, next) {
		fmt.Printf("%s %d→%d\n", d.Code, d.From, d.To)
	}
	// Output:
	// ecs.vcpu 4→8
	// oss.gb 100→0
	// rds.instance 0→1
}
