#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "base/str.h"
#include "detect/detector.h"
#include "detect/lstm_fast.h"
#include "base/banned.h"

#define NF FEAT_MODEL_COUNT
#define WMAX 64                 /* longest model window the state can hold */
#define WARM 10                 /* samples before the statistics score */
#define HALF 60.0               /* samples: memory of the per-pod statistics */
#define NIL UINT32_MAX

const char *const anomaly_type_name[ANOM_COUNT] = {
	"none", "crash_loop", "oom", "memory_leak", "cpu_saturation", "network",
	"partial_failure", "node", "scheduling", "image_pull", "io",
};

/* Everything kept per pod; its size is checked against the 4 KiB budget. */
struct podstate {
	char key[DETECTOR_KEY_MAX];
	uint64_t hash;
	uint32_t prev, next;            /* least-recently-seen list */
	uint32_t n;                     /* samples learned */
	int64_t last_ts;
	float mean[NF], dev[NF];        /* EW mean and mean absolute deviation (model scale) */
	float restarts, mem_pct, mem_slope;
	float surprise;                 /* EW mean of the LSTM surprise */
	uint32_t nsur;
	uint16_t wpos, wlen;
	float win[WMAX][NF];            /* normalised model inputs, a ring */
};

_Static_assert(sizeof(struct podstate) <= DETECTOR_POD_STATE_MAX,
	       "per-pod state must stay within 4 KiB");

struct detector {
	struct detector_opts o;
	struct lstm_fast fast;
	int have_model;
	struct podstate *pods;          /* max_pods slots */
	uint32_t *table;                /* open addressing: pod index or NIL */
	size_t tcap, npods, used;
	uint32_t head, tail;            /* most and least recently seen */
	uint32_t freelist;
};

/* Minimal scale per feature on the model scale, so flat series stay quiet. */
static const float min_scale[NF] = { 5, 2, 0.05f, 2, 0.3f, 0.3f, 0.1f, 0.1f };

size_t detector_pod_state_bytes(void)
{
	return sizeof(struct podstate);
}

int detector_new(const struct detector_opts *o, struct detector **out)
{
	struct detector *d = xcalloc(1, sizeof(*d));

	d->o = *o;
	if (!(d->o.alert_threshold >= 0 && d->o.alert_threshold <= 1))
		d->o.alert_threshold = DETECTOR_DEFAULT_THRESHOLD;
	if (!d->o.max_pods)
		d->o.max_pods = 100000;
	if (d->o.max_pods > (size_t)NIL / 4)
		d->o.max_pods = (size_t)NIL / 4;
	if (o->model) {
		const struct lstm *m = o->model;
		if (m->sh.nin != NF || m->sh.nout != NF || m->sh.window > WMAX) {
			free(d);
			return -EINVAL;
		}
		for (int i = 0; i < NF; i++)
			if (strcmp(m->feat[i], feat_names[i])) {
				free(d);
				return -EINVAL;
			}
		lstm_fast_init(&d->fast, m);
		d->have_model = 1;
	}
	d->tcap = 16;
	while (d->tcap < 2 * d->o.max_pods)
		d->tcap *= 2;
	d->table = xmalloc(d->tcap * sizeof(uint32_t));
	for (size_t i = 0; i < d->tcap; i++)
		d->table[i] = NIL;
	d->head = d->tail = d->freelist = NIL;
	*out = d;
	return 0;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	if (d->have_model)
		lstm_fast_release(&d->fast);
	free(d->pods);
	free(d->table);
	free(d);
}

size_t detector_pods(const struct detector *d)
{
	return d->npods;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static void lru_unlink(struct detector *d, uint32_t i)
{
	struct podstate *p = &d->pods[i];
	if (p->prev != NIL)
		d->pods[p->prev].next = p->next;
	else
		d->head = p->next;
	if (p->next != NIL)
		d->pods[p->next].prev = p->prev;
	else
		d->tail = p->prev;
}

static void lru_front(struct detector *d, uint32_t i)
{
	struct podstate *p = &d->pods[i];
	p->prev = NIL;
	p->next = d->head;
	if (d->head != NIL)
		d->pods[d->head].prev = i;
	d->head = i;
	if (d->tail == NIL)
		d->tail = i;
}

/* Removes slot i's key from the table (backward-shift deletion). */
static void table_remove(struct detector *d, uint32_t idx)
{
	size_t mask = d->tcap - 1, i = d->pods[idx].hash & mask;

	while (d->table[i] != idx)
		i = (i + 1) & mask;
	for (;;) {
		size_t j = i, k;
		d->table[i] = NIL;
		for (;;) {
			j = (j + 1) & mask;
			if (d->table[j] == NIL)
				return;
			k = d->pods[d->table[j]].hash & mask;
			/* k cyclically in (i, j] stays; otherwise it moves to i */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		d->table[i] = d->table[j];
		i = j;
	}
}

static struct podstate *lookup(struct detector *d, const char *key)
{
	uint64_t h = fnv(key);
	size_t mask = d->tcap - 1, i = h & mask;
	uint32_t idx;

	for (; d->table[i] != NIL; i = (i + 1) & mask) {
		struct podstate *p = &d->pods[d->table[i]];
		if (p->hash == h && !strcmp(p->key, key)) {
			lru_unlink(d, d->table[i]);
			lru_front(d, d->table[i]);
			return p;
		}
	}
	if (d->npods == d->o.max_pods) {        /* drop the least recently seen */
		idx = d->tail;
		lru_unlink(d, idx);
		table_remove(d, idx);
		d->npods--;
		i = h & mask;
		while (d->table[i] != NIL)
			i = (i + 1) & mask;
	} else {
		if (d->used == 0)
			d->pods = xmalloc(d->o.max_pods < 1024 ? d->o.max_pods * sizeof(*d->pods)
							       : 1024 * sizeof(*d->pods));
		else if (d->used >= 1024 && (d->used & (d->used - 1)) == 0)
			d->pods = xrealloc(d->pods, (2 * d->used < d->o.max_pods ? 2 * d->used
								  : d->o.max_pods) * sizeof(*d->pods));
		idx = (uint32_t)d->used++;
	}
	memset(&d->pods[idx], 0, sizeof(d->pods[idx]));
	str_copy(d->pods[idx].key, key, sizeof(d->pods[idx].key));
	d->pods[idx].hash = h;
	d->pods[idx].last_ts = INT64_MIN;
	d->table[i] = idx;
	lru_front(d, idx);
	d->npods++;
	return &d->pods[idx];
}

static double value(const struct features *f, int i)
{
	double v = f->v[i];
	return isfinite(v) ? v : NAN;
}

static void add_signal(struct verdict *v, const char *metric, double val, double lo, double hi)
{
	struct signal *s;
	if (v->nsig == DETECTOR_MAX_SIGNALS)
		return;
	for (int i = 0; i < v->nsig; i++)
		if (!strcmp(v->sig[i].metric, metric))
			return;
	s = &v->sig[v->nsig++];
	str_copy(s->metric, metric, sizeof(s->metric));
	s->value = val;
	s->lo = lo;
	s->hi = hi;
}

static void rule(struct verdict *v, double *best, enum anomaly_type t, double p,
		 const char *metric, double val, double lo, double hi)
{
	if (p > *best) {
		*best = p;
		v->type = t;
	}
	add_signal(v, metric, val, lo, hi);
}

/* States that need no learning. */
static void rules(const struct podstate *ps, const struct features *f, struct verdict *v)
{
	double best = 0, r = value(f, FEAT_RESTARTS), rd = value(f, FEAT_CONTAINERS_READY);
	double rt = value(f, FEAT_CONTAINERS_TOTAL), cpu = value(f, FEAT_CPU_PCT);
	double mem = value(f, FEAT_MEM_PCT), nr = value(f, FEAT_NODE_READY);
	double ne = value(f, FEAT_NET_ERRORS_PS), nd = value(f, FEAT_NET_DROPPED_PS);

	if (strstr(f->reason, "CrashLoopBackOff"))
		rule(v, &best, ANOM_CRASH_LOOP, 0.95, "restarts", r, 0, ps && ps->n ? ps->restarts : NAN);
	if (strstr(f->reason, "OOMKilled"))
		rule(v, &best, ANOM_OOM, 0.95, "mem_pct", mem, 0, 90);
	if (strstr(f->reason, "ImagePull") || strstr(f->reason, "ErrImage") ||
	    strstr(f->reason, "InvalidImageName"))
		rule(v, &best, ANOM_IMAGE_PULL, 0.95, "reason", NAN, NAN, NAN);
	if (strstr(f->reason, "Unschedulable") || strstr(f->reason, "FailedScheduling"))
		rule(v, &best, ANOM_SCHEDULING, 0.9, "phase", NAN, NAN, NAN);
	if (strstr(f->reason, "Evicted"))
		rule(v, &best, ANOM_NODE, 0.85, "reason", NAN, NAN, NAN);
	if (nr == 0)
		rule(v, &best, ANOM_NODE, 0.9, "node_ready", nr, 1, 1);
	if (strstr(f->node_conditions, "DiskPressure"))
		rule(v, &best, ANOM_IO, 0.8, "node_conditions", NAN, NAN, NAN);
	else if (f->node_conditions[0])
		rule(v, &best, ANOM_NODE, 0.75, "node_conditions", NAN, NAN, NAN);
	if (ps && ps->n && isfinite(r) && r > ps->restarts)
		rule(v, &best, ANOM_CRASH_LOOP, 0.8, "restarts", r, ps->restarts, ps->restarts);
	if (!strcmp(f->phase, "Running") && isfinite(rd) && isfinite(rt) && rd < rt)
		rule(v, &best, ANOM_PARTIAL_FAILURE, 0.75, "containers_ready", rd, rt, rt);
	if ((isfinite(ne) && ne > 0) || (isfinite(nd) && nd > 0)) {
		double worst = fmax(isfinite(ne) ? ne : 0, isfinite(nd) ? nd : 0);
		rule(v, &best, ANOM_NETWORK, worst >= 1 ? 0.75 : 0.5,
		     isfinite(ne) && ne >= (isfinite(nd) ? nd : 0) ? "net_errors_ps" : "net_dropped_ps",
		     worst, 0, 0);
	}
	if (isfinite(cpu) && cpu >= 95)
		rule(v, &best, ANOM_CPU_SATURATION, 0.75, "cpu_pct", cpu, 0, 95);
	if (isfinite(mem) && mem >= 90)
		rule(v, &best, ps && ps->n > 30 && ps->mem_slope > 0.05 ? ANOM_MEMORY_LEAK : ANOM_OOM,
		     0.75, "mem_pct", mem, 0, 90);
	else if (ps && ps->n > 30 && isfinite(mem) && mem >= 70 && ps->mem_slope > 0.1)
		rule(v, &best, ANOM_MEMORY_LEAK, 0.7, "mem_pct", mem, 0, 70);
	v->rule = best;
}

/* The type a deviating feature suggests. */
static enum anomaly_type stat_type(int i)
{
	switch (i) {
	case FEAT_CPU_MCORES:
	case FEAT_CPU_PCT:
		return ANOM_CPU_SATURATION;
	case FEAT_MEM_BYTES:
	case FEAT_MEM_PCT:
		return ANOM_MEMORY_LEAK;
	default:
		return ANOM_NETWORK;
	}
}

static double from_model_scale(int i, double v)
{
	/* the inverse of feat_model_value for log-scaled features */
	return (i == FEAT_MEM_BYTES || i == FEAT_NET_RX_BPS || i == FEAT_NET_TX_BPS) ? expm1(v) : v;
}

int detector_observe(struct detector *d, const char *pod_key,
		     const struct features *f, int64_t ts_ms, struct verdict *out)
{
	struct podstate *ps;
	struct verdict v;
	double x[NF], z[NF], zmax = 0, pstat = 0, pmodel = 0, p;
	int top = -1, learn;

	if (!pod_key || !*pod_key || strlen(pod_key) >= DETECTOR_KEY_MAX)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	ps = lookup(d, pod_key);
	learn = ts_ms > ps->last_ts;    /* a late sample is scored, not learnt */
	rules(ps, f, &v);
	for (int i = 0; i < NF; i++) {
		x[i] = feat_model_value(i, value(f, i));
		z[i] = 0;
		if (!isfinite(x[i]) || ps->n < WARM)
			continue;
		z[i] = fabs(x[i] - ps->mean[i]) / fmax(1.25 * ps->dev[i], min_scale[i] +
						       0.02 * fabs(ps->mean[i]) * (i == FEAT_CPU_MCORES));
		if (z[i] > zmax) {
			zmax = z[i];
			top = i;
		}
	}
	pstat = 1 - exp(-fmax(0, zmax - 4) / 3);
	if (d->have_model && learn) {
		const struct lstm *m = d->o.model;
		int T = m->sh.window;
		double s = 0;
		int present = 0;
		if (ps->wlen >= T) {
			float win[WMAX * NF], pred[NF];
			for (int t = 0; t < T; t++) {
				int slot = (ps->wpos + WMAX - T + t) % WMAX;
				memcpy(win + t * NF, ps->win[slot], sizeof(ps->win[slot]));
			}
			lstm_fast_run(&d->fast, win, 1, T, pred);
			for (int i = 0; i < NF; i++) {
				double e;
				if (!isfinite(x[i]))
					continue;
				e = ((double)pred[i] - (x[i] - m->centre[i]) / m->scale[i]) / m->err_scale[i];
				s += e * e;
				present++;
			}
			s = present ? s / present : 0;
			/* relative to this pod's usual surprise, so a pod the
			 * model fits badly but steadily stays quiet */
			if (ps->nsur >= 10)
				pmodel = 1 - exp(-fmax(0, s / fmax(ps->surprise, 1e-3) - 4) / 6);
			ps->surprise = ps->nsur ? 0.97f * ps->surprise + 0.03f * (float)fmin(s, 1e6)
						: (float)fmin(s, 1e6);
			ps->nsur++;
		}
		for (int i = 0; i < NF; i++)
			ps->win[ps->wpos][i] = isfinite(x[i]) ? (float)((x[i] - m->centre[i]) / m->scale[i]) : 0.0f;
		ps->wpos = (uint16_t)((ps->wpos + 1) % WMAX);
		if (ps->wlen < WMAX)
			ps->wlen++;
	}
	v.stat = pstat;
	v.model = pmodel;
	p = 1 - (1 - v.rule) * (1 - 0.85 * pstat) * (1 - 0.85 * pmodel);
	v.probability = p < 0 ? 0 : p > 1 ? 1 : p;
	if (v.rule == 0 && fmax(pstat, pmodel) > 0.3 && top >= 0)
		v.type = stat_type(top);
	if (top >= 0 && pstat > 0.3) {
		double sc = fmax(1.25 * ps->dev[top], min_scale[top]);
		add_signal(&v, feat_names[top], value(f, top),
			   from_model_scale(top, ps->mean[top] - 3 * sc),
			   from_model_scale(top, ps->mean[top] + 3 * sc));
	}
	v.alert = v.probability >= d->o.alert_threshold;
	if (learn) {
		double a = ps->n < HALF ? 1.0 / (ps->n + 1) : 1.0 / HALF, mem = value(f, FEAT_MEM_PCT);
		double r = value(f, FEAT_RESTARTS);
		for (int i = 0; i < NF; i++) {
			double ai = z[i] > 6 ? a / 10 : a;      /* an outlier moves the baseline less */
			if (!isfinite(x[i]))
				continue;
			if (ps->n == 0) {
				ps->mean[i] = (float)x[i];
				continue;
			}
			ps->dev[i] = (float)((1 - ai) * ps->dev[i] + ai * fabs(x[i] - ps->mean[i]));
			ps->mean[i] = (float)((1 - ai) * ps->mean[i] + ai * x[i]);
		}
		if (isfinite(mem)) {
			if (ps->n)
				ps->mem_slope = (float)(0.95 * ps->mem_slope + 0.05 * (mem - ps->mem_pct));
			ps->mem_pct = (float)mem;
		}
		if (isfinite(r))
			ps->restarts = (float)r;
		ps->n++;
		ps->last_ts = ts_ms;
	}
	*out = v;
	return 0;
}

int detector_threshold(const char *flag, double *out, char *err, size_t errlen)
{
	static const char *const envs[] = { "ANOMALY_THRESHOLD", "THRESHOLD" };
	const char *src = "--alert-threshold", *val = flag;
	double t;

	for (size_t i = 0; !val && i < 2; i++) {
		val = getenv(envs[i]);
		src = envs[i];
		if (val && !*val)
			val = NULL;
	}
	if (!val) {
		*out = DETECTOR_DEFAULT_THRESHOLD;
		return 0;
	}
	if (str_to_double(val, &t) < 0 || t < 0 || t > 1) {
		snprintf(err, errlen, "%s: '%s' is not a number in [0,1]", src, val);
		return -EINVAL;
	}
	*out = t;
	return 0;
}
