#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect/pod.h"
#include "detect/pod_priv.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strmap.h"
#include "base/strvec.h"
#include "base/banned.h"

/*
 * Evidence scores. A finding's score orders how telling it is: explicit
 * states reported by Kubernetes (CrashLoopBackOff, ImagePullBackOff,
 * FailedScheduling, NotReady) score highest; statistics score high only once
 * a deviation has lasted longer than the natural bursts of a workload (two
 * minutes). The scores are not probabilities: the model's calibration
 * (pod_detector_calibrate) turns the verdict's score into one.
 */
#define P_CERTAIN       0.95
#define P_STRONG        0.9
#define P_LIKELY        0.8
#define P_WEAK          0.55
#define PERSIST_MS      150000          /* longer than a natural burst (<= 120 s) */
#define RESTART_WINDOW_MS (15 * 60000)
#define COARSE_GAP_MS   100000          /* samples this far apart: two in a row outlast a burst */
#define COARSE_PERSIST_MS 110000
#define MIN_BASELINE    4               /* samples before statistics speak */
#define ADAPT_AFTER     60              /* a deviation this long becomes the new normal */
#define STALE_MS        (30 * 60000)
#define THROTTLE_MS     (8 * 60000)     /* throttled this long scores 0.9 */
#define WL_RATIO        1.16            /* memory this far above its workload's baseline ... */
#define WL_OWN          1.04            /* ... and above the pod's own ... */
#define WL_PERSIST_MS   90000           /* ... for this long (4 samples at 30 s) is a leak */
#define THROTTLE_SHARE  25.0            /* % of CFS periods throttled that counts (as the
					 * kubernetes-mixin CPUThrottlingHigh alert) */

static const char *const type_names[AT_COUNT] = {
	[AT_NONE] = "none", [AT_CRASH_LOOP] = "crash_loop", [AT_OOM] = "oom",
	[AT_MEMORY_LEAK] = "memory_leak", [AT_CPU_SATURATION] = "cpu_saturation",
	[AT_NETWORK] = "network", [AT_PARTIAL_FAILURE] = "partial_failure",
	[AT_NODE] = "node", [AT_SCHEDULING] = "scheduling", [AT_IMAGE_PULL] = "image_pull",
	[AT_IO] = "io", [AT_CPU_THROTTLING] = "cpu_throttling",
};

const char *pod_component_name(enum pod_component_kind k)
{
	return k == PC_LSTM ? "lstm" : k == PC_STATS ? "stats" : "rule";
}

const char *pod_anomaly_name(enum pod_anomaly t)
{
	return (unsigned)t < AT_COUNT ? type_names[t] : "none";
}

void pod_detector_init(struct pod_detector *d, size_t max_pods)
{
	memset(d, 0, sizeof(*d));
	d->max_pods = max_pods ? max_pods : 200000;
	d->stale_ms = STALE_MS;
}

void pod_detector_release(struct pod_detector *d)
{
	if (!d)
		return;
	strmap_clear(&d->pods, free);
	strmap_clear(&d->workloads, free);
	if (d->model)
		lstm_fast_release(&d->fast);
	d->model = NULL;
}

size_t pod_detector_npods(const struct pod_detector *d)
{
	return d->pods.n;
}

static void pod_key(struct buf *b, const char *ns, const char *pod)
{
	buf_reset(b);
	buf_addf(b, "%s/%s", ns, pod);
}

const struct pod_state *pod_detector_get(const struct pod_detector *d, const char *ns, const char *pod)
{
	struct buf key = BUF_INIT;
	const struct pod_state *st;

	pod_key(&key, ns, pod);
	st = strmap_get(&d->pods, key.data);
	buf_release(&key);
	return st;
}

size_t pod_detector_forget(struct pod_detector *d, int64_t cutoff_ms)
{
	struct strvec gone = STRVEC_INIT;
	size_t it, n;

	for (struct strmap_entry *e = strmap_first(&d->pods, &it); e;
	     e = strmap_next(&d->pods, e, &it))
		if (((struct pod_state *)e->value)->last_ms < cutoff_ms)
			strvec_push(&gone, e->key);
	for (size_t i = 0; i < gone.n; i++)
		free(strmap_remove(&d->pods, gone.v[i]));
	n = gone.n;
	strvec_clear(&gone);
	for (struct strmap_entry *e = strmap_first(&d->workloads, &it); e;
	     e = strmap_next(&d->workloads, e, &it))
		if (((struct pod_workload *)e->value)->last_ms < cutoff_ms)
			strvec_push(&gone, e->key);
	for (size_t i = 0; i < gone.n; i++)
		free(strmap_remove(&d->workloads, gone.v[i]));
	strvec_clear(&gone);
	return n;
}

/* ---- small statistics ---- */

static bool fin(double v)
{
	return isfinite(v);
}

void pod_ring_push(struct pod_ring *r, double v)
{
	r->v[r->head] = (float)v;
	r->head = (uint8_t)((r->head + 1) % POD_RING);
	if (r->n < POD_RING)
		r->n++;
}

static void sort_floats(float *a, int n)
{
	for (int i = 1; i < n; i++) {
		float x = a[i];
		int j = i - 1;
		while (j >= 0 && a[j] > x) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = x;
	}
}

static double median_of(float *a, int n)
{
	sort_floats(a, n);
	return n % 2 ? a[n / 2] : 0.5 * ((double)a[n / 2 - 1] + a[n / 2]);
}

/* The median and the median absolute deviation of the ring. */
void pod_ring_stats(const struct pod_ring *r, double *med, double *mad)
{
	float tmp[POD_RING];
	int n = r->n;

	memcpy(tmp, r->v, sizeof(tmp));
	*med = median_of(tmp, n);
	for (int i = 0; i < n; i++)
		tmp[i] = (float)fabs(tmp[i] - *med);
	*mad = median_of(tmp, n);
}

/* ---- verdict building ---- */

void pod_verdict_clear(struct pod_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->type = AT_NONE;
}

static void set_signal(struct pod_signal *g, const char *metric, double value, double lo, double hi)
{
	str_copy(g->metric, metric, sizeof(g->metric));
	g->value = value;
	g->expected_lo = lo;
	g->expected_hi = hi;
}

/* Lists a component (the highest score per detector and metric). */
void pod_add_component(struct pod_verdict *v, enum pod_component_kind k, const char *metric,
		       double score)
{
	struct pod_component *c;

	if (!(score >= COMP_MIN))
		return;
	for (size_t i = 0; i < v->ncomps; i++) {
		c = &v->comps[i];
		if (c->detector == k && !strcmp(c->metric, metric)) {
			if (score > c->score)
				c->score = score;
			return;
		}
	}
	if (v->ncomps == POD_VERDICT_MAX_COMPONENTS) {
		/* full: replace the weakest when this one is stronger */
		size_t w = 0;
		for (size_t i = 1; i < v->ncomps; i++)
			if (v->comps[i].score < v->comps[w].score)
				w = i;
		if (v->comps[w].score >= score)
			return;
		c = &v->comps[w];
	} else {
		c = &v->comps[v->ncomps++];
	}
	c->detector = (uint8_t)k;
	str_copy(c->metric, metric, sizeof(c->metric));
	c->score = score;
}

/* Statistics findings are named by their reason; the others are rules. */
static enum pod_component_kind kind_of(const char *reason)
{
	static const char *const stats[] = { "CPUAboveNormal", "CPUAboveRequest", "MemoryGrowing",
					     "MemoryAboveNormal", "MemoryAboveWorkload", NULL };
	for (const char *const *r = stats; *r; r++)
		if (!strcmp(reason, *r))
			return PC_STATS;
	return PC_RULE;
}

/*
 * Adds a finding: the strongest one sets the type, score and reason and
 * puts its signal first; weaker ones that still mean something add their
 * signal after it. Every finding lists its component.
 */
static void consider(struct pod_verdict *v, enum pod_anomaly type, double p, const char *reason,
		     const char *metric, double value, double lo, double hi)
{
	pod_add_component(v, kind_of(reason), metric, p);
	if (p > v->score) {
		size_t n = v->nsignals < POD_VERDICT_MAX_SIGNALS ? v->nsignals : POD_VERDICT_MAX_SIGNALS - 1;
		memmove(&v->signals[1], &v->signals[0], n * sizeof(v->signals[0]));
		v->nsignals = n + 1;
		set_signal(&v->signals[0], metric, value, lo, hi);
		v->score = p;
		v->type = type;
		str_copy(v->reason, reason, sizeof(v->reason));
	} else if (p >= P_WEAK && v->nsignals < POD_VERDICT_MAX_SIGNALS) {
		set_signal(&v->signals[v->nsignals++], metric, value, lo, hi);
	}
}

static bool is_one_of(const char *s, const char *const *set)
{
	for (; s && *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static const char *const pull_reasons[] = {
	"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
	"RegistryUnavailable", NULL
};
static const char *const start_reasons[] = {
	"CreateContainerConfigError", "CreateContainerError", "RunContainerError",
	"ContainerCannotRun", "PreStartHookError", "PostStartHookError", NULL
};

/* The pod's own words say its container was OOM-killed. */
static bool mentions_oom(const struct sample *s)
{
	const char *const texts[] = { s->reason, s->error_message, s->last_event_reason,
				      s->last_event_message, s->last_termination_reason };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i] && (strstr(texts[i], "OOM") || strstr(texts[i], "out of memory")))
			return true;
	return false;
}

static enum pod_anomaly restart_type(const struct pod_state *st)
{
	if (st && st->oom_hint)
		return st->leak_hint ? AT_MEMORY_LEAK : AT_OOM;
	return AT_CRASH_LOOP;
}

static int restarts_within(const struct pod_state *st, int64_t now, int64_t window)
{
	int n = 0;

	for (int i = 0; i < st->nrestart; i++)
		if (now - st->restart_ms[i] <= window)
			n++;
	return n;
}

/* Findings from states Kubernetes reports: no learning needed. */
static void rules(const struct sample *s, const struct pod_state *st, struct pod_verdict *v)
{
	const char *phase = s->phase, *reason = s->reason;
	double total = s->containers_total, ready = s->containers_ready;

	if (is_one_of(reason, pull_reasons))
		consider(v, AT_IMAGE_PULL, P_CERTAIN, reason, "containers_ready", ready, total, total);
	if (reason && !strcmp(reason, "OOMKilled"))
		consider(v, st && st->leak_hint ? AT_MEMORY_LEAK : AT_OOM, P_CERTAIN, reason,
			 "mem_bytes", s->mem_bytes, NAN, s->mem_limit_bytes);
	if (reason && !strcmp(reason, "CrashLoopBackOff"))
		consider(v, mentions_oom(s) && !(st && st->leak_hint) ? AT_OOM : restart_type(st),
			 P_STRONG + 0.02, reason, "restarts", s->restarts, 0, 0);
	if (is_one_of(reason, start_reasons))
		consider(v, AT_CRASH_LOOP, P_LIKELY + 0.05, reason, "containers_ready", ready, total, total);
	if (phase && !strcmp(phase, "Pending")) {
		bool unsched = (reason && !strcmp(reason, "Unschedulable")) ||
			       (s->last_event_reason && !strcmp(s->last_event_reason, "FailedScheduling"));
		if (unsched)
			consider(v, AT_SCHEDULING, P_STRONG + 0.02, "FailedScheduling", "pending_s",
				 fin(s->pod_age_s) ? s->pod_age_s : NAN, 0, 60);
		else if (fin(s->pod_age_s) && s->pod_age_s > 600)
			consider(v, AT_SCHEDULING, P_LIKELY, "Pending", "pending_s", s->pod_age_s, 0, 60);
	}
	if (phase && !strcmp(phase, "Failed")) {
		if (reason && !strcmp(reason, "Evicted"))
			consider(v, AT_NODE, P_LIKELY, reason, "containers_ready", ready, total, total);
		else
			consider(v, AT_CRASH_LOOP, P_LIKELY, reason ? reason : "Failed",
				 "containers_ready", ready, total, total);
	}
}

/* ---- learning and statistics ---- */

static struct pod_state *state_new(void)
{
	struct pod_state *st = xcalloc(1, sizeof(*st));

	st->last_restarts = NAN;
	st->last_mem_frac = NAN;
	return st;
}

static void restart_seen(struct pod_state *st, int64_t ts, int count)
{
	for (int i = 0; i < count && i < POD_RESTARTS; i++) {
		st->restart_ms[st->restart_head] = ts;
		st->restart_head = (uint8_t)((st->restart_head + 1) % POD_RESTARTS);
		if (st->nrestart < POD_RESTARTS)
			st->nrestart++;
	}
}

/*
 * The memory trend of the current container run: 1 with *rel (the rise
 * over the first value) and *slope (bytes/s) when the last POD_TREND points
 * rise steadily (at least 4 points over PERSIST_MS, or 3 when samples are
 * far apart; 80% of the steps up).
 */
static int trend(const struct pod_state *st, double *rel, double *slope)
{
	int n = st->trend_n, up = 0;
	double mt = 0, mv = 0, sxy = 0, sxx = 0;

	double span_ms = (st->trend_t[n > 0 ? n - 1 : 0] - st->trend_t[0]) * 1000.0;

	if (!((n >= 4 && span_ms >= PERSIST_MS) || (n >= 3 && span_ms >= 2 * COARSE_GAP_MS)))
		return 0;
	for (int i = 1; i < n; i++)
		if (st->trend_v[i] > st->trend_v[i - 1] * 1.002f)
			up++;
	if (up * 5 < (n - 1) * 4 || !(st->trend_v[0] > 0))
		return 0;
	for (int i = 0; i < n; i++) {
		mt += st->trend_t[i];
		mv += st->trend_v[i];
	}
	mt /= n;
	mv /= n;
	for (int i = 0; i < n; i++) {
		sxy += (st->trend_t[i] - mt) * (st->trend_v[i] - mv);
		sxx += (st->trend_t[i] - mt) * (st->trend_t[i] - mt);
	}
	if (!(sxx > 0))
		return 0;
	*slope = sxy / sxx;
	*rel = ((double)st->trend_v[n - 1] - st->trend_v[0]) / st->trend_v[0];
	return *slope > 0;
}

/* The least-squares slope (bytes/s) of the trend points; 0 with fewer than 6. */
static double ls_slope(const struct pod_state *st)
{
	int n = st->trend_n;
	double mt = 0, mv = 0, sxy = 0, sxx = 0;

	if (n < 6)
		return 0;
	for (int i = 0; i < n; i++) {
		mt += st->trend_t[i];
		mv += st->trend_v[i];
	}
	mt /= n;
	mv /= n;
	for (int i = 0; i < n; i++) {
		sxy += (st->trend_t[i] - mt) * (st->trend_v[i] - mv);
		sxx += (st->trend_t[i] - mt) * (st->trend_t[i] - mt);
	}
	return sxx > 0 ? sxy / sxx : 0;
}

static void trend_push(struct pod_state *st, int64_t ts, double mem)
{
	if (st->trend_n == POD_TREND) {
		memmove(st->trend_t, st->trend_t + 1, (POD_TREND - 1) * sizeof(float));
		memmove(st->trend_v, st->trend_v + 1, (POD_TREND - 1) * sizeof(float));
		st->trend_n--;
	}
	st->trend_t[st->trend_n] = (float)((double)(ts - st->first_ms) / 1000.0);
	st->trend_v[st->trend_n] = (float)mem;
	st->trend_n++;
}

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/*
 * Whether a condition held h ms (since the first sample that showed it)
 * outlasts a natural burst: PERSIST_MS; or, with samples far apart, two in a
 * row (a burst of at most two minutes cannot cover both).
 */
static bool persisted(const struct pod_state *st, int64_t h)
{
	return h >= PERSIST_MS || (st->gap_ms >= COARSE_GAP_MS && h >= COARSE_PERSIST_MS);
}

/* How long a condition has held: starts its clock when it begins. */
static int64_t held(int64_t *since, bool on, int64_t ts)
{
	if (!on) {
		*since = 0;
		return -1;
	}
	if (!*since)
		*since = ts;
	return ts - *since;
}

static void restarts_and_readiness(const struct sample *s, struct pod_state *st, int64_t ts,
				   bool restarted, struct pod_verdict *v)
{
	int recent = restarts_within(st, ts, RESTART_WINDOW_MS);
	bool running = s->phase && !strcmp(s->phase, "Running");
	bool unready;
	int64_t h;

	if (recent >= 3)
		consider(v, restart_type(st), P_CERTAIN, "RestartsRising", "restarts_15m", recent, 0, 1);
	else if (recent == 2)
		consider(v, restart_type(st), P_STRONG - 0.02, "RestartsRising", "restarts_15m", recent, 0, 1);
	else if (recent == 1)
		consider(v, restart_type(st), st->oom_hint ? P_LIKELY + 0.02 : P_WEAK,
			 st->oom_hint ? "OOMKilled" : "Restarted", "restarts_15m", recent, 0, 1);

	unready = running && fin(s->containers_total) && fin(s->containers_ready) &&
		  s->containers_ready < s->containers_total && !restarted &&
		  !(fin(s->pod_age_s) && s->pod_age_s < 60);
	h = held(&st->unready_since, unready, ts);
	if (h >= 0)
		consider(v, AT_PARTIAL_FAILURE, h >= 90000 ? P_LIKELY : P_WEAK - 0.1, "ReadinessLost",
			 "containers_ready", s->containers_ready, s->containers_total,
			 s->containers_total);
}

static void cpu_checks(const struct sample *s, struct pod_state *st, int64_t ts,
		       struct pod_verdict *v)
{
	double cpu = s->cpu_mcores, lim = s->cpu_limit_mcores, thr = s->cpu_throttled_pct;
	bool have_thr = fin(thr) && thr >= 0 && thr <= 100.0001;
	bool high = false;
	int64_t h;

	/*
	 * Throttled: the share of CFS periods in which the pod ran out of its
	 * quota (cAdvisor, the cpu_throttled_pct column) at or above
	 * THROTTLE_SHARE. Busy pods are throttled at their daily peak for a few
	 * minutes; a demand above the limit keeps them there, so the score
	 * grows with the time held. Without the column (metrics-server only,
	 * older files) CPU pinned at >= 95% of its limit stands in for it; once
	 * a pod has reported the column a missing value leaves the clock alone.
	 */
	if (have_thr)
		st->thr_seen = 1;
	if (have_thr || !st->thr_seen) {
		bool on = have_thr ? thr >= THROTTLE_SHARE
				   : fin(cpu) && fin(lim) && lim > 0 && cpu >= 0.95 * lim;
		h = held(&st->cpu_limit_since, on, ts);
		if (h >= 0) {
			double p = persisted(st, h)
				? clamp(0.5 + 0.4 * (double)(h - PERSIST_MS) / (THROTTLE_MS - PERSIST_MS), 0.5, 0.9)
				: P_WEAK - 0.05;
			if (have_thr)
				consider(v, AT_CPU_THROTTLING, p, "CPUThrottled", "cpu_throttled_pct", thr, 0,
					 THROTTLE_SHARE);
			else
				consider(v, AT_CPU_THROTTLING, p, "CPUAtLimit", "cpu_mcores", cpu, 0, 0.95 * lim);
		}
	}
	if (!fin(cpu) || cpu < 0 || cpu > 1e8)          /* absent or garbled */
		return;
	if (st->cpu.n >= MIN_BASELINE) {
		double med, mad, scale, z;

		pod_ring_stats(&st->cpu, &med, &mad);
		scale = fmax(fmax(1.4826 * mad, 0.08 * med), 5.0);
		z = (cpu - med) / scale;
		high = z >= 6 && cpu >= 1.6 * med && cpu - med >= 25;
		h = held(&st->cpu_high_since, high, ts);
		if (h >= 0)
			consider(v, AT_CPU_SATURATION,
				 persisted(st, h) ? clamp(0.8 + 0.01 * (z - 6), 0.8, 0.95) : P_WEAK - 0.05,
				 "CPUAboveNormal", "cpu_mcores", cpu, fmax(0, med - 3 * scale),
				 med + 6 * scale);
	} else if (fin(s->cpu_request_mcores) && s->cpu_request_mcores > 0) {
		/* No baseline yet (a new pod, or a fault soon after we started):
		 * far above what the pod asked for, lasting, is a finding too, and
		 * is kept out of the baseline to come. */
		double req = s->cpu_request_mcores;

		high = cpu >= 3 * req && cpu - req >= 50;
		h = held(&st->cpu_high_since, high, ts);
		if (h >= 0)
			consider(v, AT_CPU_SATURATION, persisted(st, h) ? 0.75 : P_WEAK - 0.05,
				 "CPUAboveRequest", "cpu_mcores", cpu, 0, 3 * req);
	}
	if (!high || ++st->cpu_high_run > ADAPT_AFTER)
		pod_ring_push(&st->cpu, cpu);
	if (!high)
		st->cpu_high_run = 0;
}

/*
 * Memory far above the baseline the pod's workload shares (pod_workload.c)
 * and above the pod's own: one pod of a Deployment grows while its
 * siblings do not. Its own baseline keeps a pod that always runs above its
 * siblings (a shard, a leader) from counting. Thresholds chosen by leave
 * one scenario family out (docs/detect.md).
 */
static void workload_check(const struct sample *s, struct pod_state *st, int64_t ts, double wl_mem,
			   struct pod_verdict *v)
{
	double mem = s->mem_bytes, med, mad;
	bool on = false;
	int64_t h;

	if (fin(wl_mem) && wl_mem > 0 && st->mem.n >= MIN_BASELINE) {
		pod_ring_stats(&st->mem, &med, &mad);
		on = mem >= WL_RATIO * wl_mem && mem >= WL_OWN * med;
	}
	h = held(&st->wl_high_since, on, ts);
	if (h < 0)
		return;
	if (h >= WL_PERSIST_MS)
		st->leak_hint = 1;
	consider(v, AT_MEMORY_LEAK, h >= WL_PERSIST_MS ? P_STRONG : P_WEAK - 0.1, "MemoryAboveWorkload",
		 "mem_bytes", mem, NAN, WL_RATIO * wl_mem);
}

static void memory_checks(const struct sample *s, struct pod_state *st, int64_t ts,
			  bool restarted, double wl_mem, struct pod_verdict *v)
{
	double mem = s->mem_bytes, lim = s->mem_limit_bytes, rel = 0, slope = 0;
	bool running = s->phase && !strcmp(s->phase, "Running") && !s->reason;
	bool young = fin(s->pod_age_s) && s->pod_age_s < 60;
	bool rising = false, high = false, above = false;

	if (!fin(mem) || mem < 0 || mem > 1e15) {       /* absent or garbled */
		st->last_mem_frac = NAN;
		return;
	}
	if (restarted || !running) {
		st->trend_n = 0;
	} else if (!young) {
		trend_push(st, ts, mem);
		if (trend(st, &rel, &slope)) {
			double left = fin(lim) && lim > mem ? (lim - mem) / slope : INFINITY;
			double p = 0;

			/* Natural memory wanders (within about 15% of its level over
			 * minutes): a steady rise counts when it is larger than any
			 * wander, or when it would reach the limit soon. */
			if (rel >= 0.3 || (rel >= 0.2 && left < 900))
				p = P_STRONG + 0.02;
			else if (rel >= 0.25 || (rel >= 0.15 && left < 300))
				p = P_LIKELY;
			else if (rel >= 0.12)
				p = P_WEAK - 0.1;
			if (p > 0) {
				rising = p >= P_LIKELY;
				consider(v, AT_MEMORY_LEAK, p, "MemoryGrowing", "mem_bytes", mem,
					 st->trend_v[0] * 0.92, st->trend_v[0] * 1.08);
			}
		}
		st->mem_slope = (float)ls_slope(st);
	}
	if (rising)
		st->leak_hint = 1;
	if (running && !young && !restarted)
		workload_check(s, st, ts, wl_mem, v);
	else
		st->wl_high_since = 0;
	if (st->mem.n >= MIN_BASELINE) {
		double med, mad, scale, z;

		pod_ring_stats(&st->mem, &med, &mad);
		scale = fmax(fmax(1.4826 * mad, 0.04 * med), 2.0 * 1024 * 1024);
		(void)z;
		/* Natural memory wanders within about 8% of its level; the
		 * baseline never takes a value above 1.08x its median, so a slow
		 * leak cannot drag it along, and anything 12% above it counts. */
		above = mem > 1.08 * med;
		high = mem >= 1.12 * med && mem - med >= 6.0 * 1024 * 1024;
		if (high) {
			/* graded by how far, and by the time left until the limit at
			 * the current rise */
			double r = mem / med, left = fin(lim) && lim > mem && st->mem_slope > 0
						       ? (lim - mem) / st->mem_slope : INFINITY;
			double p = r >= 1.3 ? 0.9 : r >= 1.2 ? 0.8 : r >= 1.15 ? 0.65 : 0.45;
			if (st->mem_slope > 0 && left < 1800)
				p = fmin(0.92, p + 0.1);
			if (!(st->mem_slope > 0))
				p -= 0.1;
			consider(v, AT_MEMORY_LEAK, st->mem_high_run >= 1 ? p : P_WEAK - 0.1,
				 "MemoryAboveNormal", "mem_bytes", mem, fmax(0, med - 3 * scale),
				 med * 1.12);
		}
	}
	/* The baseline learns only from samples that look normal, and from a
	 * lasting new level once it has lasted long enough to be the normal. */
	/* (a level that keeps rising is never the new normal) */
	if ((!high && !above && !rising && !young && running) ||
	    (++st->mem_high_run > ADAPT_AFTER && !(st->mem_slope > 10240))) {
		/* Once it has a few, the ring takes every 4th sample: it then
		 * spans about an hour at 30 s, so a slow leak cannot drag the
		 * baseline along with it. */
		if (st->mem.n < 8 || ++st->mem_thin >= 4) {
			pod_ring_push(&st->mem, mem);
			st->mem_thin = 0;
		}
	}
	if (!high && !rising)
		st->mem_high_run = 0;
	else if (st->mem_high_run == 0)
		st->mem_high_run = 1;
	st->last_mem_frac = fin(lim) && lim > 0 ? (float)(mem / lim) : NAN;
}

double pod_sum2(double a, double b)
{
	if (!fin(a) && !fin(b))
		return NAN;
	return (fin(a) ? a : 0) + (fin(b) ? b : 0);
}

static void network_checks(const struct sample *s, struct pod_state *st, int64_t ts,
			   struct pod_verdict *v)
{
	double err = pod_sum2(s->net_rx_errors_ps, s->net_tx_errors_ps);
	double drop = pod_sum2(s->net_rx_dropped_ps, s->net_tx_dropped_ps);
	int64_t h;

	h = held(&st->net_since, fin(err) && err >= 0.5, ts);
	if (h >= 0)
		consider(v, AT_NETWORK, h > 0 || st->gap_ms >= 60000 ? P_STRONG : P_WEAK + 0.05, "NetworkErrors",
			 "net_errors_ps", err, 0, 0.5);
	h = held(&st->drop_since, fin(drop) && drop >= 1, ts);
	if (h >= 0)
		consider(v, AT_NETWORK, h > 0 || st->gap_ms >= 60000 ? P_STRONG - 0.02 : P_WEAK + 0.05,
			 "PacketDrops",
			 "net_dropped_ps", drop, 0, 1);
}

/* A restart count a kubelet could report (a garbled one teaches nothing). */
static bool plausible_restarts(double r)
{
	return fin(r) && r >= 0 && r < 1e7;
}

/* Restarts since the previous sample; the first sample of a young pod counts
 * its restarts as recent (a pod that crashes from its start). */
static int new_restarts(const struct sample *s, const struct pod_state *st)
{
	double r = s->restarts;

	if (!plausible_restarts(r))
		return 0;
	if (fin(st->last_restarts))
		return r > st->last_restarts ? (int)fmin(r - st->last_restarts, POD_RESTARTS) : 0;
	if (fin(s->pod_age_s) && s->pod_age_s < 1800)
		return (int)fmin(r, 3);
	return 0;
}

/*
 * Rules and statistics for one sample; returns the pod's state when the
 * sample taught it (so the LSTM may score it), NULL otherwise.
 */
struct pod_state *pod_observe_core(struct pod_detector *d, const struct sample *s, double wl_mem,
				   struct pod_verdict *out)
{
	char key[640];
	struct pod_state *st;
	int64_t ts = s->ts_ms;
	int restarts;
	bool restarted;

	pod_verdict_clear(out);
	/* namespace (<= 63) and pod name (<= 253): a stack key, no allocation per sample */
	snprintf(key, sizeof(key), "%s/%s", s->namespace, s->pod);
	st = strmap_get(&d->pods, key);
	if (!st && d->pods.n < d->max_pods) {
		st = state_new();
		strmap_put(&d->pods, key, st);
	}
	if (fin(s->node_ready) && s->node_ready == 0) {
		/* The node's verdict speaks for its pods, which cannot report. */
		out->skip = true;
		return NULL;
	}
	if (!st || (st->nsamples && ts <= st->last_ms)) {
		rules(s, NULL, out);
		return NULL;
	}
	if (st->nsamples && ts - st->last_ms > d->stale_ms) {
		/* A long gap: what held before may not hold now. */
		st->cpu_high_since = st->cpu_limit_since = st->net_since = 0;
		st->drop_since = st->unready_since = st->wl_high_since = 0;
		st->trend_n = 0;
	}
	if (!st->nsamples)
		st->first_ms = ts;
	/* Rates are averaged over the gap since the previous sample: a long
	 * one carries the evidence of several short ones. */
	st->gap_ms = st->nsamples ? ts - st->last_ms : 0;
	restarts = new_restarts(s, st);
	restarted = restarts > 0;
	if (restarted) {
		/* One incident keeps one cause: the hints of earlier restarts in
		 * the window stand (a later kill may be sampled far from its peak). */
		bool oom_now = (fin(st->last_mem_frac) && st->last_mem_frac >= 0.85) ||
			       mentions_oom(s);

		if (oom_now)
			st->oom_hint = 1;
		else if (!restarts_within(st, ts, RESTART_WINDOW_MS))
			st->oom_hint = st->leak_hint = 0;
		restart_seen(st, ts, restarts);
	}
	if (plausible_restarts(s->restarts))
		st->last_restarts = s->restarts;
	rules(s, st, out);
	restarts_and_readiness(s, st, ts, restarted, out);
	cpu_checks(s, st, ts, out);
	memory_checks(s, st, ts, restarted, wl_mem, out);
	network_checks(s, st, ts, out);
	st->last_ms = ts;
	st->nsamples++;
	return st;
}

/* ---- nodes ---- */

static const struct {
	const char *cond;
	double p;
} node_conds[] = {
	{ "MemoryPressure", P_STRONG },
	{ "DiskPressure", P_STRONG },
	{ "PIDPressure", P_LIKELY + 0.05 },
	{ "NetworkUnavailable", P_STRONG },
};

size_t pod_detector_nodes(const struct pod_detector *d, const struct sample *rows, size_t n,
			  struct pod_node_verdict *out, size_t max)
{
	/* Rows grouped by node in one pass (a map and a chain of row indices),
	 * so the work grows with the rows, not rows x nodes. */
	struct strmap idx = STRMAP_INIT;
	size_t *first = xmalloc((max ? max : 1) * sizeof(*first));
	size_t *last = xmalloc((max ? max : 1) * sizeof(*last));
	size_t *next = xmalloc((n ? n : 1) * sizeof(*next));
	size_t m = 0;
	bool any_known = false;

	for (size_t i = 0; i < n; i++) {
		const char *node = rows[i].node;
		uintptr_t k;

		any_known |= fin(rows[i].node_ready);
		next[i] = SIZE_MAX;
		if (!node || !*node)
			continue;
		k = (uintptr_t)strmap_get(&idx, node);
		if (!k) {
			if (m >= max)
				continue;
			out[m].node = node;
			first[m] = last[m] = i;
			strmap_put(&idx, node, (void *)(uintptr_t)(++m));
			continue;
		}
		next[last[k - 1]] = i;
		last[k - 1] = i;
	}
	for (size_t k = 0; k < m; k++) {
		struct pod_verdict *v = &out[k].v;
		double ready = NAN;
		bool all_silent = true;

		pod_verdict_clear(v);
		for (size_t j = first[k]; j != SIZE_MAX; j = next[j]) {
			const struct sample *r = &rows[j];
			if (fin(r->node_ready) && !fin(ready))
				ready = r->node_ready;
			if (fin(r->cpu_mcores) || fin(r->mem_bytes))
				all_silent = false;
			for (size_t c = 0; c < sizeof(node_conds) / sizeof(node_conds[0]); c++)
				if (r->node_conditions && strstr(r->node_conditions, node_conds[c].cond))
					consider(v, AT_NODE, node_conds[c].p, node_conds[c].cond,
						 "node_condition", 1, 0, 0);
		}
		if (fin(ready) && ready == 0)
			consider(v, AT_NODE, P_CERTAIN, "NotReady", "node_ready", 0, 1, 1);
		else if (!fin(ready) && any_known && all_silent)
			consider(v, AT_NODE, P_STRONG, "NodeStatusUnknown", "node_ready", NAN, 1, 1);
		v->probability = pod_detector_calibrate(d, v->score);
	}
	strmap_clear(&idx, NULL);
	free(first);
	free(last);
	free(next);
	return m;
}
