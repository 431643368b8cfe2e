package identity

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Agglomerate clusters unit vectors by average-linkage agglomerative
// clustering on cosine distance, merging while the closest pair of
// clusters is at most threshold apart. cannot lists index pairs that may
// never end in one cluster. It returns a cluster label per vector
// (0-based, dense, in order of each cluster's first vector).
//
// It relies on an identity of average linkage over unit vectors: the mean
// cosine distance between two clusters is 1 − (ΣA·ΣB)/(|A||B|), so a
// cluster is its vector sum and no distance matrix is kept. Average
// linkage is reducible (a merged cluster is never nearer to k than the
// nearer of its parts), so a pair further apart than threshold can never
// come closer: only pairs within threshold are stored (a sparse graph
// found by one parallel pass over all pairs), and a heap holding a lower
// bound of each cluster's nearest-neighbour distance, refreshed lazily
// when a stale bound comes out on top, yields the exact average-linkage
// merge order. Memory is O(n·dim + pairs within threshold).
func Agglomerate(ctx context.Context, vecs [][]float32, cannot [][2]int, threshold float64, workers int) ([]int, error) {
	n := len(vecs)
	labels := make([]int, n)
	if n == 0 {
		return labels, nil
	}
	dim := len(vecs[0])
	for i, v := range vecs {
		if len(v) != dim {
			return nil, fmt.Errorf("identity: vector %d has %d values, want %d", i, len(v), dim)
		}
	}
	workers = cmp.Or(workers, runtime.GOMAXPROCS(0))

	// Flat, normalised copy: cache friendly for the all-pairs pass.
	flat := make([]float32, n*dim)
	for i, v := range vecs {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		inv := 0.0
		if s > 0 {
			inv = 1 / math.Sqrt(s)
		}
		for k, x := range v {
			flat[i*dim+k] = float32(float64(x) * inv)
		}
	}

	// Clusters keep the id of one of their vectors: a merge kills one id
	// and the survivor's version moves on, which retires its heap edges.
	parent := make([]int32, n) // survivor a dead cluster merged into (-1: alive)
	for i := range parent {
		parent[i] = -1
	}
	root := func(i int32) int32 {
		r := i
		for parent[r] >= 0 {
			r = parent[r]
		}
		for parent[i] >= 0 { // path compression
			i, parent[i] = parent[i], r
		}
		return r
	}
	// Cannot-link, between live clusters. A merge re-points the smaller
	// side's entries to the survivor, so the total work stays O(m log n).
	cl := make([]map[int32]struct{}, n)
	for _, p := range cannot {
		a, b := int32(p[0]), int32(p[1])
		if a == b || a < 0 || b < 0 || int(a) >= n || int(b) >= n {
			continue
		}
		for _, x := range [][2]int32{{a, b}, {b, a}} {
			if cl[x[0]] == nil {
				cl[x[0]] = map[int32]struct{}{}
			}
			cl[x[0]][x[1]] = struct{}{}
		}
	}
	forbidden := func(a, b int32) bool {
		_, ok := cl[a][b]
		return ok
	}

	edges, err := closePairs(ctx, flat, n, dim, float32(threshold), workers, forbidden)
	if err != nil {
		return nil, err
	}

	size := make([]float64, n)
	sums := make([][]float64, n)
	dead := make([]bool, n)
	ver := make([]uint32, n)
	// nbr[k]: clusters within threshold of k with the distance, and the
	// partner's version when it was computed (stale once that moves on).
	nbr := make([][]nb, n)
	for i := range n {
		size[i] = 1
		s := make([]float64, dim)
		for k := range dim {
			s[k] = float64(flat[i*dim+k])
		}
		sums[i] = s
	}
	// Size the lists first: two passes cost less than append growth.
	deg := make([]int32, n)
	for _, es := range edges {
		for _, e := range es {
			deg[e.a]++
			deg[e.b]++
		}
	}
	for i := range nbr {
		nbr[i] = make([]nb, 0, deg[i])
	}
	for w, es := range edges {
		for _, e := range es {
			nbr[e.a] = append(nbr[e.a], nb{id: e.b, d: e.d})
			nbr[e.b] = append(nbr[e.b], nb{id: e.a, d: e.d})
		}
		edges[w] = nil
	}
	// The heap holds, per live cluster, a lower bound of the distance to
	// its nearest neighbour: merging never brings clusters closer (average
	// linkage is reducible), so a stale entry only underestimates and is
	// refreshed from the cluster's list when it comes out on top.
	var h edgeHeap
	best := func(k int32) {
		l := nbr[k][:0]
		var top nb
		found := false
		for _, x := range nbr[k] {
			if dead[x.id] || ver[x.id] != x.v {
				continue
			}
			l = append(l, x)
			if !found || x.d < top.d || (x.d == top.d && x.id < top.id) {
				top, found = x, true
			}
		}
		nbr[k] = l
		if found {
			h.push(edge{d: top.d, a: k, b: top.id, va: ver[k], vb: top.v})
		}
	}
	for k := range int32(n) {
		best(k)
	}

	stamp := make([]int32, n)
	round := int32(0)
	var cand []int32
	var ds []float32
	for len(h) > 0 {
		e := h.pop()
		if dead[e.a] || ver[e.a] != e.va {
			continue // a has changed since; its fresh entry is in the heap
		}
		if dead[e.b] || ver[e.b] != e.vb {
			best(e.a) // the partner changed: refresh a's bound
			continue
		}
		round++
		if round%512 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("identity: cluster: %w", err)
			}
		}
		// The survivor s keeps the larger cannot-link set.
		s, o := e.a, e.b
		if len(cl[s]) < len(cl[o]) {
			s, o = o, s
		}
		dead[o], parent[o] = true, s
		ver[s]++
		size[s] += size[o]
		ss := sums[s]
		for k, x := range sums[o] {
			ss[k] += x
		}
		sums[o] = nil
		for k := range cl[o] {
			delete(cl[k], o)
			cl[k][s] = struct{}{}
			if cl[s] == nil {
				cl[s] = map[int32]struct{}{}
			}
			cl[s][k] = struct{}{}
		}
		cl[o] = nil

		// Candidates: the live neighbours of both parts, once each.
		cand = cand[:0]
		stamp[s], stamp[o] = round, round
		for _, x := range [2]int32{s, o} {
			for _, k := range nbr[x] {
				if dead[k.id] || stamp[k.id] == round {
					continue
				}
				stamp[k.id] = round
				cand = append(cand, k.id)
			}
		}
		nbr[o] = nil
		if cap(ds) < len(cand) {
			ds = make([]float32, len(cand), 2*len(cand))
		}
		ds = ds[:len(cand)]
		dist := func(lo, hi int) {
			for c := lo; c < hi; c++ {
				k := cand[c]
				var dot float64
				sk := sums[k]
				for i, v := range ss {
					dot += v * sk[i]
				}
				ds[c] = float32(1 - dot/(size[s]*size[k]))
			}
		}
		if len(cand) >= 1024 && workers > 1 { // big clusters: spread the dot products
			var wg sync.WaitGroup
			step := (len(cand) + workers - 1) / workers
			for lo := 0; lo < len(cand); lo += step {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dist(lo, min(lo+step, len(cand)))
				}()
			}
			wg.Wait()
		} else {
			dist(0, len(cand))
		}
		keep := nbr[s][:0]
		for c, k := range cand {
			if forbidden(s, k) {
				continue
			}
			d := ds[c]
			if float64(d) <= threshold {
				keep = append(keep, nb{id: k, d: d, v: ver[k]})
				nbr[k] = append(nbr[k], nb{id: s, d: d, v: ver[s]})
			}
		}
		nbr[s] = keep
		best(s)
	}

	// Label each vector by its root, densely in order of first vector.
	dense := map[int32]int{}
	for i := range n {
		r := root(int32(i))
		l, ok := dense[r]
		if !ok {
			l = len(dense)
			dense[r] = l
		}
		labels[i] = l
	}
	return labels, nil
}

type edge struct {
	d      float32
	a, b   int32
	va, vb uint32 // versions of a and b when the distance was computed
}

// nb is a neighbour within threshold.
type nb struct {
	id int32
	d  float32
	v  uint32 // the neighbour's version when d was computed
}

// edgeHeap is a binary min-heap of edges by (d, a, b), without the
// interface calls of container/heap.
type edgeHeap []edge

func (e edge) less(f edge) bool {
	if e.d != f.d {
		return e.d < f.d
	}
	if e.a != f.a {
		return e.a < f.a
	}
	return e.b < f.b
}

func (h *edgeHeap) push(e edge) {
	*h = append(*h, e)
	q := *h
	i := len(q) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q[i].less(q[p]) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (h *edgeHeap) pop() edge {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].less(q[l]) {
			m = r
		}
		if !q[m].less(q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// pairD is a pair of vectors within threshold.
type pairD struct {
	a, b int32
	d    float32
}

// closePairs returns every pair i<j with cosine distance ≤ threshold that
// is not forbidden, computed by workers goroutines over interleaved rows;
// one slice per worker.
func closePairs(ctx context.Context, flat []float32, n, dim int, threshold float32, workers int, forbidden func(a, b int32) bool) ([][]pairD, error) {
	minDot := 1 - threshold
	out := make([][]pairD, workers)
	var wg sync.WaitGroup
	var canceled bool
	var mu sync.Mutex
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var es []pairD
			keep := func(i, j int, dot float32) {
				if dot >= minDot && !forbidden(int32(i), int32(j)) {
					es = append(es, pairD{a: int32(i), b: int32(j), d: 1 - dot})
				}
			}
			// Rows go in pairs (i, i+1), interleaved over the workers:
			// each pair is compared with four columns at a time, so every
			// value loaded serves two or four products.
			for i := 2 * w; i < n; i += 2 * workers {
				if ctx.Err() != nil {
					mu.Lock()
					canceled = true
					mu.Unlock()
					return
				}
				a0 := flat[i*dim : (i+1)*dim]
				if i+1 == n {
					for j := i + 1; j < n; j++ {
						keep(i, j, dot32(a0, flat[j*dim:(j+1)*dim]))
					}
					break
				}
				a1 := flat[(i+1)*dim : (i+2)*dim]
				keep(i, i+1, dot32(a0, a1))
				j := i + 2
				for ; j+4 <= n; j += 4 {
					d := dot2x4(a0, a1, flat[j*dim:(j+4)*dim])
					for k := range 4 {
						keep(i, j+k, d[k])
						keep(i+1, j+k, d[4+k])
					}
				}
				for ; j < n; j++ {
					b := flat[j*dim : (j+1)*dim]
					keep(i, j, dot32(a0, b))
					keep(i+1, j, dot32(a1, b))
				}
			}
			out[w] = es
		}()
	}
	wg.Wait()
	if canceled {
		return nil, fmt.Errorf("identity: cluster: %w", ctx.Err())
	}
	return out, nil
}

func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot2x4 returns the dot products of a0 and a1 with the four consecutive
// vectors in b (len(b) == 4·len(a0)): a0's four first, then a1's. Eight
// independent accumulators; six loads for eight products.
func dot2x4(a0, a1, b []float32) [8]float32 {
	d := len(a0)
	a1 = a1[:d]
	b = b[:4*d]
	b0, b1, b2, b3 := b[:d], b[d:2*d], b[2*d:3*d], b[3*d:]
	b1, b2, b3 = b1[:d], b2[:d], b3[:d]
	var s0, s1, s2, s3, t0, t1, t2, t3 float32
	for k, x := range a0 {
		y := a1[k]
		u0, u1, u2, u3 := b0[k], b1[k], b2[k], b3[k]
		s0 += x * u0
		s1 += x * u1
		s2 += x * u2
		s3 += x * u3
		t0 += y * u0
		t1 += y * u1
		t2 += y * u2
		t3 += y * u3
	}
	return [8]float32{s0, s1, s2, s3, t0, t1, t2, t3}
}
