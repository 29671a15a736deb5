package assessment

import (
	"fmt"
	"sort"

	"github.com/opengovcloud/govcloud/workflow/calendar"
)

// SchemeSet holds the versions of one or more scheme families (by Scheme.ID) and
// picks the version in force on a date: the one with the latest EffectiveFrom on
// or before it. It is immutable after NewSchemeSet and safe for concurrent use.
type SchemeSet struct {
	byID map[string][]*Scheme // sorted by EffectiveFrom ascending
}

// NewSchemeSet validates every scheme and rejects two versions of the same family
// taking effect on the same date. All problems are reported together.
func NewSchemeSet(schemes ...*Scheme) (*SchemeSet, error) {
	set := &SchemeSet{byID: map[string][]*Scheme{}}
	var probs []Problem
	for i, s := range schemes {
		if s == nil {
			probs = append(probs, Problem{Path: fmt.Sprintf("schemes[%d]", i), Msg: "nil scheme", Err: ErrInvalidScheme})
			continue
		}
		if err := s.Validate(); err != nil {
			if se, ok := err.(*SchemeError); ok {
				for _, p := range se.Problems {
					p.Path = s.ID + "@" + s.Version + ":" + p.Path
					probs = append(probs, p)
				}
			}
			continue
		}
		set.byID[s.ID] = append(set.byID[s.ID], s)
	}
	for id, list := range set.byID {
		sort.SliceStable(list, func(i, j int) bool { return list[i].EffectiveFrom.Before(list[j].EffectiveFrom) })
		for i := 1; i < len(list); i++ {
			if list[i].EffectiveFrom == list[i-1].EffectiveFrom {
				probs = append(probs, Problem{Path: id, Err: ErrInvalidScheme,
					Msg: fmt.Sprintf("versions %q and %q both take effect on %s", list[i-1].Version, list[i].Version, list[i].EffectiveFrom)})
			}
		}
	}
	if len(probs) > 0 {
		return nil, &SchemeError{Problems: probs}
	}
	return set, nil
}

// InForce returns the version of family id in force on date on.
func (s *SchemeSet) InForce(id string, on calendar.Date) (*Scheme, error) {
	list := s.byID[id]
	for i := len(list) - 1; i >= 0; i-- {
		if !list[i].EffectiveFrom.After(on) {
			return list[i], nil
		}
	}
	return nil, fmt.Errorf("%w: scheme %q on %s", ErrNoSchemeInForce, id, on)
}

// Versions returns the versions of family id, oldest first.
func (s *SchemeSet) Versions(id string) []*Scheme {
	return append([]*Scheme(nil), s.byID[id]...)
}
