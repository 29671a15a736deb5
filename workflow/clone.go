package workflow

import "slices"

// Clone returns a deep copy of a.
func (a Application) Clone() Application {
	b := a
	b.Items = slices.Clone(a.Items)
	b.Materials = slices.Clone(a.Materials)
	b.TestReports = slices.Clone(a.TestReports)
	if a.Trial != nil {
		t := *a.Trial
		b.Trial = &t
	}
	if a.Change != nil {
		c := *a.Change
		c.Items = slices.Clone(a.Change.Items)
		b.Change = &c
	}
	return b
}

// Clone returns a deep copy of r.
func (r AuditRecord) Clone() AuditRecord {
	s := r
	s.Attachments = slices.Clone(r.Attachments)
	return s
}

// Clone returns a deep copy of c.
func (c Completion) Clone() Completion {
	d := c
	d.Attachments = slices.Clone(c.Attachments)
	return d
}

// Equal reports whether c and d are the same completion (Key, Note and Attachments).
func (c Completion) Equal(d Completion) bool {
	return c.Key == d.Key && c.Note == d.Note && slices.Equal(c.Attachments, d.Attachments)
}

// Clone returns a deep copy of w.
func (w WorkOrder) Clone() WorkOrder {
	v := w
	if w.Completion != nil {
		c := w.Completion.Clone()
		v.Completion = &c
	}
	return v
}

// Clone returns a deep copy of m.
func (m Message) Clone() Message {
	n := m
	n.Payload = slices.Clone(m.Payload)
	return n
}
