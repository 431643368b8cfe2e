package identity

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"castscope/backend/errs"
	"castscope/backend/track"
)

// OpKind names a curation operation.
type OpKind string

// The curation operations. The user makes them; Apply replays them.
const (
	OpRename  OpKind = "rename"   // Target gets Name
	OpMerge   OpKind = "merge"    // Other's tracks join Target; Target keeps its key
	OpMove    OpKind = "move"     // Tracks move to Target (a split when Target is a new person)
	OpNotThis OpKind = "not_this" // Tracks leave Target and become another, unnamed identity
	OpLock    OpKind = "lock"     // Target's track set is pinned to Target.Tracks
	OpUnlock  OpKind = "unlock"   // Target is no longer pinned
)

// Ref names a person in an operation: a stable key plus the tracks the
// identity had when the operation was made (the anchor that binds the key
// to a cluster of a later run).
type Ref struct {
	Person string  `json:"person"`
	Tracks []int64 `json:"tracks,omitempty"`
}

// Op is one curation operation. The log is append-only; Seq and At are
// the store's (informational: Apply replays in slice order).
type Op struct {
	Seq    int64     `json:"seq,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Kind   OpKind    `json:"kind"`
	Target Ref       `json:"target"`
	Other  *Ref      `json:"other,omitempty"`  // merge: the identity merged into Target
	Tracks []int64   `json:"tracks,omitempty"` // move, not_this
	Name   string    `json:"name,omitempty"`   // rename
	// Group is shared by the operations of one user action (a merge of
	// several people): the sequence number of its first; 0 alone.
	Group int64 `json:"group,omitempty"`
	// Anchors holds, for each track the operation names, a few of the
	// track's detections when the operation was made (AnchorOf): what
	// Rebind finds the same face by after a new track run renumbered the
	// tracks. Absent in operations stored before anchors existed.
	Anchors map[int64][]Sample `json:"anchors,omitempty"`
}

// Log is the curation log of one episode: operations in order. Its
// methods build operations against the identities the user sees, append
// them and return them (for the store to persist). When Tracks holds the
// episode's current tracks, each operation records the anchors of the
// tracks it names (Op.Anchors); Ops should then be rebound to the same
// tracks (Rebind), so that keys are reused by the tracks' current ids.
type Log struct {
	Ops    []Op
	Tracks []track.Track

	byID map[int64]*track.Track
}

// key returns id's person key, or a new one unique within the log. An
// identity shown before the latest operations were applied has no key yet
// although an operation already named it: that operation anchored the
// same tracks, and its key is reused.
func (l *Log) key(id Identity, suffix string) string {
	if id.Person != "" {
		return id.Person
	}
	if len(id.TrackIDs) > 0 {
		want := slices.Sorted(slices.Values(id.TrackIDs))
		for i := len(l.Ops) - 1; i >= 0; i-- {
			refs := []*Ref{&l.Ops[i].Target, l.Ops[i].Other}
			for _, r := range refs {
				if r != nil && r.Person != "" && slices.Equal(slices.Sorted(slices.Values(r.Tracks)), want) {
					return r.Person
				}
			}
		}
	}
	return fmt.Sprintf("p%d%s", len(l.Ops)+1, suffix)
}

func (l *Log) ref(id Identity, suffix string) Ref {
	return Ref{Person: l.key(id, suffix), Tracks: slices.Clone(id.TrackIDs)}
}

func (l *Log) add(op Op) Op {
	if l.byID == nil && len(l.Tracks) > 0 {
		l.byID = make(map[int64]*track.Track, len(l.Tracks))
		for i := range l.Tracks {
			l.byID[l.Tracks[i].ID] = &l.Tracks[i]
		}
	}
	op = anchor(op, l.byID)
	l.Ops = append(l.Ops, op)
	return op
}

// Rename names an identity.
func (l *Log) Rename(id Identity, name string) Op {
	return l.add(Op{Kind: OpRename, Target: l.ref(id, ""), Name: name})
}

// Merge merges from into into.
func (l *Log) Merge(into, from Identity) Op {
	other := l.ref(from, "b")
	return l.add(Op{Kind: OpMerge, Target: l.ref(into, "a"), Other: &other})
}

// Move moves tracks into an existing identity.
func (l *Log) Move(tracks []int64, to Identity) Op {
	return l.add(Op{Kind: OpMove, Target: l.ref(to, ""), Tracks: slices.Clone(tracks)})
}

// Split moves tracks out into a new identity (optionally named).
func (l *Log) Split(tracks []int64, name string) Op {
	return l.add(Op{Kind: OpMove, Target: Ref{Person: l.key(Identity{}, "")}, Tracks: slices.Clone(tracks), Name: name})
}

// NotThisPerson takes tracks out of an identity.
func (l *Log) NotThisPerson(id Identity, tracks []int64) Op {
	return l.add(Op{Kind: OpNotThis, Target: l.ref(id, ""), Tracks: slices.Clone(tracks)})
}

// Lock pins an identity's current tracks and name.
func (l *Log) Lock(id Identity) Op {
	return l.add(Op{Kind: OpLock, Target: l.ref(id, "")})
}

// Unlock releases a lock.
func (l *Log) Unlock(id Identity) Op {
	return l.add(Op{Kind: OpUnlock, Target: l.ref(id, "")})
}

// Undo drops the last operation and returns it; false if the log is empty.
func (l *Log) Undo() (Op, bool) {
	if len(l.Ops) == 0 {
		return Op{}, false
	}
	op := l.Ops[len(l.Ops)-1]
	l.Ops = l.Ops[:len(l.Ops)-1]
	return op, true
}

// Validate checks an operation before it is stored; the error is typed
// (ERR_USAGE) for the user.
func (op Op) Validate() error {
	bad := func(msg string) error {
		return errs.New(errs.Usage, msg, "Reload the Cast view and try again.")
	}
	if op.Target.Person == "" {
		return bad("The curation step names no person.")
	}
	switch op.Kind {
	case OpRename:
		if op.Name == "" {
			return bad("A name cannot be empty.")
		}
	case OpMerge:
		if op.Other == nil || op.Other.Person == "" {
			return bad("A merge needs two people.")
		}
	case OpMove, OpNotThis:
		if len(op.Tracks) == 0 {
			return bad("Select at least one track.")
		}
	case OpLock, OpUnlock:
	default:
		return bad(fmt.Sprintf("Unknown curation step %q.", op.Kind))
	}
	return nil
}

// Apply replays the curation log on a fresh clustering of tracks. Each
// person key binds, the first time an operation names it, to the cluster
// sharing most of the operation's anchor tracks; when that cluster is
// already another person's, the anchor tracks are taken out into a new
// identity, since two curated people are two people. Later operations on
// the key act on that identity. Invalid operations are skipped. The
// operations' track ids are first rebound to tracks (Rebind), so an
// operation made before a new track run acts on the same faces.
func Apply(res Result, tracks []track.Track, ops []Op) Result {
	ops = Rebind(ops, tracks)
	byID := make(map[int64]*track.Track, len(tracks))
	for i := range tracks {
		byID[tracks[i].ID] = &tracks[i]
	}
	r := replay{bound: map[string]*group{}, of: map[int64]*group{}, known: byID}
	for _, id := range res.Identities {
		g := &group{tracks: setOf(id.TrackIDs)}
		r.groups = append(r.groups, g)
		for t := range g.tracks {
			r.of[t] = g
		}
	}
	for _, op := range ops {
		if op.Validate() != nil {
			continue
		}
		r.apply(op)
	}
	out := finish(r.groups, byID)
	out.Metrics.CannotLinks = res.Metrics.CannotLinks
	return out
}

type replay struct {
	groups []*group
	bound  map[string]*group // person key (or merged alias) → group
	of     map[int64]*group  // track → group; absent: unidentified
	known  map[int64]*track.Track
}

func (r *replay) newGroup() *group {
	g := &group{tracks: map[int64]bool{}}
	r.groups = append(r.groups, g)
	return g
}

func (r *replay) moveTo(t int64, g *group) {
	if r.known[t] == nil {
		return
	}
	if old := r.of[t]; old != nil {
		delete(old.tracks, t)
	}
	if g == nil {
		delete(r.of, t)
		return
	}
	g.tracks[t] = true
	r.of[t] = g
}

func (r *replay) resolve(ref Ref) *group {
	if g, ok := r.bound[ref.Person]; ok {
		return g
	}
	// The cluster sharing most anchor tracks; if that one is already
	// someone else's, the anchor tracks leave it as a person of their own.
	overlap := map[*group]int{}
	for _, t := range ref.Tracks {
		if g := r.of[t]; g != nil {
			overlap[g]++
		}
	}
	var best *group
	bestN, bestMin := 0, int64(0)
	for g, n := range overlap {
		m := minKey(g.tracks)
		if n > bestN || (n == bestN && m < bestMin) {
			best, bestN, bestMin = g, n, m
		}
	}
	if best == nil || best.person != "" {
		best = r.newGroup()
		for _, t := range ref.Tracks {
			r.moveTo(t, best)
		}
	}
	best.person = ref.Person
	r.bound[ref.Person] = best
	return best
}

func minKey(m map[int64]bool) int64 {
	first := true
	var v int64
	for k := range m {
		if first || k < v {
			v, first = k, false
		}
	}
	return v
}

func (r *replay) apply(op Op) {
	switch op.Kind {
	case OpRename:
		r.resolve(op.Target).name = op.Name
	case OpMerge:
		g := r.resolve(op.Target)
		o := r.resolve(*op.Other)
		if g == o {
			return
		}
		for _, t := range sortedKeys(o.tracks) {
			r.moveTo(t, g)
		}
		g.name = cmp.Or(g.name, o.name)
		g.locked = g.locked || o.locked
		for k, b := range r.bound {
			if b == o {
				r.bound[k] = g
			}
		}
	case OpMove:
		g := r.resolve(op.Target)
		if op.Name != "" {
			g.name = op.Name
		}
		for _, t := range op.Tracks {
			r.moveTo(t, g)
		}
	case OpNotThis:
		g := r.resolve(op.Target)
		var out *group
		for _, t := range op.Tracks {
			if r.of[t] != g {
				continue
			}
			if out == nil {
				out = r.newGroup()
			}
			r.moveTo(t, out)
		}
	case OpLock:
		g := r.resolve(op.Target)
		g.locked = true
		if len(op.Target.Tracks) == 0 {
			return
		}
		want := setOf(op.Target.Tracks)
		var out *group
		for _, t := range sortedKeys(g.tracks) {
			if want[t] {
				continue
			}
			if out == nil {
				out = r.newGroup()
			}
			r.moveTo(t, out)
		}
		for _, t := range op.Target.Tracks {
			r.moveTo(t, g)
		}
	case OpUnlock:
		r.resolve(op.Target).locked = false
	}
}

func sortedKeys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
