// floor.c: how far exact rating from validated tables can come to a bare loop
// on this CPU, whatever the language. Issue 5 asks RateBatch to stay within 5×
// of a loop summing the same records' precomputed amounts; this program runs
// RateBatch's main-loop design in C, scalar and with AVX-512 gathers, next to
// that bare loop, so the Go figures (BenchmarkRateVsBare, BenchmarkKernelFloor)
// can be read against what a C compiler gets from the same work.
//
// Build and run (see README.md):
//
//	gcc -O2 -o /tmp/ratefloor floor.c && /tmp/ratefloor
//
// Records and cells have the layout of billing.CompactUsage and batchCell: a
// 40-byte record (key, quantity, start, end, amount), a 64-byte cell per key ×
// month (from, span, unit division magic, price, quantity bound, reciprocal),
// and a bucket table from a start second to its month. The tables are
// synthetic (ten keys, twelve 30-day months, day and hour units); the work per
// record is RateBatch's: find the bucket and cell, check that the record lies
// in the cell and its quantity under the bound, count units touched, multiply,
// divide exactly by multiply-shift, store, sum. Every kernel's amounts are
// checked against the scalar one.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	int32_t key, pad;
	int64_t q, start, end, amount;
} rec;

typedef struct {
	uint32_t from, tspan, elim, add;
	uint64_t m, price, maxq, rm, rh;
	uint8_t once, pad[7];
} cell;

enum { N = 4096, NCELL = 4096, NBUCKET = 8192, STRIDE = 13, RECIP_SHIFT = 19 };

static uint64_t buckets[NBUCKET];
static cell cells[NCELL];
static int64_t sq[N], ss[N], se[N], sa[N], skey[N]; // the records as arrays

static inline uint64_t udiv(uint64_t x, uint64_t m) { return ((x >> 4) * m) >> 40; }
static inline uint64_t mulhi(uint64_t a, uint64_t b) { return (uint64_t)(((unsigned __int128)a * b) >> 64); }

static int64_t bare(const rec *u, int n) {
	int64_t s = 0;
	for (int i = 0; i < n; i++) s += u[i].amount;
	return s;
}

static inline int cellof(const rec *u, uint64_t *t, uint64_t *ci) {
	*t = (uint64_t)u->start;
	uint64_t bk = buckets[(*t >> 16) & (NBUCKET - 1)];
	uint64_t mi = (bk >> 32) + (*t >= (uint32_t)bk);
	*ci = (uint64_t)(uint32_t)u->key * STRIDE + mi;
	return *ci < NCELL;
}

// skeleton: lookups and checks, no arithmetic, nothing stored.
static uint64_t skeleton(const rec *u, int n) {
	uint64_t s = 0;
	for (int j = 0; j < n; j++) {
		uint64_t t, ci;
		if (!cellof(&u[j], &t, &ci)) continue;
		const cell *c = &cells[ci];
		uint64_t a = t - c->from, b = (uint64_t)u[j].end - c->from, q = u[j].q;
		if (a >= b || b > c->tspan || q > c->maxq) continue;
		s += a + b + q + c->price + c->rm + c->rh + c->m + c->add;
	}
	return s;
}

// scalar: RateBatch's main loop.
static int64_t scalar(rec *u, int n, uint64_t *rest) {
	int64_t s = 0;
	*rest = 0;
	for (int j = 0; j < n; j++) {
		uint64_t t, ci;
		if (!cellof(&u[j], &t, &ci)) { *rest |= 1ull << (j & 63); continue; }
		const cell *c = &cells[ci];
		uint64_t a = t - c->from, b = (uint64_t)u[j].end - c->from, q = u[j].q;
		if (a >= b || b > c->tspan || q > c->maxq) { *rest |= 1ull << (j & 63); continue; }
		uint64_t num = udiv(b + c->add, c->m) - udiv(a, c->m);
		int64_t amt = (int64_t)(mulhi(q * c->price * num + c->rh, c->rm) >> RECIP_SHIFT);
		u[j].amount = amt;
		s += amt;
	}
	return s;
}

// hi64 of a·b for 64-bit lanes, from four 32×32 products.
__attribute__((target("avx512f,avx512dq"))) static inline __m512i mulhi8(__m512i a, __m512i b) {
	const __m512i lo32 = _mm512_set1_epi64(0xffffffff);
	__m512i ah = _mm512_srli_epi64(a, 32), bh = _mm512_srli_epi64(b, 32);
	__m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, bh), hl = _mm512_mul_epu32(ah, b), hh = _mm512_mul_epu32(ah, bh);
	__m512i mid = _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(ll, 32), _mm512_and_si512(lh, lo32)), _mm512_and_si512(hl, lo32));
	return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(mid, 32)), _mm512_add_epi64(_mm512_srli_epi64(lh, 32), _mm512_srli_epi64(hl, 32)));
}

// rate8 rates eight records given as lanes; ok comes back with the lanes rated.
__attribute__((target("avx512f,avx512dq"))) static inline __m512i rate8(__m512i key, __m512i q, __m512i t, __m512i e, __mmask8 *okp) {
	const __m512i lo32 = _mm512_set1_epi64(0xffffffff), z = _mm512_setzero_si512();
	__m512i bk = _mm512_i64gather_epi64(_mm512_and_si512(_mm512_srli_epi64(t, 16), _mm512_set1_epi64(NBUCKET - 1)), (const long long *)buckets, 8);
	__m512i mi = _mm512_srli_epi64(bk, 32);
	mi = _mm512_mask_add_epi64(mi, _mm512_cmpge_epu64_mask(t, _mm512_and_si512(bk, lo32)), mi, _mm512_set1_epi64(1));
	__m512i ci = _mm512_add_epi64(_mm512_mul_epu32(_mm512_and_si512(key, lo32), _mm512_set1_epi64(STRIDE)), mi);
	__mmask8 ok = _mm512_cmplt_epu64_mask(ci, _mm512_set1_epi64(NCELL));
	__m512i ix = _mm512_slli_epi64(ci, 3); // cells are 8 qwords
	const long long *cb = (const long long *)cells;
	__m512i ft = _mm512_mask_i64gather_epi64(z, ok, ix, cb, 8);
	__m512i ea = _mm512_mask_i64gather_epi64(z, ok, ix, cb + 1, 8);
	__m512i m = _mm512_mask_i64gather_epi64(z, ok, ix, cb + 2, 8);
	__m512i price = _mm512_mask_i64gather_epi64(z, ok, ix, cb + 3, 8);
	__m512i maxq = _mm512_mask_i64gather_epi64(z, ok, ix, cb + 4, 8);
	__m512i rm = _mm512_mask_i64gather_epi64(z, ok, ix, cb + 5, 8);
	__m512i rh = _mm512_mask_i64gather_epi64(z, ok, ix, cb + 6, 8);
	__m512i from = _mm512_and_si512(ft, lo32), tspan = _mm512_srli_epi64(ft, 32), add = _mm512_srli_epi64(ea, 32);
	__m512i a = _mm512_sub_epi64(t, from), b = _mm512_sub_epi64(e, from);
	ok = _mm512_mask_cmplt_epu64_mask(ok, a, b);
	ok = _mm512_mask_cmple_epu64_mask(ok, b, tspan);
	ok = _mm512_mask_cmple_epu64_mask(ok, q, maxq);
	__m512i n1 = _mm512_srli_epi64(_mm512_mullo_epi64(_mm512_srli_epi64(_mm512_add_epi64(b, add), 4), m), 40);
	__m512i n0 = _mm512_srli_epi64(_mm512_mullo_epi64(_mm512_srli_epi64(a, 4), m), 40);
	__m512i p = _mm512_add_epi64(_mm512_mullo_epi64(_mm512_mullo_epi64(q, price), _mm512_sub_epi64(n1, n0)), rh);
	*okp = ok;
	return _mm512_srli_epi64(mulhi8(p, rm), RECIP_SHIFT);
}

// gather: records read and written in place (gathers and a scatter).
__attribute__((target("avx512f,avx512dq"))) static int64_t gather(rec *u, int n) {
	const __m512i idx = _mm512_setr_epi64(0, 5, 10, 15, 20, 25, 30, 35); // qwords per record: 5
	__m512i sum = _mm512_setzero_si512();
	for (int j = 0; j < n; j += 8) {
		long long *base = (long long *)&u[j];
		__mmask8 ok;
		__m512i amt = rate8(_mm512_i64gather_epi64(idx, base, 8), _mm512_i64gather_epi64(idx, base + 1, 8),
		                    _mm512_i64gather_epi64(idx, base + 2, 8), _mm512_i64gather_epi64(idx, base + 3, 8), &ok);
		_mm512_mask_i64scatter_epi64(base + 4, ok, idx, amt, 8);
		sum = _mm512_mask_add_epi64(sum, ok, sum, amt);
	}
	return _mm512_reduce_add_epi64(sum);
}

// arrays: the same on records laid out as arrays, read and written with plain
// vector loads and stores: only the table lookups gather (a layout more
// favourable than RateBatch's, which takes records as structs).
__attribute__((target("avx512f,avx512dq"))) static int64_t arrays(int n) {
	__m512i sum = _mm512_setzero_si512();
	for (int j = 0; j < n; j += 8) {
		__mmask8 ok;
		__m512i amt = rate8(_mm512_loadu_si512(skey + j), _mm512_loadu_si512(sq + j), _mm512_loadu_si512(ss + j), _mm512_loadu_si512(se + j), &ok);
		_mm512_mask_storeu_epi64(sa + j, ok, amt);
		sum = _mm512_mask_add_epi64(sum, ok, sum, amt);
	}
	return _mm512_reduce_add_epi64(sum);
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void setup(rec *u) {
	const uint64_t month = 30 * 86400;
	for (uint64_t b = 0; b < NBUCKET; b++) {
		uint64_t lo = b << 16, mi = lo / month, end = (mi + 1) * month;
		buckets[b] = mi << 32 | (end < lo + 65536 ? end : 0xffffffffu);
	}
	for (int k = 0; k < 10; k++)
		for (int g = 0; g < 12; g++) {
			cell *c = &cells[k * STRIDE + g];
			uint64_t unit = k % 2 ? 3600 : 86400, d = k % 2 ? 720000 : 30000; // hours or days of a 30-day month, ×1000
			int sh = 20 - (64 - __builtin_clzll(d - 1));                        // scale d into (2^19, 2^20]
			d <<= sh;
			c->from = g * month, c->tspan = month, c->elim = c->from + month, c->add = unit - 1;
			c->m = ((1ull << 40) + (unit >> 4) - 1) / (unit >> 4);
			c->price = (uint64_t)(1000 + 7 * k) << sh;
			c->maxq = (INT64_MAX - (1 << 19)) / (c->price * 744);
			unsigned __int128 one = (unsigned __int128)1 << 83; // m = ⌈2^(63+20)/d⌉
			c->rm = (uint64_t)((one + d - 1) / d), c->rh = d / 2;
		}
	srand(1);
	for (int i = 0; i < N; i++) {
		int g = rand() % 12;
		u[i].key = rand() % 10, u[i].q = rand() % 64000 + 1;
		u[i].start = g * month + rand() % (28 * 86400), u[i].end = u[i].start + 1 + rand() % (36 * 3600);
		skey[i] = u[i].key, sq[i] = u[i].q, ss[i] = u[i].start, se[i] = u[i].end;
	}
}

int main(void) {
	rec *u = aligned_alloc(64, sizeof(rec) * N);
	setup(u);
	uint64_t rest;
	int64_t want = scalar(u, N, &rest);
	if (rest || want != bare(u, N)) { fprintf(stderr, "scalar: records left to the general path\n"); return 1; }
	rec *v = aligned_alloc(64, sizeof(rec) * N);
	memcpy(v, u, sizeof(rec) * N);
	for (int i = 0; i < N; i++) v[i].amount = 0;
	if (gather(v, N) != want || arrays(N) != want) { fprintf(stderr, "AVX-512 sums differ from scalar\n"); return 1; }
	for (int i = 0; i < N; i++)
		if (v[i].amount != u[i].amount || sa[i] != u[i].amount) { fprintf(stderr, "record %d: AVX-512 amount differs\n", i); return 1; }
	const int reps = 4000;
	volatile int64_t sink = 0;
	for (int round = 0; round < 3; round++) {
		double t[5] = {0};
		for (int r = 0; r < reps; r++) {
			double t0 = now();
			sink += bare(u, N);
			double t1 = now();
			sink += (int64_t)skeleton(u, N);
			double t2 = now();
			sink += scalar(u, N, &rest);
			double t3 = now();
			sink += gather(v, N);
			double t4 = now();
			sink += arrays(N);
			double t5 = now();
			t[0] += t1 - t0, t[1] += t2 - t1, t[2] += t3 - t2, t[3] += t4 - t3, t[4] += t5 - t4;
		}
		const char *name[5] = {"bare loop", "skeleton (no arithmetic)", "scalar kernel", "AVX-512, records in place", "AVX-512, records as arrays"};
		printf("round %d\n", round + 1);
		for (int k = 0; k < 5; k++) printf("  %-28s %6.3f ns/record  %5.1f× bare\n", name[k], t[k] * 1e9 / reps / N, t[k] / t[0]);
	}
	return 0;
}
