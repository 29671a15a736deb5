package main

import (
	"errors"
	"fmt"
)

// The vendor section's balance: every work order opened is completed, still
// open at the dispatcher, or raised to the operator; anything else is a loss.
func ExampleVendorReport_Balance() {
	r := VendorReport{Created: 12, Completed: 9, Open: 2, Raised: 1, Observed: 9, InVendorState: 3}
	fmt.Println(r.Balance())
	r.Open = 1 // one work order vanished
	r.InVendorState = 2
	err := r.Balance()
	fmt.Println(errors.Is(err, ErrWorkOrderLost))
	fmt.Println(err)
	// Output:
	// <nil>
	// true
	// citysim: work orders do not balance: 12 created ≠ 9 completed + 1 open + 1 raised
}
