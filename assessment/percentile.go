package assessment

import "math"

// Percentile returns the exact p-th percentile (0 < p ≤ 100) of xs by the
// nearest-rank method: the ⌈p/100·n⌉-th smallest value. It reorders xs in place
// (quickselect, O(n) expected) and allocates nothing, so a caller can reuse one
// buffer per resource window. It returns NaN for an empty slice.
func Percentile(xs []float64, p float64) float64 {
	n := len(xs)
	if n == 0 || !(p > 0 && p <= 100) {
		return math.NaN()
	}
	k := int(math.Ceil(p / 100 * float64(n)))
	if k < 1 {
		k = 1
	}
	if k > n {
		k = n
	}
	return selectK(xs, k-1)
}

// selectK returns the element that would be at index k after sorting xs ascending.
func selectK(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		// median-of-three pivot
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
}
