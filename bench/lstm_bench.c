/*
 * Batched LSTM inference benchmark (make bench-lstm): 10,000 windows through
 * the default model's network on one core, timed as the best of several
 * runs, plus this core's measured FP32 FMA peak. Writes the weights, the
 * input and kubemend's output as raw float32 files into DIR for the numpy
 * peer (bench/lstm_numpy.py), which runs the same network and compares.
 *   lstm_bench MODEL DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/timeutil.h"
#include "detect/lstm.h"
#include "detect/lstm_fast.h"
#include "detect/lstm_io.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include "base/banned.h"

#define BATCH 10000
#define RUNS 5

static int dump(const char *dir, const char *name, const float *v, size_t n)
{
	struct buf p = BUF_INIT;
	int rc;
	buf_addf(&p, "%s/%s", dir, name);
	rc = file_write_atomic(p.data, v, n * sizeof(float));
	buf_release(&p);
	return rc;
}

#if defined(__x86_64__)
/* 12 independent FMA chains of 8 floats in named registers: enough to fill
 * two FMA pipes of latency 4-5 cycles. Returns FLOP/s (best of 3). */
__attribute__((target("avx2,fma"), noinline))
static double fma_peak(void)
{
	const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
	const long iters = 50000000;
	double best = 0;
	float sink = 0;

	for (int rep = 0; rep < 3; rep++) {
		__m256 a0 = _mm256_set1_ps(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
		__m256 a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
		int64_t t0 = time_mono_ns();
		double sec;
		for (long k = 0; k < iters; k++) {
			a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c);
			a2 = _mm256_fmadd_ps(a2, m, c); a3 = _mm256_fmadd_ps(a3, m, c);
			a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
			a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c);
			a8 = _mm256_fmadd_ps(a8, m, c); a9 = _mm256_fmadd_ps(a9, m, c);
			a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
			/* opaque to the compiler, so no two chains are merged */
			__asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));
			__asm__ volatile("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
		}
		sec = (double)(time_mono_ns() - t0) / 1e9;
		if ((double)iters * 12 * 16 / sec > best)
			best = (double)iters * 12 * 16 / sec;
		a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
				   _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
		a0 = _mm256_add_ps(a0, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
		sink += _mm256_cvtss_f32(a0);
	}
	if (sink == 12345.0f)
		printf(" ");
	return best;
}
#else
static double fma_peak(void) { return 0; }
#endif

static double cpu_mhz(void)
{
	struct buf b = BUF_INIT;
	double mhz = 0;
	if (file_read_all("/proc/cpuinfo", 1u << 22, &b) == 0) {
		const char *p = strstr(b.data, "cpu MHz");
		if (p && (p = strchr(p, ':')))
			mhz = strtod(p + 1, NULL);
	}
	buf_release(&b);
	return mhz;
}

int main(int argc, char **argv)
{
	struct lstm m;
	struct lstm_fast f;
	char err[512];
	float *x, *y;
	int T;
	size_t nx;
	uint64_t s = 42;
	double best = 1e30, fl, peak, mhz;
	FILE *fp;
	struct buf p = BUF_INIT;

	if (argc != 3) {
		fprintf(stderr, "usage: lstm_bench MODEL DIR\n");
		return 2;
	}
	if (lstm_load(argv[1], &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "lstm_bench: %s\n", err);
		return 1;
	}
	T = m.sh.window;
	nx = (size_t)BATCH * (size_t)T * (size_t)m.sh.nin;
	x = malloc(nx * sizeof(float));
	y = malloc((size_t)BATCH * (size_t)m.sh.nout * sizeof(float));
	for (size_t i = 0; i < nx; i++)
		x[i] = (float)(2 * lstm_uniform(&s) - 1);
	lstm_fast_init(&f, &m);
	for (int r = 0; r < RUNS; r++) {
		int64_t t0 = time_mono_ns();
		double sec;
		lstm_fast_run(&f, x, BATCH, T, y);
		sec = (double)(time_mono_ns() - t0) / 1e9;
		if (sec < best)
			best = sec;
	}
	/* the weights in the layout lstm.h documents, as float32 */
	{
		float *w = malloc(m.np * sizeof(float));
		for (size_t i = 0; i < m.np; i++)
			w[i] = (float)m.p[i];
		if (dump(argv[2], "w.f32", w, m.np) || dump(argv[2], "x.f32", x, nx) ||
		    dump(argv[2], "y_c.f32", y, (size_t)BATCH * (size_t)m.sh.nout)) {
			fprintf(stderr, "lstm_bench: cannot write %s\n", argv[2]);
			return 1;
		}
		free(w);
	}
	buf_addf(&p, "%s/shape.txt", argv[2]);
	fp = fopen(p.data, "w");
	if (!fp)
		return 1;
	fprintf(fp, "%d %d %d %d %d %d\n", BATCH, T, m.sh.nin, m.sh.nhid, m.sh.nlayers, m.sh.nout);
	fclose(fp);
	fl = lstm_fast_flops(&m.sh, T) * BATCH;
	peak = fma_peak();
	mhz = cpu_mhz();
	printf("shape: batch %d, window %d, %d features, %d layer(s) of %d hidden, simd %s\n",
	       BATCH, T, m.sh.nin, m.sh.nlayers, m.sh.nhid, f.simd ? "avx2+fma" : "off");
	printf("c_seconds=%.6f\n", best);
	printf("windows_per_second=%.0f\n", BATCH / best);
	printf("c_gflops=%.2f\n", fl / best / 1e9);
	printf("peak_measured_gflops=%.2f\n", peak / 1e9);
	printf("peak_nominal_gflops=%.2f (32 FLOP/cycle x %.0f MHz base clock from /proc/cpuinfo; boost runs higher)\n",
	       32 * mhz / 1e3, mhz);
	buf_release(&p);
	lstm_fast_release(&f);
	lstm_release(&m);
	free(x);
	free(y);
	return 0;
}
