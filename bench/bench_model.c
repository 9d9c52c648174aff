/*
 * How much one podsim_advance() costs when nothing happens, for the sim's
 * budget of 100,000 pods advanced every real second. The named peer is the
 * least a stochastic per-pod model can do: one PRNG draw, one sinf() and one
 * accumulation per pod per step, over an array of the same pods.
 *
 *   make && cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/bench_model.c \
 *       build/libkubemend.a -lm -o build/bench_model && build/bench_model
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "base/timeutil.h"
#include "sim/model.h"
#include "base/banned.h"

#define NPODS 100000
#define ROUNDS 20

struct peer {
	uint64_t rng;
	double acc;
};

static double peer_round(struct peer *pp, int64_t now)
{
	double s = 0;
	for (int i = 0; i < NPODS; i++) {
		uint64_t z = (pp[i].rng += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		pp[i].acc += sinf((float)(now % 86400000) * 7.27e-8f + (float)(z >> 40) * 1e-9f);
		s += pp[i].acc;
	}
	return s;
}

static double bench(int64_t step_ms, double *peer_ns)
{
	static const struct usage u = { 0.2, 100 << 20, 200 << 10, 150 << 10 };
	static const struct resources r = { 0.1, 0.5, 128 << 20, 256 << 20 };
	static const struct pod_effects fx = { .cpu_factor = 1 };
	struct podsim **pods = malloc(NPODS * sizeof(*pods));
	struct peer *pp = calloc(NPODS, sizeof(*pp));
	struct podsim_step st;
	int64_t now = 1795000000000LL, t0, ns = 0, pns = 0;
	volatile double sink = 0;

	for (int i = 0; i < NPODS; i++)
		pods[i] = podsim_new((uint64_t)i, &u, &r, now);
	for (int i = 0; i < NPODS; i++) /* past ContainerCreating and the ramp */
		podsim_advance(pods[i], now + 60000, &fx, &st);
	now += 60000;
	for (int k = 0; k < ROUNDS; k++) {
		now += step_ms;
		t0 = time_mono_ns();
		for (int i = 0; i < NPODS; i++)
			podsim_advance(pods[i], now, &fx, &st);
		ns += time_mono_ns() - t0;
		t0 = time_mono_ns();
		sink += peer_round(pp, now);
		pns += time_mono_ns() - t0;
	}
	for (int i = 0; i < NPODS; i++)
		podsim_free(pods[i]);
	free(pods);
	free(pp);
	(void)sink;
	*peer_ns = (double)pns / ((double)NPODS * ROUNDS);
	return (double)ns / ((double)NPODS * ROUNDS);
}

int main(void)
{
	static const int64_t steps[] = { 1000, 10000, 60000 };

	printf("podsim: %zu bytes per pod\n", podsim_size());
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		double peer, ns = bench(steps[i], &peer);
		printf("advance by %2llds: %6.1f ns/pod  peer (rng+sinf+add): %5.1f ns/pod  "
		       "ratio %.1fx  => %.1f ms per 100k pods\n",
		       (long long)(steps[i] / 1000), ns, peer, ns / peer, ns * NPODS / 1e6);
	}
	return 0;
}
