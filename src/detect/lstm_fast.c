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
	/* the SIMD kernel works on 16 gate columns at a time */
	f->simd = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
		  (4 * H) % 16 == 0;
#endif
}

void lstm_fast_portable(struct lstm_fast *f)
{
	f->simd = 0;
}

void lstm_fast_release(struct lstm_fast *f)
{
	if (!f)
		return;
	for (int l = 0; l < LSTM_MAX_LAYERS; l++) {
		free(f->wt[l]);
		free(f->b[l]);
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
	const __m256 one = _mm256_set1_ps(1.0f);
	return _mm256_div_ps(one, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

__attribute__((target("avx2,fma")))
static inline __m256 tanh256(__m256 x)
{
	/* tanh x = 2 sigmoid(2x) - 1 */
	const __m256 two = _mm256_set1_ps(2.0f);
	return _mm256_fmsub_ps(two, sigm256(_mm256_mul_ps(two, x)), _mm256_set1_ps(1.0f));
}

/* G = b + A . Wt for `rows` rows (a multiple of MR), N a multiple of 16. */
__attribute__((target("avx2,fma")))
static void gemm_avx2(const float *A, size_t K, const float *Wt, const float *b,
		      size_t N, float *G, size_t rows)
{
	for (size_t r = 0; r < rows; r += MR) {
		const float *a0 = A + r * K;
		for (size_t j = 0; j < N; j += 16) {
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
			float *g = G + r * N + j;
			_mm256_storeu_ps(g, c00); _mm256_storeu_ps(g + 8, c01); g += N;
			_mm256_storeu_ps(g, c10); _mm256_storeu_ps(g + 8, c11); g += N;
			_mm256_storeu_ps(g, c20); _mm256_storeu_ps(g + 8, c21); g += N;
			_mm256_storeu_ps(g, c30); _mm256_storeu_ps(g + 8, c31); g += N;
			_mm256_storeu_ps(g, c40); _mm256_storeu_ps(g + 8, c41); g += N;
			_mm256_storeu_ps(g, c50); _mm256_storeu_ps(g + 8, c51);
		}
	}
}

/* H a multiple of 4 (4H a multiple of 16): 8 lanes at a time, tail scalar. */
__attribute__((target("avx2,fma")))
static void cell_avx2(float *G, size_t N, size_t H, float *c, float *h, size_t rows)
{
	for (size_t r = 0; r < rows; r++) {
		float *g = G + r * N, *cr = c + r * H, *hr = h + r * H;
		size_t j = 0;
		for (; j + 8 <= H; j += 8) {
			__m256 gi = sigm256(_mm256_loadu_ps(g + j));
			__m256 gf = sigm256(_mm256_loadu_ps(g + H + j));
			__m256 gg = tanh256(_mm256_loadu_ps(g + 2 * H + j));
			__m256 go = sigm256(_mm256_loadu_ps(g + 3 * H + j));
			__m256 cn = _mm256_fmadd_ps(gf, _mm256_loadu_ps(cr + j), _mm256_mul_ps(gi, gg));
			_mm256_storeu_ps(cr + j, cn);
			_mm256_storeu_ps(hr + j, _mm256_mul_ps(go, tanh256(cn)));
		}
		for (; j < H; j++) {
			float gi = sigmf(g[j]), gf = sigmf(g[H + j]), gg = tanhf(g[2 * H + j]);
			float go = sigmf(g[3 * H + j]);
			float cn = gf * cr[j] + gi * gg;
			cr[j] = cn;
			hr[j] = go * tanhf(cn);
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
	float *A = aligned_alloc(32, TILE * Kmax * sizeof(float));
	float *G = aligned_alloc(32, TILE * N * sizeof(float));
	float *hs = xcalloc(L * TILE * H, sizeof(float)), *cs = xcalloc(L * TILE * H, sizeof(float));

	if (!A || !G)
		abort();
	for (size_t t0 = 0; t0 < B; t0 += TILE) {
		size_t rows = B - t0 < TILE ? B - t0 : TILE;
		size_t prow = (rows + MR - 1) / MR * MR;   /* padded to the kernel */
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
#ifdef HAVE_X86
				if (f->simd) {
					gemm_avx2(A, K, f->wt[l], f->b[l], N, G, prow);
					cell_avx2(G, N, H, c, h, rows);
					continue;
				}
#endif
				gemm_portable(A, K, f->wt[l], f->b[l], N, G, rows);
				cell_portable(G, N, H, c, h, rows);
			}
		}
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
}
