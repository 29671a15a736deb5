package workflow

import "context"

// OutboxBatchAcker is the optional Store capability behind the batch
// acknowledgements of [Relay.DeliverOnce]: acknowledging the messages a
// subscriber handled in one store transaction instead of one transaction each.
// adapters/memstore and adapters/gormstore implement it; with a Store without it
// the Relay calls Store.Ack per message, as before.
//
// AckBatch applies each request of rs as Store.Ack would, in one transaction, and
// returns one error per request, in the order of rs: nil when the message is
// acknowledged (by this call or before it), or the error Ack would have returned
// for it alone (wrapping ErrLeaseLost or ErrNotFound). A request's error never
// undoes the others. A non-nil second result is a failure of the store itself (ctx
// done, a database error): nothing is acknowledged then, and the per-request
// errors are nil. An empty rs acknowledges nothing and returns no error.
type OutboxBatchAcker interface {
	AckBatch(ctx context.Context, rs []AckRequest) ([]error, error)
}
