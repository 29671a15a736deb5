package billing

// KernelFloor walks us like RateBatch's main loop, doing everything but the
// arithmetic: each record's bucket, cell, interval and quantity checks, and a
// sum of the cell's fields in place of the amount (nothing is stored). It is
// the floor under RateBatch's figure that BenchmarkKernelFloor measures, and
// returns the records it would rate from a cell and a checksum.
func (r *Rater) KernelFloor(us []CompactUsage) (n int, sum uint64) {
	if r.ft == nil {
		return 0, 0
	}
	bt := r.ft.batchTables(r)
	if bt == nil {
		return 0, 0
	}
	for i := range us {
		u := &us[i]
		t, ci := bt.cellOf(u)
		cells := bt.cells
		if ci >= uint64(len(cells)) {
			continue
		}
		c := &cells[ci]
		a, b, q := t-uint64(c.from), uint64(u.End+bt.rel)-uint64(c.from), uint64(u.Quantity)
		if a >= b || b > uint64(c.tspan) || q > c.maxQ {
			continue
		}
		n++
		sum += a + b + q + c.price + c.rm + c.rh + c.m + uint64(c.add)
	}
	return n, sum
}
