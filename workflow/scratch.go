package workflow

import "sync"

// scratch is the working memory of one Engine call: the machine's firing context,
// the buffers of the canonical audit encoding, the audit details and the outbox
// payload, the record's attachments, and the one-element slices a transition
// usually commits. An Engine keeps scratches in a sync.Pool, so a transition
// allocates only what the returned application and the store's copies need.
//
// Everything in a scratch is handed to Store.Commit only for the duration of the
// call: the Store contract says values passed in are not retained (the store copies
// what it keeps), and the conformance suite checks it (workflowtest, InputsNotRetained).
type scratch struct {
	fc      firingCtx
	enc     []byte
	strs    []byte // the transition's new strings, before they become one
	payload []byte
	atts    []Attachment
	outbox  [1]Message
	newWO   [1]WorkOrder
	doneWO  [1]WorkOrder
	comp    Completion
	report  TestReport
}

// maxScratchBytes bounds the buffers a pooled scratch keeps: a transition with
// huge inputs does not pin its buffers in the pool.
const maxScratchBytes = 64 << 10

type scratchPool struct{ p sync.Pool }

func (sp *scratchPool) get() *scratch {
	if sc, ok := sp.p.Get().(*scratch); ok {
		return sc
	}
	return &scratch{enc: make([]byte, 0, 1024), strs: make([]byte, 0, 512), payload: make([]byte, 0, 1024), atts: make([]Attachment, 0, 8)}
}

// put pools sc for the next call. It resets the lengths but does not zero what the
// buffers held: the next call overwrites what it uses, and sync.Pool drops pooled
// scratches at the next garbage collections, so at most one transition's strings
// stay reachable a little longer. The context is cleared by destination.
func (sp *scratchPool) put(sc *scratch) {
	if cap(sc.enc) > maxScratchBytes || cap(sc.strs) > maxScratchBytes || cap(sc.payload) > maxScratchBytes || cap(sc.atts) > 256 {
		return
	}
	sc.enc, sc.strs, sc.payload, sc.atts = sc.enc[:0], sc.strs[:0], sc.payload[:0], sc.atts[:0]
	sp.p.Put(sc)
}
