#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "detect/lstm_fast.h"
#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#endif
#include "base/banned.h"

#define MR 6            /* rows per micro-kernel */
#define TILE 48         /* rows per tile (a multiple of MR) */

void lstm_fast_init(struct lstm_fast *f, const struct lstm *m)
{
	const struct lstm_shape *sh = &m->sh;
	size_t H = (size_t)sh->nhid, off = 0;

	memset(f, 0, sizeof(*f));
	f->sh = *sh;
	for (int l = 0; l < sh->nlayers; l++) {
		size_t I = (size_t)(l ? sh->nhid : sh->nin), K = I + H;
		f->wt[l] = aligned_alloc(32, ((K * 4 * H * sizeof(float)) + 31) & ~(size_t)31);
		f->b[l] = aligned_alloc(32, ((4 * H * sizeof(float)) + 31) & ~(size_t)31);
		if (!f->wt[l] || !f->b[l])
			abort();
		for (size_t r = 0; r < 4 * H; r++)
			for (size_t k = 0; k < K; k++)
				f->wt[l][k * 4 * H + r] = (float)m->p[off + r * K + k];
		if (H % 4 == 0) {
			f->ws[l] = aligned_alloc(32, ((K * 4 * H * sizeof(float)) + 31) & ~(size_t)31);
			f->bs[l] = aligned_alloc(32, ((4 * H * sizeof(float)) + 31) & ~(size_t)31);
			if (!f->ws[l] || !f->bs[l])
				abort();
			/* gate g of hidden unit u goes to column 16 (u / 4) + 4 g + u % 4 */
			for (size_t r = 0; r < 4 * H; r++) {
				size_t g = r / H, u = r % H, col = 16 * (u / 4) + 4 * g + u % 4;
				for (size_t k = 0; k < K; k++)
					f->ws[l][k * 4 * H + col] = (float)m->p[off + r * K + k];
				f->bs[l][col] = (float)m->p[off + 4 * H * K + r];
			}
		}
		if (H % 8 == 0) {
			f->wz[l] = aligned_alloc(64, ((K * 4 * H * sizeof(float)) + 63) & ~(size_t)63);
			f->bz[l] = aligned_alloc(64, ((4 * H * sizeof(float)) + 63) & ~(size_t)63);
			if (!f->wz[l] || !f->bz[l])
				abort();
			/* 32-column blocks: i, f, g, o of hidden units u..u+7 */
			for (size_t r = 0; r < 4 * H; r++) {
				size_t g = r / H, u = r % H, col = 32 * (u / 8) + 8 * g + u % 8;
				for (size_t k = 0; k < K; k++)
					f->wz[l][k * 4 * H + col] = (float)m->p[off + r * K + k];
				f->bz[l][col] = (float)m->p[off + 4 * H * K + r];
			}
		}
		off += 4 * H * K;
		for (size_t r = 0; r < 4 * H; r++)
			f->b[l][r] = (float)m->p[off + r];
		off += 4 * H;
	}
	f->wy = xmalloc((size_t)sh->nout * H * sizeof(float));
	f->by = xmalloc((size_t)sh->nout * sizeof(float));
	for (size_t i = 0; i < (size_t)sh->nout * H; i++)
		f->wy[i] = (float)m->p[off + i];
	for (int j = 0; j < sh->nout; j++)
		f->by[j] = (float)m->p[off + (size_t)sh->nout * H + (size_t)j];
#ifdef HAVE_X86
	/* the AVX2 kernel takes 4 hidden units at a time, the AVX-512 one 8 */
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && H % 4 == 0)
		f->simd = 1;
	if (f->simd && __builtin_cpu_supports("avx512f") && H % 8 == 0)
		f->simd = 2;
#endif
	f->simd_max = f->simd;
}

void lstm_fast_portable(struct lstm_fast *f)
{
	f->simd = 0;
}

int lstm_fast_set_simd(struct lstm_fast *f, int level)
{
	f->simd = level < f->simd_max ? (level < 0 ? 0 : level) : f->simd_max;
	return f->simd;
}

void lstm_fast_release(struct lstm_fast *f)
{
	if (!f)
		return;
	for (int l = 0; l < LSTM_MAX_LAYERS; l++) {
		free(f->wt[l]);
		free(f->b[l]);
		free(f->ws[l]);
		free(f->bs[l]);
		free(f->wz[l]);
		free(f->bz[l]);
	}
	free(f->wy);
	free(f->by);
	memset(f, 0, sizeof(*f));
}

double lstm_fast_flops(const struct lstm_shape *sh, int T)
{
	double fl = 0, H = sh->nhid;

	for (int l = 0; l < sh->nlayers; l++)
		fl += (double)T * 2.0 * 4 * H * ((l ? H : sh->nin) + H);
	return fl + 2.0 * sh->nout * H;
}

static float sigmf(float v)
{
	return 1.0f / (1.0f + expf(-v));
}

/* G[r][:] = b + A[r][:] . Wt for rows of a tile (portable). */
static void gemm_portable(const float *A, size_t K, const float *Wt, const float *b,
			  size_t N, float *G, size_t rows)
{
	for (size_t r = 0; r < rows; r++) {
		float *g = G + r * N;
		memcpy(g, b, N * sizeof(float));
		for (size_t k = 0; k < K; k++) {
			float a = A[r * K + k];
			const float *w = Wt + k * N;
			for (size_t j = 0; j < N; j++)
				g[j] += a * w[j];
		}
	}
}

/* State update from activated-on-the-fly gates (portable). */
static void cell_portable(float *G, size_t N, size_t H, float *c, float *h, size_t rows)
{
	for (size_t r = 0; r < rows; r++) {
		float *g = G + r * N;
		for (size_t j = 0; j < H; j++) {
			float gi = sigmf(g[j]), gf = sigmf(g[H + j]), gg = tanhf(g[2 * H + j]);
			float go = sigmf(g[3 * H + j]);
			float cn = gf * c[r * H + j] + gi * gg;
			c[r * H + j] = cn;
			h[r * H + j] = go * tanhf(cn);
		}
	}
}

#ifdef HAVE_X86
__attribute__((target("avx2,fma")))
static inline __m256 exp256(__m256 x)
{
	/* Cephes-style expf: 2^n * p(r), |r| <= ln2/2; relative error ~2e-7 */
	const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-87.3f);
	__m256 fx, r, p, n;
	__m256i e;

	x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
	fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
	n = _mm256_floor_ps(fx);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
	p = _mm256_set1_ps(1.9875691500E-4f);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
	p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
	e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
	return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

__attribute__((target("avx2,fma")))
static inline __m256 sigm256(__m256 x)
{
	/* 1 / d by the reciprocal estimate and one Newton step (about 23 bits) */
	const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
	__m256 d = _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), x)));
	__m256 r = _mm256_rcp_ps(d);
	return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, two));
}

__attribute__((target("avx2,fma")))
static inline __m256 tanh256(__m256 x)
{
	/* tanh x = 2 sigmoid(2x) - 1 */
	const __m256 two = _mm256_set1_ps(2.0f);
	return _mm256_fmsub_ps(two, sigm256(_mm256_mul_ps(two, x)), _mm256_set1_ps(1.0f));
}

/*
 * G = b + A . Wt for `rows` rows (a multiple of MR) and the first ncols
 * columns (a multiple of 16) of Wt, whose rows are N floats apart; G's rows
 * are ncols floats apart.
 */
__attribute__((target("avx2,fma"), always_inline))
static inline void gemm_avx2(const float *A, size_t K, const float *Wt, const float *b,
			     size_t N, float *G, size_t rows, size_t ncols)
{
	for (size_t r = 0; r < rows; r += MR) {
		const float *a0 = A + r * K;
		for (size_t j = 0; j < ncols; j += 16) {
			__m256 b0 = _mm256_loadu_ps(b + j), b1 = _mm256_loadu_ps(b + j + 8);
			__m256 c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1;
			__m256 c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1;
			const float *w = Wt + j;
			for (size_t k = 0; k < K; k++, w += N) {
				__m256 w0 = _mm256_load_ps(w), w1 = _mm256_load_ps(w + 8), a;
				a = _mm256_broadcast_ss(a0 + k);
				c00 = _mm256_fmadd_ps(a, w0, c00); c01 = _mm256_fmadd_ps(a, w1, c01);
				a = _mm256_broadcast_ss(a0 + K + k);
				c10 = _mm256_fmadd_ps(a, w0, c10); c11 = _mm256_fmadd_ps(a, w1, c11);
				a = _mm256_broadcast_ss(a0 + 2 * K + k);
				c20 = _mm256_fmadd_ps(a, w0, c20); c21 = _mm256_fmadd_ps(a, w1, c21);
				a = _mm256_broadcast_ss(a0 + 3 * K + k);
				c30 = _mm256_fmadd_ps(a, w0, c30); c31 = _mm256_fmadd_ps(a, w1, c31);
				a = _mm256_broadcast_ss(a0 + 4 * K + k);
				c40 = _mm256_fmadd_ps(a, w0, c40); c41 = _mm256_fmadd_ps(a, w1, c41);
				a = _mm256_broadcast_ss(a0 + 5 * K + k);
				c50 = _mm256_fmadd_ps(a, w0, c50); c51 = _mm256_fmadd_ps(a, w1, c51);
			}
			float *g = G + r * ncols + j;
			_mm256_storeu_ps(g, c00); _mm256_storeu_ps(g + 8, c01); g += ncols;
			_mm256_storeu_ps(g, c10); _mm256_storeu_ps(g + 8, c11); g += ncols;
			_mm256_storeu_ps(g, c20); _mm256_storeu_ps(g + 8, c21); g += ncols;
			_mm256_storeu_ps(g, c30); _mm256_storeu_ps(g + 8, c31); g += ncols;
			_mm256_storeu_ps(g, c40); _mm256_storeu_ps(g + 8, c41); g += ncols;
			_mm256_storeu_ps(g, c50); _mm256_storeu_ps(g + 8, c51);
		}
	}
}

/*
 * The fused step: gates for 6 rows x 4 hidden units at a time straight from
 * the accumulators into the cell update, so the gate matrix never goes to
 * memory. Wt's columns are interleaved (see lstm_fast_init): block j/4 holds
 * i, f, g, o of hidden units j..j+3, so one 16-column block is
 * [i0-3 f0-3] [g0-3 o0-3]. rows is a multiple of MR.
 */
__attribute__((target("avx2,fma")))
static void step_fused_avx2(const float *A, size_t K, const float *Wt, const float *b,
			    size_t N, size_t H, float *c, float *h1, size_t ld1, float *h2,
			    size_t ld2, size_t rows)
{
	/* g lanes: tanh x = 2 sigmoid(2x) - 1; o lanes: sigmoid */
	const __m256 sc = _mm256_setr_ps(2, 2, 2, 2, 1, 1, 1, 1);
	const __m256 sh = _mm256_setr_ps(1, 1, 1, 1, 0, 0, 0, 0);
	const __m256 two = _mm256_set1_ps(2.0f), one = _mm256_set1_ps(1.0f);
	float G[MR * 16] __attribute__((aligned(32)));

	for (size_t r = 0; r < rows; r += MR) {
		for (size_t j = 0; j < N; j += 16) {
			__m256 cn[MR / 2];
			__m128 o[MR];
			size_t u = j / 4;       /* first hidden unit of the block */
			/* the 6 x 16 block of gates, through L1 */
			gemm_avx2(A + r * K, K, Wt + j, b + j, N, G, MR, 16);
			for (int q = 0; q < MR; q++) {
				__m256 s0 = sigm256(_mm256_load_ps(G + q * 16));
				__m256 s1 = _mm256_fmsub_ps(sc, sigm256(_mm256_mul_ps(sc, _mm256_load_ps(G + q * 16 + 8))), sh);
				float *cp = c + (r + (size_t)q) * H + u;
				__m128 cv = _mm_fmadd_ps(_mm256_extractf128_ps(s0, 1), _mm_loadu_ps(cp),
							 _mm_mul_ps(_mm256_castps256_ps128(s0),
								    _mm256_castps256_ps128(s1)));
				_mm_storeu_ps(cp, cv);
				o[q] = _mm256_extractf128_ps(s1, 1);
				if (q & 1)
					cn[q / 2] = _mm256_insertf128_ps(cn[q / 2], cv, 1);
				else
					cn[q / 2] = _mm256_castps128_ps256(cv);
			}
			for (int q = 0; q < MR / 2; q++) {
				__m256 t = _mm256_fmsub_ps(two, sigm256(_mm256_mul_ps(two, cn[q])), one);
				__m128 v0 = _mm_mul_ps(o[2 * q], _mm256_castps256_ps128(t));
				__m128 v1 = _mm_mul_ps(o[2 * q + 1], _mm256_extractf128_ps(t, 1));
				size_t r0 = r + 2 * (size_t)q;
				_mm_storeu_ps(h1 + r0 * ld1 + u, v0);
				_mm_storeu_ps(h1 + (r0 + 1) * ld1 + u, v1);
				_mm_storeu_ps(h2 + r0 * ld2 + u, v0);
				_mm_storeu_ps(h2 + (r0 + 1) * ld2 + u, v1);
			}
		}
	}
}


__attribute__((target("avx512f,avx2,fma")))
static inline __m512 exp512(__m512 x)
{
	/* 2^n * p(r) with the scaling by 2^n done by vscalefps */
	const __m512 hi = _mm512_set1_ps(88.3762626647949f), lo = _mm512_set1_ps(-87.3f);
	__m512 n, r, p;

	x = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
	n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
				 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
	r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
	/* degree 5 (relative error below 3e-6, far inside the 1e-4 the
	 * outputs are held to) */
	p = _mm512_set1_ps(8.3334519073E-3f);
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
	p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
	p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
	return _mm512_scalef_ps(p, n);
}

__attribute__((target("avx512f,avx2,fma")))
static inline __m512 sigm512(__m512 x)
{
	const __m512 one = _mm512_set1_ps(1.0f), two = _mm512_set1_ps(2.0f);
	__m512 d = _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x)));
	__m512 r = _mm512_rcp14_ps(d);
	return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, two));
}

__attribute__((target("avx512f,avx2,fma")))
static inline __m256 hi256(__m512 v)
{
	return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/*
 * The AVX-512 fused step: 6 rows x 8 hidden units (32 gate columns, Wt in
 * the wz layout: [i0-7 f0-7] [g0-7 o0-7]) per block, gates straight from
 * the accumulators into the cell update. rows is a multiple of MR.
 */
__attribute__((target("avx512f,avx2,fma")))
static void step_fused_avx512(const float *A, size_t K, const float *Wt, const float *b,
			      size_t N, size_t H, float *c, float *h1, size_t ld1, float *h2,
			      size_t ld2, size_t rows)
{
	const __m512 sc = _mm512_setr_ps(2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1);
	const __m512 sh = _mm512_setr_ps(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m512 two = _mm512_set1_ps(2.0f), one = _mm512_set1_ps(1.0f);

	for (size_t r = 0; r < rows; r += MR) {
		const float *a0 = A + r * K;
		for (size_t j = 0; j < N; j += 32) {
			__m512 b0 = _mm512_loadu_ps(b + j), b1 = _mm512_loadu_ps(b + j + 16);
			__m512 c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1;
			__m512 c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1;
			__m512 acc[MR][2], cn[MR / 2];
			__m256 o[MR];
			const float *w = Wt + j;
			size_t u = j / 4;
			for (size_t k = 0; k < K; k++, w += N) {
				__m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + 16), a;
				a = _mm512_set1_ps(a0[k]);
				c00 = _mm512_fmadd_ps(a, w0, c00); c01 = _mm512_fmadd_ps(a, w1, c01);
				a = _mm512_set1_ps(a0[K + k]);
				c10 = _mm512_fmadd_ps(a, w0, c10); c11 = _mm512_fmadd_ps(a, w1, c11);
				a = _mm512_set1_ps(a0[2 * K + k]);
				c20 = _mm512_fmadd_ps(a, w0, c20); c21 = _mm512_fmadd_ps(a, w1, c21);
				a = _mm512_set1_ps(a0[3 * K + k]);
				c30 = _mm512_fmadd_ps(a, w0, c30); c31 = _mm512_fmadd_ps(a, w1, c31);
				a = _mm512_set1_ps(a0[4 * K + k]);
				c40 = _mm512_fmadd_ps(a, w0, c40); c41 = _mm512_fmadd_ps(a, w1, c41);
				a = _mm512_set1_ps(a0[5 * K + k]);
				c50 = _mm512_fmadd_ps(a, w0, c50); c51 = _mm512_fmadd_ps(a, w1, c51);
			}
			acc[0][0] = c00; acc[0][1] = c01; acc[1][0] = c10; acc[1][1] = c11;
			acc[2][0] = c20; acc[2][1] = c21; acc[3][0] = c30; acc[3][1] = c31;
			acc[4][0] = c40; acc[4][1] = c41; acc[5][0] = c50; acc[5][1] = c51;
			for (int q = 0; q < MR; q++) {
				__m512 s0 = sigm512(acc[q][0]);
				__m512 s1 = _mm512_fmsub_ps(sc, sigm512(_mm512_mul_ps(sc, acc[q][1])), sh);
				float *cp = c + (r + (size_t)q) * H + u;
				__m256 cv = _mm256_fmadd_ps(hi256(s0), _mm256_loadu_ps(cp),
							    _mm256_mul_ps(_mm512_castps512_ps256(s0),
									  _mm512_castps512_ps256(s1)));
				_mm256_storeu_ps(cp, cv);
				o[q] = hi256(s1);
				if (q & 1)
					cn[q / 2] = _mm512_castpd_ps(_mm512_insertf64x4(
						_mm512_castps_pd(cn[q / 2]), _mm256_castps_pd(cv), 1));
				else
					cn[q / 2] = _mm512_castps256_ps512(cv);
			}
			for (int q = 0; q < MR / 2; q++) {
				__m512 t = _mm512_fmsub_ps(two, sigm512(_mm512_mul_ps(two, cn[q])), one);
				__m256 v0 = _mm256_mul_ps(o[2 * q], _mm512_castps512_ps256(t));
				__m256 v1 = _mm256_mul_ps(o[2 * q + 1], hi256(t));
				size_t r0 = r + 2 * (size_t)q;
				_mm256_storeu_ps(h1 + r0 * ld1 + u, v0);
				_mm256_storeu_ps(h1 + (r0 + 1) * ld1 + u, v1);
				_mm256_storeu_ps(h2 + r0 * ld2 + u, v0);
				_mm256_storeu_ps(h2 + (r0 + 1) * ld2 + u, v1);
			}
		}
	}
}
#endif

#ifdef HAVE_X86
/*
 * One tile on the SIMD path. Each layer has two input buffers, one per step
 * parity, with rows [layer input | previous h]; a step reads one and its
 * kernel writes the new h straight into the other (for the next step) and
 * into the next layer's current buffer (or hl for the last layer), so no
 * row is copied but layer 0's input.
 */
static void tile_simd(const struct lstm_fast *f, const float *x, size_t rows, int T,
		      float **Ab, float *cs, float *hl)
{
	const struct lstm_shape *sh = &f->sh;
	size_t H = (size_t)sh->nhid, N = 4 * H, L = (size_t)sh->nlayers, nin = (size_t)sh->nin;
	size_t prow = (rows + MR - 1) / MR * MR;     /* padded to the kernels */

	for (size_t l = 0; l < L; l++) {
		size_t K = (l ? H : nin) + H;
		memset(Ab[2 * l], 0, TILE * K * sizeof(float));
		memset(Ab[2 * l + 1], 0, TILE * K * sizeof(float));
	}
	memset(cs, 0, L * TILE * H * sizeof(float));
	for (int t = 0; t < T; t++) {
		int cur = t & 1;
		for (size_t r = 0; r < rows; r++)
			memcpy(Ab[cur] + r * (nin + H), x + (r * (size_t)T + (size_t)t) * nin,
			       nin * sizeof(float));
		for (size_t l = 0; l < L; l++) {
			size_t I = l ? H : nin, K = I + H;
			float *in = Ab[2 * l + (size_t)cur], *next = Ab[2 * l + (size_t)(1 - cur)] + I;
			float *up = l + 1 < L ? Ab[2 * (l + 1) + (size_t)cur] : hl;
			size_t ldup = l + 1 < L ? 2 * H : H;
			if (f->simd == 2)
				step_fused_avx512(in, K, f->wz[l], f->bz[l], N, H, cs + l * TILE * H,
						  next, K, up, ldup, prow);
			else
				step_fused_avx2(in, K, f->ws[l], f->bs[l], N, H, cs + l * TILE * H,
						next, K, up, ldup, prow);
		}
	}
}
#endif

void lstm_fast_run(const struct lstm_fast *f, const float *x, size_t B, int T,
		   float *out)
{
	const struct lstm_shape *sh = &f->sh;
	size_t H = (size_t)sh->nhid, N = 4 * H, L = (size_t)sh->nlayers, nin = (size_t)sh->nin;
	size_t Kmax = (nin > H ? nin : H) + H;
	float *A = aligned_alloc(64, ((TILE * Kmax * sizeof(float)) + 63) & ~(size_t)63);
	float *G = aligned_alloc(32, TILE * N * sizeof(float));
	float *hs = xcalloc(L * TILE * H, sizeof(float)), *cs = xcalloc(L * TILE * H, sizeof(float));

	float *Ab[2 * LSTM_MAX_LAYERS] = { 0 };

	if (!A || !G)
		abort();
	for (size_t l = 0; f->simd && l < L; l++) {
		size_t K = (l ? H : nin) + H;
		for (int p = 0; p < 2; p++) {
			Ab[2 * l + (size_t)p] = aligned_alloc(64, ((TILE * K * sizeof(float)) + 63) & ~(size_t)63);
			if (!Ab[2 * l + (size_t)p])
				abort();
		}
	}
	for (size_t t0 = 0; t0 < B; t0 += TILE) {
		size_t rows = B - t0 < TILE ? B - t0 : TILE;
#ifdef HAVE_X86
		if (f->simd) {
			tile_simd(f, x + t0 * (size_t)T * nin, rows, T, Ab, cs, hs + (L - 1) * TILE * H);
			goto head;
		}
#endif
		memset(hs, 0, L * TILE * H * sizeof(float));
		memset(cs, 0, L * TILE * H * sizeof(float));
		memset(A, 0, TILE * Kmax * sizeof(float));
		for (int t = 0; t < T; t++) {
			for (size_t l = 0; l < L; l++) {
				size_t I = l ? H : nin, K = I + H;
				float *h = hs + l * TILE * H, *c = cs + l * TILE * H;
				/* A = [layer input | previous h] for each row */
				for (size_t r = 0; r < rows; r++) {
					const float *in = l ? hs + (l - 1) * TILE * H + r * H
							    : x + ((t0 + r) * (size_t)T + (size_t)t) * nin;
					memcpy(A + r * K, in, I * sizeof(float));
					memcpy(A + r * K + I, h + r * H, H * sizeof(float));
				}
				gemm_portable(A, K, f->wt[l], f->b[l], N, G, rows);
				cell_portable(G, N, H, c, h, rows);
			}
		}
#ifdef HAVE_X86
head:
#endif
		for (size_t r = 0; r < rows; r++) {
			const float *h = hs + (L - 1) * TILE * H + r * H;
			for (int j = 0; j < sh->nout; j++) {
				float s = f->by[j];
				for (size_t k = 0; k < H; k++)
					s += f->wy[(size_t)j * H + k] * h[k];
				out[(t0 + r) * (size_t)sh->nout + (size_t)j] = s;
			}
		}
	}
	free(A);
	free(G);
	free(hs);
	free(cs);
	for (size_t l = 0; l < 2 * LSTM_MAX_LAYERS; l++)
		free(Ab[l]);
}
