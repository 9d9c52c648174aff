/*
 * The per-pod workload model. A pod is advanced piecewise: its rates are
 * held constant over sub-steps of at most MAX_STEP_MS (shorter while memory
 * ramps up after a start), and a sub-step ends early at the next life-cycle
 * deadline (end of a wait, a scheduled crash) or at the interpolated moment
 * memory crosses the limit. With nothing happening a call costs one
 * sub-step per 30 virtual seconds, so 100,000 pods advanced once a second
 * stay cheap (bench/bench_model.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "sim/model.h"
#include "base/banned.h"

#define NEVER             INT64_MAX
#define MAX_STEP_MS       30000
#define RAMP_STEP_MS      5000
#define RAMP_MS           30000     /* memory grows from 40% to its baseline over this */
#define TERMINATED_SHOW_MS 1000     /* how long Terminated shows before CrashLoopBackOff */
#define ERR_PULL_SHOW_MS  1000      /* how long ErrImagePull shows before ImagePullBackOff */
#define BACKOFF_START_S   10
#define BACKOFF_MAX_S     300
#define BACKOFF_RESET_MS  600000    /* a run this long resets the back-off */
#define NOISE_TAU_S       30.0f     /* cpu noise correlation time */
#define NOISE_SIGMA       0.12f
#define WANDER_TAU_S      900.0f    /* memory wander correlation time */
#define WANDER_SIGMA      0.004f    /* per sqrt(second) */
#define WANDER_MAX        0.08f
#define BURST_MEAN_S      (3 * 3600.0)
#define DAY_MS            86400000LL

enum reason {
	R_NONE, R_CREATING, R_CRASHLOOP, R_ERRPULL, R_PULLBACKOFF, R_OOM, R_ERROR,
};

static const char *const reason_names[] = {
	[R_NONE] = NULL,
	[R_CREATING] = "ContainerCreating",
	[R_CRASHLOOP] = "CrashLoopBackOff",
	[R_ERRPULL] = "ErrImagePull",
	[R_PULLBACKOFF] = "ImagePullBackOff",
	[R_OOM] = "OOMKilled",
	[R_ERROR] = "Error",
};

#define F_RAN            1u   /* the container has run at least once */
#define F_CRASH_PENDING  2u   /* deadline is this run's crash */
#define F_WARM           4u   /* this run started warm: no memory ramp */

struct podsim {
	uint64_t rng;
	int64_t now;            /* virtual ms the pod has been advanced to */
	int64_t started;        /* start of the current (or last) run */
	int64_t finished;       /* end of the last run, 0 if none */
	int64_t deadline;       /* next life-cycle event, NEVER if none */
	int64_t burst_next, burst_end;
	double cpu_s, thr_s;    /* per container: reset by a start */
	double per_n, thr_n;    /* CFS periods (100 ms) and throttled ones: reset by a start */
	double leak;            /* bytes leaked in this run */
	double rx, tx, rxe, txe, rxd, txd;  /* per pod sandbox: never reset */
	double fs_log;
	float base_cpu, base_mem, base_rx, base_tx;
	float cpu_lim, mem_lim;
	float amp, phase;       /* daily cycle */
	float noise;            /* cpu noise, fraction of demand */
	float wander;           /* memory wander, fraction of baseline */
	float burst_f;
	float fs_base;
	float cpu_now, mem_now;
	int32_t restarts;
	int16_t backoff_s;      /* the next back-off */
	int16_t delay_s;        /* the back-off now in effect */
	uint8_t state, reason, last_reason, flags;
	int16_t exit_code;
};

size_t podsim_size(void)
{
	return sizeof(struct podsim);
}

static uint64_t next_u64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static double uni(struct podsim *p, double lo, double hi)
{
	return lo + (hi - lo) * (double)(next_u64(&p->rng) >> 11) * 0x1.0p-53;
}

/* Roughly standard normal (a scaled triangular variate: cheap, bounded). */
static float gauss(struct podsim *p)
{
	uint64_t r = next_u64(&p->rng);
	float a = (float)(r & 0xffffffffu) * 0x1.0p-32f;
	float b = (float)(r >> 32) * 0x1.0p-32f;
	return (a + b - 1.0f) * 2.449f;
}

/* Finite and not negative, else 0. */
static double clean(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

static void schedule_burst(struct podsim *p, int64_t from)
{
	double gap = -BURST_MEAN_S * log(1.0 - uni(p, 0, 1));
	if (gap > 30 * 86400.0)
		gap = 30 * 86400.0;
	p->burst_next = from + (int64_t)(gap * 1000) + 1000;
}

struct podsim *podsim_new(uint64_t seed, const struct usage *usage,
			  const struct resources *res, int64_t now_ms)
{
	struct podsim *p = xcalloc(1, sizeof(*p));

	p->rng = seed ^ 0x706f6473696d2121ULL; /* "podsim!!" */
	next_u64(&p->rng);
	p->now = now_ms;
	p->base_cpu = (float)clean(usage->cpu);
	p->base_mem = (float)clean(usage->mem);
	p->base_rx = (float)clean(usage->rx_bps);
	p->base_tx = (float)clean(usage->tx_bps);
	p->cpu_lim = (float)clean(res->cpu_limit);
	p->mem_lim = (float)clean(res->mem_limit);
	p->amp = (float)uni(p, 0.1, 0.25);
	/* Traffic peaks around 14:00 UTC, give or take for each pod. */
	p->phase = (float)(M_PI / 2 - 2 * M_PI * 14.0 / 24.0 + uni(p, -0.3, 0.3));
	p->wander = (float)uni(p, -0.03, 0.03);
	p->fs_base = (float)uni(p, 4, 64) * 1048576.0f;
	p->backoff_s = BACKOFF_START_S;
	p->state = CS_WAITING;
	p->reason = R_CREATING;
	p->deadline = now_ms + (int64_t)uni(p, 1000, 3000);
	schedule_burst(p, now_ms);
	return p;
}

struct podsim *podsim_new_running(uint64_t seed, const struct usage *usage,
				  const struct resources *res, int64_t now_ms)
{
	struct podsim *p = podsim_new(seed, usage, res, now_ms);

	p->state = CS_RUNNING;
	p->reason = R_NONE;
	p->flags = F_RAN | F_WARM;
	p->started = now_ms;
	p->deadline = NEVER;
	p->mem_now = p->base_mem;
	p->cpu_now = p->base_cpu;
	return p;
}

void podsim_free(struct podsim *p)
{
	free(p);
}

static void event(struct podsim_step *st, enum podsim_event_kind k, int64_t at)
{
	if (st->nevents < PODSIM_MAX_EVENTS) {
		st->events[st->nevents].kind = k;
		st->events[st->nevents].at_ms = at;
		st->nevents++;
	} else {
		st->dropped++;
	}
}

static void start(struct podsim *p, const struct pod_effects *fx,
		  struct podsim_step *st)
{
	if (p->flags & F_RAN)
		p->restarts++;
	if (p->reason == R_PULLBACKOFF || p->reason == R_CREATING)
		p->backoff_s = BACKOFF_START_S;
	p->flags = (uint8_t)((p->flags | F_RAN) & ~(F_CRASH_PENDING | F_WARM));
	p->state = CS_RUNNING;
	p->reason = R_NONE;
	p->started = p->now;
	p->cpu_s = 0;
	p->thr_s = 0;
	p->per_n = p->thr_n = 0;
	p->leak = 0;
	p->cpu_now = 0;
	p->mem_now = 0.4f * p->base_mem;
	p->deadline = NEVER;
	if (fx->crash) {
		p->deadline = p->now + (int64_t)uni(p, 3000, 30000);
		p->flags |= F_CRASH_PENDING;
	}
	event(st, PEV_STARTED, p->now);
}

/* Takes the next back-off and doubles the one after (the kubelet's rule). */
static void take_backoff(struct podsim *p)
{
	p->delay_s = p->backoff_s;
	p->backoff_s = (int16_t)(p->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S
								    : p->backoff_s * 2);
}

static void terminate(struct podsim *p, bool oom, struct podsim_step *st)
{
	if (p->now - p->started >= BACKOFF_RESET_MS)
		p->backoff_s = BACKOFF_START_S;
	take_backoff(p);
	p->state = CS_TERMINATED;
	p->reason = oom ? R_OOM : R_ERROR;
	p->exit_code = oom ? 137 : 1;
	p->finished = p->now;
	p->flags &= (uint8_t)~F_CRASH_PENDING;
	p->deadline = p->now + TERMINATED_SHOW_MS;
	p->cpu_now = 0;
	p->mem_now = 0;
	event(st, oom ? PEV_OOM_KILLED : PEV_CRASHED, p->now);
}

/* A container that has never run pulls its image first. */
static void try_start(struct podsim *p, const struct pod_effects *fx,
		      struct podsim_step *st)
{
	if (fx->image_pull && !(p->flags & F_RAN)) {
		take_backoff(p);
		p->reason = R_ERRPULL;
		p->deadline = p->now + ERR_PULL_SHOW_MS;
		event(st, PEV_PULL_FAILED, p->now);
		return;
	}
	start(p, fx, st);
}

/* The life-cycle step due at p->deadline (p->now == p->deadline). */
static void transition(struct podsim *p, const struct pod_effects *fx,
		       struct podsim_step *st)
{
	switch (p->reason) {
	case R_ERRPULL:
		p->reason = R_PULLBACKOFF;
		p->deadline = p->now - ERR_PULL_SHOW_MS + p->delay_s * 1000LL;
		event(st, PEV_BACKOFF, p->now);
		break;
	case R_OOM:
	case R_ERROR:
		p->last_reason = p->reason;
		p->state = CS_WAITING;
		p->reason = R_CRASHLOOP;
		p->deadline = p->finished + p->delay_s * 1000LL;
		if (p->deadline <= p->now)
			p->deadline = p->now + 1;
		event(st, PEV_BACKOFF, p->now);
		break;
	case R_CRASHLOOP:
		start(p, fx, st);
		break;
	default: /* ContainerCreating, ImagePullBackOff */
		try_start(p, fx, st);
		break;
	}
}

/*
 * Runs the container from p->now to t1 (or to an OOM kill before it) at
 * rates taken at t1.
 */
static void run_step(struct podsim *p, int64_t t1, const struct pod_effects *fx,
		     double cpu_factor, struct podsim_step *st)
{
	int64_t t0 = p->now, tod = t1 % DAY_MS;
	float dt = (float)(t1 - t0) * 0.001f, cyc, a, bf = 1, demand, use, nat, rf;
	float age = (float)(t1 - p->started) * 0.001f;
	double mem;

	if (tod < 0)
		tod += DAY_MS;
	cyc = 1.0f + p->amp * sinf((float)tod * (float)(2 * M_PI / DAY_MS) + p->phase);
	a = dt >= NOISE_TAU_S ? 0 : 1 - dt / NOISE_TAU_S;
	p->noise = a * p->noise + sqrtf(1 - a * a) * NOISE_SIGMA * gauss(p);
	if (p->noise > 0.5f)
		p->noise = 0.5f;
	else if (p->noise < -0.5f)
		p->noise = -0.5f;
	if (t1 >= p->burst_next) {
		p->burst_end = p->burst_next + (int64_t)uni(p, 20000, 120000);
		p->burst_f = (float)uni(p, 1.5, 3);
		schedule_burst(p, p->burst_end);
	}
	if (t1 < p->burst_end)
		bf = p->burst_f;

	/* Memory: baseline, a slow wander, a trace of the daily cycle, the leak. */
	a = dt >= WANDER_TAU_S ? 0 : 1 - dt / WANDER_TAU_S;
	p->wander = a * p->wander + WANDER_SIGMA * sqrtf(dt) * gauss(p);
	if (p->wander > WANDER_MAX)
		p->wander = WANDER_MAX;
	else if (p->wander < -WANDER_MAX)
		p->wander = -WANDER_MAX;
	nat = p->base_mem * (1 + 0.3f * (cyc - 1) + p->wander);
	if (age < RAMP_MS / 1000.0f && !(p->flags & F_WARM))
		nat *= 0.4f + 0.6f * age / (RAMP_MS / 1000.0f);
	/* Natural variation never reaches the limit; only growth beyond the baseline does. */
	if (p->mem_lim > p->base_mem && nat > p->base_mem + 0.9f * (p->mem_lim - p->base_mem))
		nat = p->base_mem + 0.9f * (p->mem_lim - p->base_mem);
	mem = nat + p->leak + fx->leak_bps * dt;
	if (p->mem_lim > 0 && mem > p->mem_lim) {
		/* The crossing, interpolated between the last reading and now. */
		double m0 = p->mem_now, frac = m0 < p->mem_lim && mem > m0 ?
			(p->mem_lim - m0) / (mem - m0) : 0;
		t1 = t0 + (int64_t)(frac * (double)(t1 - t0));
		dt = (float)(t1 - t0) * 0.001f;
	}
	p->leak += fx->leak_bps * dt;

	demand = p->base_cpu * cyc * (1 + p->noise) * bf * (float)cpu_factor;
	use = p->cpu_lim > 0 && demand > p->cpu_lim ? p->cpu_lim : demand;
	p->cpu_s += use * dt;
	p->thr_s += (demand - use) * dt;
	/* a container with a CFS quota counts 100 ms periods; demand above the
	 * quota runs it out in every period, so every period is throttled */
	if (p->cpu_lim > 0) {
		p->per_n += dt / 0.1;
		if (demand > p->cpu_lim)
			p->thr_n += dt / 0.1;
	}
	p->cpu_now = use;
	/* Traffic follows the load loosely (not the extra CPU of a fault). */
	rf = cyc * (1 + 0.5f * p->noise) * (bf > 1 ? sqrtf(bf) : 1) * dt;
	p->rx += p->base_rx * rf;
	p->tx += p->base_tx * rf;
	p->rxe += fx->rx_err_ps * dt;
	p->txe += fx->tx_err_ps * dt;
	p->rxd += fx->rx_drop_ps * dt;
	p->txd += fx->tx_drop_ps * dt;
	if (p->fs_log < 256.0 * 1048576)
		p->fs_log += (200 + 0.001 * p->base_tx) * dt;
	p->now = t1;
	if (p->mem_lim > 0 && mem > p->mem_lim) {
		p->mem_now = p->mem_lim;
		terminate(p, true, st);
	} else {
		p->mem_now = (float)mem;
	}
}

/* Effects with anything non-finite or negative replaced by nothing. */
static void clean_effects(const struct pod_effects *in, struct pod_effects *out)
{
	*out = *in;
	out->leak_bps = clean(in->leak_bps);
	out->rx_err_ps = clean(in->rx_err_ps);
	out->tx_err_ps = clean(in->tx_err_ps);
	out->rx_drop_ps = clean(in->rx_drop_ps);
	out->tx_drop_ps = clean(in->tx_drop_ps);
	/* 0 (a zeroed struct) and nonsense mean no change. */
	out->cpu_factor = isfinite(in->cpu_factor) && in->cpu_factor > 0 ?
		(in->cpu_factor > 1e6 ? 1e6 : in->cpu_factor) : 1;
}

static void snapshot(const struct podsim *p, uint8_t s[4], int32_t *restarts)
{
	s[0] = p->state;
	s[1] = p->reason;
	s[2] = p->last_reason;
	s[3] = (uint8_t)p->exit_code;
	*restarts = p->restarts;
}

void podsim_advance(struct podsim *p, int64_t now_ms, const struct pod_effects *fx_in,
		    struct podsim_step *st)
{
	static const struct pod_effects none = { .cpu_factor = 1 };
	struct pod_effects fx;
	uint8_t before[4], after[4];
	int32_t rb, ra;

	st->nevents = 0;
	st->dropped = 0;
	st->status_changed = false;
	if (now_ms <= p->now)
		return;
	clean_effects(fx_in ? fx_in : &none, &fx);
	if (fx.node_down) {
		/* Nothing runs and nothing is reported; pending events wait. */
		int64_t d = now_ms - p->now;
		if (p->deadline != NEVER)
			p->deadline += d;
		p->burst_next += d;
		p->burst_end += d;
		p->now = now_ms;
		return;
	}
	snapshot(p, before, &rb);
	while (p->now < now_ms) {
		int64_t t1;

		if (p->state != CS_RUNNING) {
			if (p->deadline > now_ms) {
				p->now = now_ms;
				break;
			}
			p->now = p->deadline;
			transition(p, &fx, st);
			continue;
		}
		if (fx.crash && !(p->flags & F_CRASH_PENDING)) {
			p->deadline = p->now + (int64_t)uni(p, 3000, 30000);
			p->flags |= F_CRASH_PENDING;
		} else if (!fx.crash && (p->flags & F_CRASH_PENDING)) {
			p->deadline = NEVER;
			p->flags &= (uint8_t)~F_CRASH_PENDING;
		}
		t1 = p->now + (p->now - p->started < RAMP_MS && !(p->flags & F_WARM) ?
			       RAMP_STEP_MS : MAX_STEP_MS);
		if (t1 > now_ms)
			t1 = now_ms;
		if (t1 > p->deadline)
			t1 = p->deadline;
		run_step(p, t1, &fx, fx.cpu_factor, st);
		if (p->state == CS_RUNNING && p->now >= p->deadline)
			terminate(p, false, st);
	}
	snapshot(p, after, &ra);
	st->status_changed = memcmp(before, after, sizeof(before)) != 0 || ra != rb;
}

void podsim_status(const struct podsim *p, struct podsim_status *out)
{
	memset(out, 0, sizeof(*out));
	out->state = (enum container_state)p->state;
	out->reason = reason_names[p->reason];
	out->last_reason = reason_names[p->last_reason];
	out->exit_code = p->exit_code;
	out->restarts = p->restarts;
	out->ready = p->state == CS_RUNNING;
	out->started_ms = p->state == CS_RUNNING ? p->started : 0;
	out->last_finished_ms = p->finished;
}

void podsim_metrics(const struct podsim *p, struct podsim_metrics *out)
{
	bool running = p->state == CS_RUNNING;

	memset(out, 0, sizeof(*out));
	out->cpu_cores = running ? p->cpu_now : 0;
	out->mem_bytes = running ? p->mem_now : 0;
	out->cpu_seconds = p->cpu_s;
	out->throttled_seconds = p->thr_s;
	out->cfs_periods = p->per_n;
	out->cfs_throttled_periods = p->thr_n;
	out->rx_bytes = (uint64_t)p->rx;
	out->tx_bytes = (uint64_t)p->tx;
	out->rx_errors = (uint64_t)p->rxe;
	out->tx_errors = (uint64_t)p->txe;
	out->rx_dropped = (uint64_t)p->rxd;
	out->tx_dropped = (uint64_t)p->txd;
	out->fs_used_bytes = (p->flags & F_RAN) ? p->fs_base + p->fs_log : 0;
}
