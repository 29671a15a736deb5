package memstore

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/opengovcloud/govcloud/billing"
)

// BillingStore is a billing.Store in memory: the reference implementation.
// Update transactions are serial (one mutex); writes are staged in an
// overlay and applied only when fn succeeds. Values are deep-copied in and
// out.
type BillingStore struct {
	mu          sync.RWMutex
	items       map[string]billing.Item
	prices      []billing.Price
	usage       map[string]billing.UsageRecord
	usageByDV   map[dvKey][]string
	parked      map[parkKey]billing.ParkedUsage
	statements  map[string]billing.Statement
	settlements map[string]billing.Settlement
	budgets     map[budgetKey]billing.Budget
}

type dvKey struct{ d, v string }
type parkKey struct {
	key string
	m   billing.Month
}
type budgetKey struct {
	d  string
	fy int
}

// NewBillingStore returns an empty store.
func NewBillingStore() *BillingStore {
	return &BillingStore{
		items: map[string]billing.Item{}, usage: map[string]billing.UsageRecord{}, usageByDV: map[dvKey][]string{},
		parked: map[parkKey]billing.ParkedUsage{}, statements: map[string]billing.Statement{},
		settlements: map[string]billing.Settlement{}, budgets: map[budgetKey]billing.Budget{},
	}
}

var _ billing.Store = (*BillingStore)(nil)

// overlay stages writes over a base map.
type overlay[K comparable, V any] struct {
	base map[K]V
	put  map[K]V
	del  map[K]bool
}

func newOverlay[K comparable, V any](base map[K]V) *overlay[K, V] {
	return &overlay[K, V]{base: base, put: map[K]V{}, del: map[K]bool{}}
}

func (o *overlay[K, V]) get(k K) (V, bool) {
	if o.del[k] {
		var z V
		return z, false
	}
	if v, ok := o.put[k]; ok {
		return v, true
	}
	v, ok := o.base[k]
	return v, ok
}

func (o *overlay[K, V]) set(k K, v V) { o.put[k] = v; delete(o.del, k) }
func (o *overlay[K, V]) remove(k K)   { o.del[k] = true; delete(o.put, k) }

func (o *overlay[K, V]) each(fn func(K, V)) {
	for k, v := range o.base {
		if _, ok := o.put[k]; !ok && !o.del[k] {
			fn(k, v)
		}
	}
	for k, v := range o.put {
		fn(k, v)
	}
}

func (o *overlay[K, V]) commit() {
	for k := range o.del {
		delete(o.base, k)
	}
	for k, v := range o.put {
		o.base[k] = v
	}
}

type billingTx struct {
	s           *BillingStore
	write       bool
	items       *overlay[string, billing.Item]
	prices      []billing.Price
	usage       *overlay[string, billing.UsageRecord]
	parked      *overlay[parkKey, billing.ParkedUsage]
	statements  *overlay[string, billing.Statement]
	settlements *overlay[string, billing.Settlement]
	budgets     *overlay[budgetKey, billing.Budget]
}

func (s *BillingStore) newTx(write bool) *billingTx {
	return &billingTx{s: s, write: write, items: newOverlay(s.items), usage: newOverlay(s.usage),
		parked: newOverlay(s.parked), statements: newOverlay(s.statements), settlements: newOverlay(s.settlements),
		budgets: newOverlay(s.budgets)}
}

// Update runs fn in a serial transaction.
func (s *BillingStore) Update(ctx context.Context, fn func(context.Context, billing.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.newTx(true)
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx.items.commit()
	s.prices = append(s.prices, tx.prices...)
	for k, r := range tx.usage.put {
		dv := dvKey{r.Department, r.Vendor}
		s.usageByDV[dv] = append(s.usageByDV[dv], k)
	}
	tx.usage.commit()
	tx.parked.commit()
	tx.statements.commit()
	tx.settlements.commit()
	tx.budgets.commit()
	return nil
}

// View runs fn in a read-only transaction.
func (s *BillingStore) View(ctx context.Context, fn func(context.Context, billing.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(ctx, s.newTx(false))
}

func (t *billingTx) writable() error {
	if !t.write {
		return fmt.Errorf("memstore: write in a read-only transaction")
	}
	return nil
}

func cloneItem(it billing.Item) billing.Item { it.Footprint = it.Footprint.Clone(); return it }

func (t *billingTx) Items(ctx context.Context) ([]billing.Item, error) {
	var out []billing.Item
	t.items.each(func(_ string, it billing.Item) { out = append(out, cloneItem(it)) })
	slices.SortFunc(out, func(a, b billing.Item) int { return strings.Compare(a.Code, b.Code) })
	return out, ctx.Err()
}

func (t *billingTx) Prices(ctx context.Context) ([]billing.Price, error) {
	return slices.Concat(t.s.prices, t.prices), ctx.Err()
}

func (t *billingTx) Usage(ctx context.Context, key string) (billing.UsageRecord, error) {
	r, ok := t.usage.get(key)
	if !ok {
		return billing.UsageRecord{}, fmt.Errorf("%w: usage %q", billing.ErrNotFound, key)
	}
	return r, ctx.Err()
}

func (t *billingTx) UsageIn(ctx context.Context, f billing.UsageFilter) ([]billing.UsageRecord, error) {
	var out []billing.UsageRecord
	if f.Department != "" && f.Vendor != "" {
		for _, k := range t.s.usageByDV[dvKey{f.Department, f.Vendor}] {
			if r := t.s.usage[k]; f.Match(r) {
				out = append(out, r)
			}
		}
		for _, r := range t.usage.put {
			if f.Match(r) {
				out = append(out, r)
			}
		}
	} else {
		t.usage.each(func(_ string, r billing.UsageRecord) {
			if f.Match(r) {
				out = append(out, r)
			}
		})
	}
	slices.SortFunc(out, func(a, b billing.UsageRecord) int { return strings.Compare(a.Key, b.Key) })
	return out, ctx.Err()
}

func (t *billingTx) Parked(ctx context.Context) ([]billing.ParkedUsage, error) {
	var out []billing.ParkedUsage
	t.parked.each(func(_ parkKey, p billing.ParkedUsage) { out = append(out, p) })
	slices.SortFunc(out, func(a, b billing.ParkedUsage) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Month.String(), b.Month.String()))
	})
	return out, ctx.Err()
}

func (t *billingTx) Statement(ctx context.Context, id string) (billing.Statement, error) {
	st, ok := t.statements.get(id)
	if !ok {
		return billing.Statement{}, fmt.Errorf("%w: statement %q", billing.ErrNotFound, id)
	}
	return st.Clone(), ctx.Err()
}

func (t *billingTx) Statements(ctx context.Context, f billing.StatementFilter) ([]billing.Statement, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	// A page keeps only the first f.Limit matches (a bounded max-heap by
	// key), so walking a listing page by page does not sort and copy the
	// rest of it on every page.
	var out []*billing.Statement
	h := &stmtHeap{}
	t.statements.each(func(_ string, st billing.Statement) {
		if !f.Match(st) {
			return
		}
		switch {
		case f.Limit <= 0:
			out = append(out, &st)
		case len(h.s) < f.Limit:
			heap.Push(h, &st)
		case st.Key().Compare(h.s[0].Key()) < 0: // compared before it is copied
			h.s[0] = &st
			heap.Fix(h, 0)
		}
	})
	if f.Limit > 0 {
		out = h.s
	}
	slices.SortFunc(out, func(a, b *billing.Statement) int { return a.Key().Compare(b.Key()) })
	res := make([]billing.Statement, len(out))
	for i, p := range out {
		res[i] = p.Clone()
	}
	return res, ctx.Err()
}

func (t *billingTx) Settlement(ctx context.Context, id string) (billing.Settlement, error) {
	st, ok := t.settlements.get(id)
	if !ok {
		return billing.Settlement{}, fmt.Errorf("%w: settlement %q", billing.ErrNotFound, id)
	}
	return st.Clone(), ctx.Err()
}

func (t *billingTx) Settlements(ctx context.Context, fy int) ([]billing.Settlement, error) {
	var out []billing.Settlement
	t.settlements.each(func(_ string, st billing.Settlement) {
		if fy == 0 || st.FiscalYear == fy {
			out = append(out, st.Clone())
		}
	})
	slices.SortFunc(out, func(a, b billing.Settlement) int {
		return cmp.Or(cmp.Compare(a.FiscalYear, b.FiscalYear), strings.Compare(a.ID, b.ID))
	})
	return out, ctx.Err()
}

func (t *billingTx) Budget(ctx context.Context, dept string, fy int) (billing.Budget, error) {
	b, ok := t.budgets.get(budgetKey{dept, fy})
	if !ok {
		return billing.Budget{}, fmt.Errorf("%w: budget of %s for %d", billing.ErrNotFound, dept, fy)
	}
	return b, ctx.Err()
}

func (t *billingTx) InsertItem(ctx context.Context, it billing.Item) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, ok := t.items.get(it.Code); ok {
		return fmt.Errorf("%w: item %s", billing.ErrExists, it.Code)
	}
	t.items.set(it.Code, cloneItem(it))
	return ctx.Err()
}

func (t *billingTx) AppendPrice(ctx context.Context, p billing.Price) error {
	if err := t.writable(); err != nil {
		return err
	}
	t.prices = append(t.prices, p)
	return ctx.Err()
}

func (t *billingTx) InsertUsage(ctx context.Context, r billing.UsageRecord) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, ok := t.usage.get(r.Key); ok {
		return fmt.Errorf("%w: usage %q", billing.ErrExists, r.Key)
	}
	t.usage.set(r.Key, r)
	return ctx.Err()
}

func (t *billingTx) PutParked(ctx context.Context, p billing.ParkedUsage) error {
	if err := t.writable(); err != nil {
		return err
	}
	t.parked.set(parkKey{p.Key, p.Month}, p)
	return ctx.Err()
}

func (t *billingTx) DeleteParked(ctx context.Context, key string, m billing.Month) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, ok := t.parked.get(parkKey{key, m}); ok {
		t.parked.remove(parkKey{key, m})
	}
	return ctx.Err()
}

func (t *billingTx) InsertStatement(ctx context.Context, s billing.Statement) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, ok := t.statements.get(s.ID); ok {
		return fmt.Errorf("%w: statement %q", billing.ErrExists, s.ID)
	}
	t.statements.set(s.ID, s.Clone())
	return ctx.Err()
}

func (t *billingTx) UpdateStatement(ctx context.Context, s billing.Statement) error {
	if err := t.writable(); err != nil {
		return err
	}
	old, ok := t.statements.get(s.ID)
	if !ok {
		return fmt.Errorf("%w: statement %q", billing.ErrNotFound, s.ID)
	}
	if old.Version != s.Version-1 {
		return fmt.Errorf("%w: statement %q: stored version %d, write of version %d", billing.ErrConflict, s.ID, old.Version, s.Version)
	}
	t.statements.set(s.ID, s.Clone())
	return ctx.Err()
}

func (t *billingTx) InsertSettlement(ctx context.Context, s billing.Settlement) error {
	if err := t.writable(); err != nil {
		return err
	}
	if _, ok := t.settlements.get(s.ID); ok {
		return fmt.Errorf("%w: settlement %q", billing.ErrExists, s.ID)
	}
	t.settlements.set(s.ID, s.Clone())
	return ctx.Err()
}

func (t *billingTx) UpdateSettlement(ctx context.Context, s billing.Settlement) error {
	if err := t.writable(); err != nil {
		return err
	}
	old, ok := t.settlements.get(s.ID)
	if !ok {
		return fmt.Errorf("%w: settlement %q", billing.ErrNotFound, s.ID)
	}
	if old.Version != s.Version-1 {
		return fmt.Errorf("%w: settlement %q: stored version %d, write of version %d", billing.ErrConflict, s.ID, old.Version, s.Version)
	}
	t.settlements.set(s.ID, s.Clone())
	return ctx.Err()
}

func (t *billingTx) PutBudget(ctx context.Context, b billing.Budget) error {
	if err := t.writable(); err != nil {
		return err
	}
	t.budgets.set(budgetKey{b.Department, b.FiscalYear}, b)
	return ctx.Err()
}

// stmtHeap is a max-heap of statements by listing key: its root is the
// last of the first Limit matches found so far.
type stmtHeap struct{ s []*billing.Statement }

func (h *stmtHeap) Len() int           { return len(h.s) }
func (h *stmtHeap) Less(i, j int) bool { return h.s[i].Key().Compare(h.s[j].Key()) > 0 }
func (h *stmtHeap) Swap(i, j int)      { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *stmtHeap) Push(x any)         { h.s = append(h.s, x.(*billing.Statement)) }
func (h *stmtHeap) Pop() any {
	x := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return x
}
