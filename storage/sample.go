package storage

import "unsafe"

// Random sampling shared by the collection types (HRANDFIELD, SRANDMEMBER, SPOP). rnd(n)
// returns a uniform int in [0, n). Every helper's memory is bounded by the collection's
// size or the count asked for, whichever is smaller, so a huge count cannot make it
// allocate more than the data already takes.

// sampleIndices calls fn with count distinct indices of [0, n) chosen at random
// (0 < count < n), in random order, until fn returns false. Like Redis it copies the
// whole index range when count is close to n (a partial shuffle) and otherwise draws
// with rejection of repeats.
func sampleIndices(n, count int, rnd func(int) int, fn func(i int) bool) {
	if count*3 > n {
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		for i := range count {
			j := i + rnd(n-i)
			perm[i], perm[j] = perm[j], perm[i]
			if !fn(int(perm[i])) {
				return
			}
		}
		return
	}
	seen := make(map[int]struct{}, count)
	for len(seen) < count {
		i := rnd(n)
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		if !fn(i) {
			return
		}
	}
}

// sampleDict calls fn with count distinct elements of d chosen at random
// (0 < count < d.Len()), until fn returns false; the same strategy as sampleIndices.
func sampleDict[V any](d *Dict[V], count int, rnd func(int) int, fn func(k string, v V) bool) {
	n := d.Len()
	if count*3 > n {
		type kv struct {
			k string
			v V
		}
		all := make([]kv, 0, n)
		d.Each(func(k string, v V) bool {
			all = append(all, kv{k, v})
			return true
		})
		for i := range count {
			j := i + rnd(n-i)
			all[i], all[j] = all[j], all[i]
			if !fn(all[i].k, all[i].v) {
				return
			}
		}
		return
	}
	seen := make(map[string]struct{}, count)
	for len(seen) < count {
		k, v, _ := d.Random(rnd)
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		if !fn(k, v) {
			return
		}
	}
}

// dictMem estimates the bytes a Dict with n elements takes beyond its elements' own
// key and value data: the bucket array and one entry allocation per element.
func dictMem[V any](n int) int64 {
	buckets := minBuckets
	for buckets < n {
		buckets *= 2
	}
	entry := (int64(unsafe.Sizeof(dictEntry[V]{})) + 15) &^ 15
	return 24 + int64(buckets)*8 + int64(n)*entry
}

// allocSize rounds a string allocation of n bytes up to Go's smallest size classes.
func allocSize(n int) int64 {
	if n == 0 {
		return 0
	}
	return (int64(n) + 7) &^ 7
}
