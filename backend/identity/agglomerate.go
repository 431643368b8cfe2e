package identity

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
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
// cluster is its vector sum and no distance matrix is kept. Because a
// merged cluster's distance to k is a weighted mean of its parts'
// distances to k, a pair further apart than threshold can never come
// closer; so only pairs within threshold are ever stored (a sparse graph
// found by one parallel pass over all pairs), and a heap over those edges
// gives the exact average-linkage merge order.
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

	// Clusters: ids 0..n-1 are the vectors, merges get n, n+1, ….
	total := 2*n - 1
	parent := make([]int32, total) // merged cluster of a dead one (-1: none)
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
	// Cannot-link: per cluster, the vectors it may never join; a merge
	// concatenates the lists and a check looks up the roots of the shorter.
	cl := make([][]int32, total)
	for _, p := range cannot {
		a, b := int32(p[0]), int32(p[1])
		if a == b || a < 0 || b < 0 || int(a) >= n || int(b) >= n {
			continue
		}
		cl[a] = append(cl[a], b)
		cl[b] = append(cl[b], a)
	}
	forbidden := func(a, b int32) bool {
		if len(cl[a]) > len(cl[b]) {
			a, b = b, a
		}
		for _, x := range cl[a] {
			if root(x) == b {
				return true
			}
		}
		return false
	}

	edges, err := closePairs(ctx, flat, n, dim, float32(threshold), workers, forbidden)
	if err != nil {
		return nil, err
	}

	size := make([]float64, total)
	sums := make([][]float64, total)
	dead := make([]bool, total)
	nbr := make([][]int32, total)
	for i := range n {
		size[i] = 1
		s := make([]float64, dim)
		for k := range dim {
			s[k] = float64(flat[i*dim+k])
		}
		sums[i] = s
	}
	for _, e := range edges {
		nbr[e.a] = append(nbr[e.a], e.b)
		nbr[e.b] = append(nbr[e.b], e.a)
	}
	h := edgeHeap(edges)
	heap.Init(&h)

	stamp := make([]int32, total)
	next := int32(n)
	merges := 0
	for h.Len() > 0 {
		e := heap.Pop(&h).(edge)
		if dead[e.a] || dead[e.b] {
			continue
		}
		if merges%512 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("identity: cluster: %w", err)
			}
		}
		merges++
		c := next
		next++
		dead[e.a], dead[e.b] = true, true
		parent[e.a], parent[e.b] = c, c
		size[c] = size[e.a] + size[e.b]
		s := sums[e.a]
		for k, x := range sums[e.b] {
			s[k] += x
		}
		sums[c], sums[e.a], sums[e.b] = s, nil, nil

		if len(cl[e.a]) < len(cl[e.b]) {
			cl[e.a], cl[e.b] = cl[e.b], cl[e.a]
		}
		cl[c], cl[e.a], cl[e.b] = append(cl[e.a], cl[e.b]...), nil, nil

		stamp[e.a], stamp[e.b], stamp[c] = c+1, c+1, c+1
		for _, x := range []int32{e.a, e.b} {
			for _, k := range nbr[x] {
				if dead[k] || stamp[k] == c+1 {
					continue
				}
				stamp[k] = c + 1
				if forbidden(c, k) {
					continue
				}
				var dot float64
				sk := sums[k]
				for i, v := range s {
					dot += v * sk[i]
				}
				d := 1 - dot/(size[c]*size[k])
				if d <= threshold {
					heap.Push(&h, edge{d: float32(d), a: c, b: k})
					nbr[c] = append(nbr[c], k)
					nbr[k] = append(nbr[k], c)
				}
			}
			nbr[x] = nil
		}
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
	d    float32
	a, b int32
}

type edgeHeap []edge

func (h edgeHeap) Len() int { return len(h) }
func (h edgeHeap) Less(i, j int) bool {
	x, y := h[i], h[j]
	if x.d != y.d {
		return x.d < y.d
	}
	if x.a != y.a {
		return x.a < y.a
	}
	return x.b < y.b
}
func (h edgeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *edgeHeap) Push(x any)   { *h = append(*h, x.(edge)) }
func (h *edgeHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// closePairs returns every pair i<j with cosine distance ≤ threshold that
// is not forbidden, computed by workers goroutines over interleaved rows.
func closePairs(ctx context.Context, flat []float32, n, dim int, threshold float32, workers int, forbidden func(a, b int32) bool) ([]edge, error) {
	minDot := 1 - threshold
	out := make([][]edge, workers)
	var wg sync.WaitGroup
	var canceled bool
	var mu sync.Mutex
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var es []edge
			for i := w; i < n; i += workers {
				if ctx.Err() != nil {
					mu.Lock()
					canceled = true
					mu.Unlock()
					return
				}
				a := flat[i*dim : (i+1)*dim]
				j := i + 1
				for ; j+4 <= n; j += 4 {
					d4 := dot4(a, flat[j*dim:(j+4)*dim])
					for k, dot := range d4 {
						if dot >= minDot {
							es = append(es, edge{d: 1 - dot, a: int32(i), b: int32(j + k)})
						}
					}
				}
				for ; j < n; j++ {
					dot := dot32(a, flat[j*dim:(j+1)*dim])
					if dot >= minDot {
						es = append(es, edge{d: 1 - dot, a: int32(i), b: int32(j)})
					}
				}
			}
			out[w] = es
		}()
	}
	wg.Wait()
	if canceled {
		return nil, fmt.Errorf("identity: cluster: %w", ctx.Err())
	}
	var all []edge
	for _, es := range out {
		for _, e := range es {
			if !forbidden(e.a, e.b) {
				all = append(all, e)
			}
		}
	}
	slices.SortFunc(all, func(x, y edge) int {
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
	})
	return all, nil
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

// dot4 returns the dot products of a with the four consecutive vectors
// in b (len(b) == 4·len(a)), loading each value of a once; two
// accumulators per row keep eight independent add chains in flight.
func dot4(a, b []float32) [4]float32 {
	d := len(a)
	b0, b1, b2, b3 := b[:d], b[d:2*d], b[2*d:3*d], b[3*d:4*d]
	var s0, s1, s2, s3, t0, t1, t2, t3 float32
	i := 0
	for ; i+2 <= d; i += 2 {
		x, y := a[i], a[i+1]
		s0 += x * b0[i]
		s1 += x * b1[i]
		s2 += x * b2[i]
		s3 += x * b3[i]
		t0 += y * b0[i+1]
		t1 += y * b1[i+1]
		t2 += y * b2[i+1]
		t3 += y * b3[i+1]
	}
	for ; i < d; i++ {
		x := a[i]
		s0 += x * b0[i]
		s1 += x * b1[i]
		s2 += x * b2[i]
		s3 += x * b3[i]
	}
	return [4]float32{s0 + t0, s1 + t1, s2 + t2, s3 + t3}
}
