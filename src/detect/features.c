#include <math.h>
#include <string.h>
#include "detect/features.h"
#include "detect/lstm.h"
#include "metrics/sample.h"
#include "base/str.h"
#include "base/banned.h"

const char *const feat_names[FEAT_COUNT] = {
	"cpu_mcores", "cpu_pct", "mem_bytes", "mem_pct", "net_rx_bps", "net_tx_bps",
	"net_errors_ps", "net_dropped_ps", "restarts", "containers_ready",
	"containers_total", "cpu_limit_mcores", "mem_limit_bytes", "warning_events",
	"fs_used_bytes", "node_ready",
};

void features_clear(struct features *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < FEAT_COUNT; i++)
		f->v[i] = NAN;
}

static double add2(double a, double b)
{
	if (!isfinite(a) && !isfinite(b))
		return NAN;
	return (isfinite(a) ? a : 0) + (isfinite(b) ? b : 0);
}

void features_from_sample(const struct sample *s, struct features *f)
{
	features_clear(f);
	f->v[FEAT_CPU_MCORES] = s->cpu_mcores;
	f->v[FEAT_CPU_PCT] = s->cpu_pct;
	f->v[FEAT_MEM_BYTES] = s->mem_bytes;
	f->v[FEAT_MEM_PCT] = s->mem_pct;
	f->v[FEAT_NET_RX_BPS] = s->net_rx_bps;
	f->v[FEAT_NET_TX_BPS] = s->net_tx_bps;
	f->v[FEAT_NET_ERRORS_PS] = add2(s->net_rx_errors_ps, s->net_tx_errors_ps);
	f->v[FEAT_NET_DROPPED_PS] = add2(s->net_rx_dropped_ps, s->net_tx_dropped_ps);
	f->v[FEAT_RESTARTS] = s->restarts;
	f->v[FEAT_CONTAINERS_READY] = s->containers_ready;
	f->v[FEAT_CONTAINERS_TOTAL] = s->containers_total;
	f->v[FEAT_CPU_LIMIT_MCORES] = s->cpu_limit_mcores;
	f->v[FEAT_MEM_LIMIT_BYTES] = s->mem_limit_bytes;
	f->v[FEAT_WARNING_EVENTS] = s->warning_events;
	f->v[FEAT_FS_USED_BYTES] = s->fs_used_bytes;
	f->v[FEAT_NODE_READY] = s->node_ready;
	for (int i = 0; i < FEAT_COUNT; i++)
		if (!isfinite(f->v[i]))
			f->v[i] = NAN;
	if (s->phase)
		str_copy(f->phase, s->phase, sizeof(f->phase));
	if (s->reason)
		str_copy(f->reason, s->reason, sizeof(f->reason));
	if (s->node_conditions)
		str_copy(f->node_conditions, s->node_conditions, sizeof(f->node_conditions));
}

int feat_index(const char *name)
{
	for (int i = 0; i < FEAT_COUNT; i++)
		if (!strcmp(feat_names[i], name))
			return i;
	return -1;
}

double feat_model_value(int idx, double raw)
{
	if (!isfinite(raw))
		return NAN;
	switch (idx) {
	case FEAT_MEM_BYTES:
	case FEAT_NET_RX_BPS:
	case FEAT_NET_TX_BPS:
	case FEAT_MEM_LIMIT_BYTES:
	case FEAT_FS_USED_BYTES:
		return log1p(raw > 0 ? raw : 0);
	default:
		return raw;
	}
}

static double gauss(uint64_t *s)
{
	double u = lstm_uniform(s), v = lstm_uniform(s);
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

void features_simulate_normal(struct features *rows, size_t npods,
			      size_t nsteps, uint64_t seed)
{
	uint64_t s = seed;

	for (size_t p = 0; p < npods; p++) {
		double base = 50 + 400 * lstm_uniform(&s);             /* millicores */
		double limit = base * (2 + 2 * lstm_uniform(&s));
		double mem0 = (64 + 448 * lstm_uniform(&s)) * 1048576.0;
		double memlim = mem0 * (1.5 + lstm_uniform(&s));
		double phase = 2 * M_PI * lstm_uniform(&s), mem = mem0;
		double bytes_per_mcore = 200 + 2000 * lstm_uniform(&s);
		double restarts = floor(3 * lstm_uniform(&s)), cpu_s = 0;
		for (size_t t = 0; t < nsteps; t++) {
			struct features *f = &rows[p * nsteps + t];
			double day = sin(2 * M_PI * (double)t / 1440.0 + phase);
			double cpu;
			features_clear(f);
			/* AR(1) noise around a diurnal curve */
			cpu_s = 0.8 * cpu_s + 0.2 * gauss(&s);
			cpu = base * (1 + 0.4 * day + 0.15 * cpu_s);
			if (cpu < 1)
				cpu = 1;
			mem += mem0 * (0.002 + 0.001 * gauss(&s));
			if (mem > mem0 * 1.3 || lstm_uniform(&s) < 0.01)
				mem = mem0 * (1 + 0.02 * gauss(&s));  /* garbage collection */
			f->v[FEAT_CPU_MCORES] = cpu;
			f->v[FEAT_CPU_LIMIT_MCORES] = limit;
			f->v[FEAT_CPU_PCT] = 100 * cpu / limit;
			f->v[FEAT_MEM_BYTES] = mem;
			f->v[FEAT_MEM_LIMIT_BYTES] = memlim;
			f->v[FEAT_MEM_PCT] = 100 * mem / memlim;
			f->v[FEAT_NET_RX_BPS] = cpu * bytes_per_mcore * (1 + 0.1 * gauss(&s));
			f->v[FEAT_NET_TX_BPS] = cpu * bytes_per_mcore * 0.6 * (1 + 0.1 * gauss(&s));
			if (f->v[FEAT_NET_RX_BPS] < 0)
				f->v[FEAT_NET_RX_BPS] = 0;
			if (f->v[FEAT_NET_TX_BPS] < 0)
				f->v[FEAT_NET_TX_BPS] = 0;
			f->v[FEAT_NET_ERRORS_PS] = 0;
			f->v[FEAT_NET_DROPPED_PS] = 0;
			f->v[FEAT_RESTARTS] = restarts;
			f->v[FEAT_CONTAINERS_READY] = 1;
			f->v[FEAT_CONTAINERS_TOTAL] = 1;
			f->v[FEAT_WARNING_EVENTS] = 0;
			f->v[FEAT_NODE_READY] = 1;
			/* a few missing samples, as a real collector has */
			if (lstm_uniform(&s) < 0.005)
				f->v[FEAT_NET_RX_BPS] = f->v[FEAT_NET_TX_BPS] = NAN;
			memcpy(f->phase, "Running", 8);
		}
	}
}
