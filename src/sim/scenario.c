/*
 * Scenario files (docs/scenarios.md) and the generated default cluster. The
 * reader validates everything it is given and reports the first mistake as
 * "FILE:LINE:COL: what is wrong", pointing at the key or value at fault.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "conf/ynode.h"
#include "sim/scenario.h"
#include "base/banned.h"

#define P_RATE   1u
#define P_FACTOR 2u
#define P_LIMIT  4u
#define P_RELEASE 8u

/* The fault registry: names, targets and the params each type takes. */
static const struct ftinfo {
	const char *name;
	bool node;
	unsigned params;
} ftypes[FAULT__COUNT] = {
	[FAULT_MEMORY_LEAK]          = { "memory_leak", false, P_RATE },
	[FAULT_OOM_LIMIT_TOO_LOW]    = { "oom_limit_too_low", false, P_LIMIT },
	[FAULT_CPU_SPIKE]            = { "cpu_spike", false, P_FACTOR },
	[FAULT_CPU_THROTTLING]       = { "cpu_throttling", false, P_FACTOR },
	[FAULT_CRASH_LOOP]           = { "crash_loop", false, P_RELEASE },
	[FAULT_NETWORK_ERRORS]       = { "network_errors", false, P_RATE },
	[FAULT_PACKET_DROPS]         = { "packet_drops", false, P_RATE },
	[FAULT_NODE_NOT_READY]       = { "node_not_ready", true, 0 },
	[FAULT_NODE_MEMORY_PRESSURE] = { "node_memory_pressure", true, 0 },
	[FAULT_IMAGE_PULL_ERROR]     = { "image_pull_error", false, 0 },
	[FAULT_UNSCHEDULABLE]        = { "unschedulable", false, P_FACTOR },
};

/* Documented defaults (docs/scenarios.md). */
#define DEF_LEAK_RATE     (256.0 * 1024)   /* bytes/s */
#define DEF_ERROR_RATE    5.0              /* errors/s */
#define DEF_DROP_RATE     20.0             /* drops/s */
#define DEF_SPIKE_FACTOR  4.0
#define DEF_NODE_CPU      8.0
#define DEF_NODE_MEM      (32.0 * 1073741824.0)
#define DEF_NODES         3
#define MAX_CPU           1024.0           /* cores: per pod or node */
#define MAX_MEM           (16.0 * 1099511627776.0) /* bytes: 16Ti */
#define MAX_NET           (100.0 * 1073741824.0)   /* bytes/s */
#define MAX_DURATION_MS   (366LL * 86400 * 1000)

const char *fault_type_name(enum fault_type t)
{
	if ((unsigned)t >= FAULT__COUNT)
		return "unknown";
	return ftypes[t].name;
}

int fault_type_parse(const char *s, enum fault_type *out)
{
	for (int i = 0; i < FAULT__COUNT; i++) {
		if (s && strcmp(s, ftypes[i].name) == 0) {
			*out = (enum fault_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool fault_type_is_node(enum fault_type t)
{
	return (unsigned)t < FAULT__COUNT && ftypes[t].node;
}

void scenario_release(struct scenario *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->nworkloads; i++) {
		free(sc->workloads[i].namespace_);
		free(sc->workloads[i].deployment);
		free(sc->workloads[i].image);
	}
	for (size_t i = 0; i < sc->nfaults; i++) {
		free(sc->faults[i].namespace_);
		free(sc->faults[i].deployment);
		free(sc->faults[i].node);
	}
	free(sc->workloads);
	free(sc->faults);
	memset(sc, 0, sizeof(*sc));
}

const struct workload *scenario_find(const struct scenario *sc, const char *ns,
				     const char *deployment)
{
	for (size_t i = 0; i < sc->nworkloads; i++)
		if (str_eq(sc->workloads[i].namespace_, ns) &&
		    str_eq(sc->workloads[i].deployment, deployment))
			return &sc->workloads[i];
	return NULL;
}

long scenario_pods(const struct scenario *sc)
{
	long n = 0;
	for (size_t i = 0; i < sc->nworkloads; i++)
		n += sc->workloads[i].replicas;
	return n;
}

/* ---- the reader ---- */

struct ctx {
	const char *name;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, const struct ynode *at, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d:%d: %s", c->name, at ? at->line : 1,
		 at ? at->col : 1, what);
	return -EINVAL;
}

/* The key node of key in map (for positions), or the map itself. */
static const struct ynode *key_node(const struct ynode *map, const char *key)
{
	for (size_t i = 0; map && map->kind == YNODE_MAP && i < map->n; i++)
		if (strcmp(map->keys[i]->scalar, key) == 0)
			return map->keys[i];
	return map;
}

static int check_keys(struct ctx *c, const struct ynode *map, const char *what,
		      const char *const *known)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->scalar;
		bool ok = false;
		char list[256] = "";
		size_t off = 0;

		for (size_t j = 0; known[j]; j++)
			if (strcmp(k, known[j]) == 0)
				ok = true;
		if (ok)
			continue;
		for (size_t j = 0; known[j] && off < sizeof(list); j++)
			off += (size_t)snprintf(list + off, sizeof(list) - off,
						"%s%s", j ? ", " : "", known[j]);
		return fail(c, map->keys[i], "unknown key '%s' in %s (known: %s)",
			    k, what, list);
	}
	return 0;
}

static int want_map(struct ctx *c, const struct ynode *n, const char *what)
{
	if (!n || n->kind != YNODE_MAP)
		return fail(c, n, "%s must be a mapping", what);
	return 0;
}

static int want_scalar(struct ctx *c, const struct ynode *n, const char *what,
		       const char **out)
{
	if (!n || n->kind != YNODE_SCALAR || !ynode_str(n))
		return fail(c, n, "%s must be a value (got %s)", what,
			    !n || n->kind == YNODE_SCALAR ? "nothing" :
			    n->kind == YNODE_MAP ? "a mapping" : "a list");
	*out = ynode_str(n);
	return 0;
}

static int get_int(struct ctx *c, const struct ynode *n, const char *what,
		   long lo, long hi, int *out)
{
	const char *s;
	int64_t v;
	int err = want_scalar(c, n, what, &s);

	if (err)
		return err;
	if (str_to_i64(s, &v))
		return fail(c, n, "%s must be a whole number, not '%s'", what, s);
	if (v < lo || v > hi)
		return fail(c, n, "%s %lld is out of range (%ld to %ld)", what,
			    (long long)v, lo, hi);
	*out = (int)v;
	return 0;
}

/* A Kubernetes quantity in [0, max]; zero allowed only when zero_ok. */
static int get_qty(struct ctx *c, const struct ynode *n, const char *what,
		   double max, bool zero_ok, double *out)
{
	const char *s;
	double v;
	int err = want_scalar(c, n, what, &s);

	if (err)
		return err;
	if (str_to_quantity(s, &v))
		return fail(c, n, "%s: '%s' is not a quantity (e.g. 250m, 1.5, 128Mi, 2Gi)",
			    what, s);
	if (v < 0)
		return fail(c, n, "%s must not be negative", what);
	if (v == 0 && !zero_ok)
		return fail(c, n, "%s must be greater than zero", what);
	if (v > max)
		return fail(c, n, "%s '%s' is too large (at most %g)", what, s, max);
	*out = v;
	return 0;
}

static int get_duration(struct ctx *c, const struct ynode *n, const char *what,
			bool zero_ok, int64_t *out)
{
	const char *s;
	int64_t v;
	int err = want_scalar(c, n, what, &s);

	if (err)
		return err;
	if (str_to_duration_ms(s, &v))
		return fail(c, n, "%s: '%s' is not a duration (e.g. 90s, 10m, 1h30m)",
			    what, s);
	if (v == 0 && !zero_ok)
		return fail(c, n, "%s must be longer than zero", what);
	if (v > MAX_DURATION_MS)
		return fail(c, n, "%s '%s' is too long (at most 366d)", what, s);
	*out = v;
	return 0;
}

/* A DNS-1123 label, as Kubernetes requires of namespaces and (here) deployments. */
static int get_name(struct ctx *c, const struct ynode *n, const char *what,
		    size_t max, char **out)
{
	const char *s;
	size_t len;
	int err = want_scalar(c, n, what, &s);

	if (err)
		return err;
	len = strlen(s);
	if (len > max)
		return fail(c, n, "%s '%.40s...' is longer than %zu characters", what, s, max);
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && !(ch == '-' && i > 0 && i + 1 < len))
			return fail(c, n, "%s '%s' must be lowercase letters, digits and "
				    "'-', starting and ending with a letter or digit", what, s);
	}
	*out = xstrdup(s);
	return 0;
}

static const char *const resource_keys[] = { "cpu", "memory", NULL };
static const char *const usage_keys[] = { "cpu", "memory", "rx", "tx", NULL };
static const char *const workload_keys[] = {
	"namespace", "deployment", "replicas", "image", "requests", "limits",
	"usage", "hpa", NULL };
static const char *const hpa_keys[] = { "min_replicas", "max_replicas", "cpu_utilization", NULL };
static const char *const fault_keys[] = {
	"type", "at", "duration", "target", "pods", "node", "params", NULL };
static const char *const top_keys[] = {
	"seed", "nodes", "node_capacity", "workloads", "faults", NULL };

static int get_cpu_mem(struct ctx *c, const struct ynode *m, const char *what,
		       double *cpu, double *mem)
{
	char w[64];
	int err;

	if ((err = want_map(c, m, what)) || (err = check_keys(c, m, what, resource_keys)))
		return err;
	snprintf(w, sizeof(w), "%s cpu", what);
	if (ynode_get(m, "cpu") && (err = get_qty(c, ynode_get(m, "cpu"), w, MAX_CPU, true, cpu)))
		return err;
	snprintf(w, sizeof(w), "%s memory", what);
	if (ynode_get(m, "memory") &&
	    (err = get_qty(c, ynode_get(m, "memory"), w, MAX_MEM, true, mem)))
		return err;
	return 0;
}

/* hpa: {min_replicas, max_replicas, cpu_utilization}: an autoscaling/v2 HPA on the CPU request. */
static int parse_hpa(struct ctx *c, const struct ynode *h, struct workload *w)
{
	const struct ynode *v;
	int err;

	if ((err = want_map(c, h, "hpa")) || (err = check_keys(c, h, "hpa", hpa_keys)))
		return err;
	if (w->res.cpu_request == 0)
		return fail(c, h, "hpa needs a cpu request (utilization is a share of it)");
	w->hpa.min_replicas = 1;
	w->hpa.cpu_utilization = 80;
	if ((v = ynode_get(h, "min_replicas")) &&
	    (err = get_int(c, v, "min_replicas", 1, SCENARIO_MAX_REPLICAS, &w->hpa.min_replicas)))
		return err;
	if (!(v = ynode_get(h, "max_replicas")))
		return fail(c, h, "hpa has no max_replicas");
	if ((err = get_int(c, v, "max_replicas", w->hpa.min_replicas, SCENARIO_MAX_REPLICAS,
			   &w->hpa.max_replicas)))
		return err;
	if ((v = ynode_get(h, "cpu_utilization")) &&
	    (err = get_int(c, v, "cpu_utilization", 1, 1000, &w->hpa.cpu_utilization)))
		return err;
	if (w->replicas < w->hpa.min_replicas || w->replicas > w->hpa.max_replicas)
		return fail(c, h, "replicas %d is outside the hpa's %d to %d", w->replicas,
			    w->hpa.min_replicas, w->hpa.max_replicas);
	w->hpa.on = true;
	return 0;
}

static int parse_workload(struct ctx *c, const struct ynode *m, struct workload *w)
{
	const struct ynode *u, *v;
	int err;

	w->line = m->line;
	if ((err = want_map(c, m, "a workload")) ||
	    (err = check_keys(c, m, "workload", workload_keys)))
		return err;
	if (!(v = ynode_get(m, "namespace")))
		return fail(c, m, "workload has no namespace");
	if ((err = get_name(c, v, "namespace", 63, &w->namespace_)))
		return err;
	if (!(v = ynode_get(m, "deployment")))
		return fail(c, m, "workload has no deployment");
	if ((err = get_name(c, v, "deployment", 47, &w->deployment)))
		return err;
	w->replicas = 1;
	if ((v = ynode_get(m, "replicas")) &&
	    (err = get_int(c, v, "replicas", 0, SCENARIO_MAX_REPLICAS, &w->replicas)))
		return err;
	if ((v = ynode_get(m, "image"))) {
		const char *s;
		if ((err = want_scalar(c, v, "image", &s)))
			return err;
		if (strlen(s) > 255 || strpbrk(s, " \t\"\\"))
			return fail(c, v, "image '%.60s' is not a valid image reference", s);
		w->image = xstrdup(s);
	} else {
		struct buf b = BUF_INIT;
		buf_addf(&b, "registry.local/%s:1.0", w->deployment);
		w->image = buf_detach(&b, NULL);
	}
	if ((v = ynode_get(m, "requests")) &&
	    (err = get_cpu_mem(c, v, "requests", &w->res.cpu_request, &w->res.mem_request)))
		return err;
	if ((v = ynode_get(m, "limits")) &&
	    (err = get_cpu_mem(c, v, "limits", &w->res.cpu_limit, &w->res.mem_limit)))
		return err;
	if (w->res.cpu_limit > 0 && w->res.cpu_limit < w->res.cpu_request)
		return fail(c, ynode_get(ynode_get(m, "limits"), "cpu"),
			    "cpu limit %gm is below the request %gm",
			    w->res.cpu_limit * 1000, w->res.cpu_request * 1000);
	if (w->res.mem_limit > 0 && w->res.mem_limit < w->res.mem_request)
		return fail(c, ynode_get(ynode_get(m, "limits"), "memory"),
			    "memory limit %.0fMi is below the request %.0fMi",
			    w->res.mem_limit / 1048576, w->res.mem_request / 1048576);
	/* Kubernetes defaults a missing request to the limit. */
	if (w->res.cpu_request == 0)
		w->res.cpu_request = w->res.cpu_limit;
	if (w->res.mem_request == 0)
		w->res.mem_request = w->res.mem_limit;

	if (!(u = ynode_get(m, "usage")))
		return fail(c, m, "workload has no usage (cpu and memory are required)");
	if ((err = want_map(c, u, "usage")) || (err = check_keys(c, u, "usage", usage_keys)))
		return err;
	if (!(v = ynode_get(u, "cpu")))
		return fail(c, u, "usage has no cpu");
	if ((err = get_qty(c, v, "usage cpu", MAX_CPU, false, &w->usage.cpu)))
		return err;
	if (!(v = ynode_get(u, "memory")))
		return fail(c, u, "usage has no memory");
	if ((err = get_qty(c, v, "usage memory", MAX_MEM, false, &w->usage.mem)))
		return err;
	if (w->res.mem_limit > 0 && w->usage.mem >= w->res.mem_limit)
		return fail(c, v, "usage memory %.0fMi is not below the memory limit %.0fMi "
			    "(use an oom_limit_too_low fault for that)",
			    w->usage.mem / 1048576, w->res.mem_limit / 1048576);
	if ((v = ynode_get(u, "rx")) && (err = get_qty(c, v, "usage rx", MAX_NET, true, &w->usage.rx_bps)))
		return err;
	if ((v = ynode_get(m, "hpa")) && (err = parse_hpa(c, v, w)))
		return err;
	if ((v = ynode_get(u, "tx")) && (err = get_qty(c, v, "usage tx", MAX_NET, true, &w->usage.tx_bps)))
		return err;
	return 0;
}

static int parse_params(struct ctx *c, const struct ynode *p, struct fault *f,
			const struct workload *w, const struct scenario *sc)
{
	const struct ftinfo *ft = &ftypes[f->type];
	const char *known[5];
	size_t nk = 0;
	const struct ynode *v;
	int err;

	if (ft->params & P_RATE)
		known[nk++] = "rate";
	if (ft->params & P_FACTOR)
		known[nk++] = "factor";
	if (ft->params & P_LIMIT)
		known[nk++] = "limit";
	if (ft->params & P_RELEASE)
		known[nk++] = "release";
	known[nk] = NULL;

	/* Defaults first: some depend on the target workload. */
	f->factor = 1;
	switch (f->type) {
	case FAULT_MEMORY_LEAK:    f->rate = DEF_LEAK_RATE; break;
	case FAULT_NETWORK_ERRORS: f->rate = DEF_ERROR_RATE; break;
	case FAULT_PACKET_DROPS:   f->rate = DEF_DROP_RATE; break;
	case FAULT_CPU_SPIKE:      f->factor = DEF_SPIKE_FACTOR; break;
	case FAULT_CPU_THROTTLING:
		f->factor = fmax(2.0, 2.0 * w->res.cpu_limit / w->usage.cpu);
		break;
	case FAULT_OOM_LIMIT_TOO_LOW:
		f->limit = floor(w->usage.mem * 0.75);
		break;
	case FAULT_UNSCHEDULABLE:
		f->factor = ceil(1.5 * sc->node_cpu / w->res.cpu_request);
		break;
	default:
		break;
	}
	if (!p || ynode_is_null(p))
		return 0;
	if ((err = want_map(c, p, "params")))
		return err;
	if (nk == 0 && p->n > 0)
		return fail(c, p->keys[0], "%s takes no params", ft->name);
	{
		char what[64];
		snprintf(what, sizeof(what), "params of %s", ft->name);
		if ((err = check_keys(c, p, what, known)))
			return err;
	}
	if ((v = ynode_get(p, "rate")) &&
	    (err = get_qty(c, v, "rate", f->type == FAULT_MEMORY_LEAK ? MAX_MEM : 1e9,
			   false, &f->rate)))
		return err;
	if ((v = ynode_get(p, "factor"))) {
		if ((err = get_qty(c, v, "factor", 1e4, false, &f->factor)))
			return err;
		if (f->factor <= 1)
			return fail(c, v, "factor must be greater than 1");
		if (f->type == FAULT_CPU_THROTTLING &&
		    f->factor * w->usage.cpu <= w->res.cpu_limit)
			return fail(c, v, "factor %g keeps the demand (%gm) under the cpu "
				    "limit (%gm): nothing would be throttled", f->factor,
				    f->factor * w->usage.cpu * 1000, w->res.cpu_limit * 1000);
		if (f->type == FAULT_UNSCHEDULABLE &&
		    f->factor * w->res.cpu_request <= sc->node_cpu &&
		    f->factor * w->res.mem_request <= sc->node_mem)
			return fail(c, v, "factor %g leaves the requests small enough to fit "
				    "on a node: nothing would be unschedulable", f->factor);
	}
	if ((v = ynode_get(p, "release"))) {
		const char *b;

		if ((err = want_scalar(c, v, "release", &b)))
			return err;
		if (strcmp(b, "true") && strcmp(b, "false"))
			return fail(c, v, "release must be true or false, not '%s'", b);
		f->release = !strcmp(b, "true");
	}
	if ((v = ynode_get(p, "limit"))) {
		if ((err = get_qty(c, v, "limit", MAX_MEM, false, &f->limit)))
			return err;
		if (f->limit >= w->usage.mem)
			return fail(c, v, "limit %.0fMi is not below the workload's memory "
				    "usage %.0fMi: nothing would be OOM-killed",
				    f->limit / 1048576, w->usage.mem / 1048576);
	}
	return 0;
}

static int parse_fault(struct ctx *c, const struct ynode *m, struct fault *f,
		       const struct scenario *sc)
{
	const struct ynode *v, *t;
	const struct workload *w = NULL;
	const char *s;
	int err;

	f->line = m->line;
	f->factor = 1;
	if ((err = want_map(c, m, "a fault")) || (err = check_keys(c, m, "fault", fault_keys)))
		return err;
	if (!(t = ynode_get(m, "type")))
		return fail(c, m, "fault has no type");
	if ((err = want_scalar(c, t, "type", &s)))
		return err;
	if (fault_type_parse(s, &f->type)) {
		char list[512] = "";
		size_t off = 0;
		for (int i = 0; i < FAULT__COUNT && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						i ? ", " : "", ftypes[i].name);
		return fail(c, t, "unknown fault type '%s' (known: %s)", s, list);
	}
	if ((v = ynode_get(m, "at")) && (err = get_duration(c, v, "at", true, &f->at_ms)))
		return err;
	if ((v = ynode_get(m, "duration")) && !ynode_is_null(v) &&
	    (err = get_duration(c, v, "duration", false, &f->duration_ms)))
		return err;

	if (fault_type_is_node(f->type)) {
		int idx;
		char *end;
		if ((v = ynode_get(m, "target")))
			return fail(c, key_node(m, "target"), "%s targets a node: use "
				    "'node: NAME', not target", ftypes[f->type].name);
		if ((v = ynode_get(m, "pods")))
			return fail(c, key_node(m, "pods"), "%s targets a node: 'pods' "
				    "does not apply", ftypes[f->type].name);
		if (!(v = ynode_get(m, "node")))
			return fail(c, m, "%s needs 'node: NAME' (node-0 to node-%d)",
				    ftypes[f->type].name, sc->nodes - 1);
		if ((err = want_scalar(c, v, "node", &s)))
			return err;
		if (!str_starts_with(s, "node-") || s[5] < '0' || s[5] > '9' ||
		    (s[5] == '0' && s[6]) || (idx = (int)strtol(s + 5, &end, 10), *end) ||
		    strlen(s) > 10 || idx >= sc->nodes)
			return fail(c, v, "no node '%s' (the scenario has node-0 to node-%d)",
				    s, sc->nodes - 1);
		f->node = xstrdup(s);
		if ((v = ynode_get(m, "params")) && !ynode_is_null(v) &&
		    (v->kind != YNODE_MAP || v->n > 0))
			return fail(c, v->kind == YNODE_MAP ? v->keys[0] : v,
				    "%s takes no params", ftypes[f->type].name);
		return 0;
	}

	if ((v = ynode_get(m, "node")))
		return fail(c, key_node(m, "node"), "%s targets a deployment: use "
			    "'target: NAMESPACE/DEPLOYMENT', not node", ftypes[f->type].name);
	if (!(v = ynode_get(m, "target")))
		return fail(c, m, "%s needs 'target: NAMESPACE/DEPLOYMENT'",
			    ftypes[f->type].name);
	if ((err = want_scalar(c, v, "target", &s)))
		return err;
	{
		const char *slash = strchr(s, '/');
		char ns[128];
		if (!slash || slash == s || !slash[1] || strchr(slash + 1, '/') ||
		    (size_t)(slash - s) >= sizeof(ns))
			return fail(c, v, "target '%s' must be NAMESPACE/DEPLOYMENT", s);
		memcpy(ns, s, (size_t)(slash - s));
		ns[slash - s] = '\0';
		if (!(w = scenario_find(sc, ns, slash + 1)))
			return fail(c, v, "target '%s': no such deployment among the "
				    "workloads", s);
		f->namespace_ = xstrdup(ns);
		f->deployment = xstrdup(slash + 1);
	}
	if ((v = ynode_get(m, "pods"))) {
		if (w->replicas == 0)
			return fail(c, v, "pods: %s has no replicas", s);
		if ((err = get_int(c, v, "pods", 1, w->replicas, &f->pods)))
			return err;
	}
	if (f->type == FAULT_CPU_THROTTLING && w->res.cpu_limit == 0)
		return fail(c, t, "cpu_throttling needs a target with a cpu limit "
			    "(%s has none)", s);
	if (f->type == FAULT_UNSCHEDULABLE && w->res.cpu_request == 0)
		return fail(c, t, "unschedulable needs a target with a cpu request "
			    "(%s has none)", s);
	return parse_params(c, ynode_get(m, "params"), f, w, sc);
}

static int parse_top(struct ctx *c, const struct ynode *root, struct scenario *sc)
{
	const struct ynode *v, *ws, *fs;
	int err;

	if (!root)
		return fail(c, NULL, "the scenario is empty");
	if ((err = want_map(c, root, "the scenario")) ||
	    (err = check_keys(c, root, "the scenario", top_keys)))
		return err;
	if ((v = ynode_get(root, "seed"))) {
		const char *s;
		if ((err = want_scalar(c, v, "seed", &s)))
			return err;
		if (str_to_u64(s, &sc->seed))
			return fail(c, v, "seed must be a whole number from 0 to "
				    "18446744073709551615, not '%s'", s);
	}
	sc->nodes = DEF_NODES;
	if ((v = ynode_get(root, "nodes")) &&
	    (err = get_int(c, v, "nodes", 1, SCENARIO_MAX_NODES, &sc->nodes)))
		return err;
	sc->node_cpu = DEF_NODE_CPU;
	sc->node_mem = DEF_NODE_MEM;
	if ((v = ynode_get(root, "node_capacity"))) {
		if ((err = get_cpu_mem(c, v, "node_capacity", &sc->node_cpu, &sc->node_mem)))
			return err;
		if (sc->node_cpu == 0)
			return fail(c, ynode_get(v, "cpu"), "node_capacity cpu must be greater than zero");
		if (sc->node_mem == 0)
			return fail(c, ynode_get(v, "memory"), "node_capacity memory must be greater than zero");
	}

	if (!(ws = ynode_get(root, "workloads")))
		return fail(c, root, "the scenario has no workloads");
	if (ws->kind != YNODE_SEQ || ws->n == 0)
		return fail(c, ws, "workloads must be a non-empty list");
	if (ws->n > SCENARIO_MAX_WORKLOADS)
		return fail(c, ws, "too many workloads (at most %d)", SCENARIO_MAX_WORKLOADS);
	sc->workloads = xcalloc(ws->n, sizeof(*sc->workloads));
	{
		long pods = 0;
		double cpu = 0, mem = 0;
		for (size_t i = 0; i < ws->n; i++) {
			struct workload *w = &sc->workloads[i];
			sc->nworkloads = i + 1;
			if ((err = parse_workload(c, ws->items[i], w)))
				return err;
			for (size_t j = 0; j < i; j++)
				if (str_eq(sc->workloads[j].namespace_, w->namespace_) &&
				    str_eq(sc->workloads[j].deployment, w->deployment))
					return fail(c, ynode_get(ws->items[i], "deployment"),
						    "deployment %s/%s is defined twice (first on line %d)",
						    w->namespace_, w->deployment, sc->workloads[j].line);
			if (w->res.cpu_request > sc->node_cpu || w->res.mem_request > sc->node_mem)
				return fail(c, ws->items[i], "%s/%s requests more than a node has "
					    "(%g cores, %.0fMi): use an unschedulable fault for that",
					    w->namespace_, w->deployment, sc->node_cpu,
					    sc->node_mem / 1048576);
			pods += w->replicas;
			cpu += w->res.cpu_request * w->replicas;
			mem += w->res.mem_request * w->replicas;
			if (pods > SCENARIO_MAX_PODS)
				return fail(c, ws->items[i], "too many pods in all (at most %d)",
					    SCENARIO_MAX_PODS);
		}
		if (cpu > sc->node_cpu * sc->nodes || mem > sc->node_mem * sc->nodes)
			return fail(c, ws, "the workloads request %g cores and %.0fMi, more "
				    "than %d node%s of %g cores and %.0fMi hold", cpu,
				    mem / 1048576, sc->nodes, sc->nodes == 1 ? "" : "s",
				    sc->node_cpu, sc->node_mem / 1048576);
	}

	if (!(fs = ynode_get(root, "faults")) || ynode_is_null(fs))
		return 0;
	if (fs->kind != YNODE_SEQ)
		return fail(c, fs, "faults must be a list");
	if (fs->n > SCENARIO_MAX_FAULTS)
		return fail(c, fs, "too many faults (at most %d)", SCENARIO_MAX_FAULTS);
	sc->faults = xcalloc(fs->n ? fs->n : 1, sizeof(*sc->faults));
	for (size_t i = 0; i < fs->n; i++) {
		sc->nfaults = i + 1;
		if ((err = parse_fault(c, fs->items[i], &sc->faults[i], sc)))
			return err;
	}
	return 0;
}

int scenario_parse(struct scenario *sc, const char *text, size_t len,
		   const char *name, char *err, size_t errlen)
{
	struct ctx c = { name ? name : "scenario", err, errlen };
	struct scenario tmp;
	struct ynode *root = NULL;
	char inner[256];
	int rc;

	if (len > SCENARIO_MAX_BYTES)
		return fail(&c, NULL, "the scenario is larger than %u bytes",
			    SCENARIO_MAX_BYTES);
	rc = ynode_parse(text, len, &root, inner, sizeof(inner));
	if (rc) {
		int line = 1, col = 1;
		const char *what = inner;
		if (sscanf(inner, "line %d, column %d: ", &line, &col) == 2) {
			what = strstr(inner, ": ");
			what = what ? what + 2 : inner;
		}
		snprintf(err, errlen, "%s:%d:%d: %s", c.name, line, col, what);
		return rc;
	}
	memset(&tmp, 0, sizeof(tmp));
	rc = parse_top(&c, root, &tmp);
	ynode_free(root);
	if (rc) {
		scenario_release(&tmp);
		return rc;
	}
	*sc = tmp;
	return 0;
}

int scenario_load(struct scenario *sc, const char *path, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	int rc = file_read_all(path, SCENARIO_MAX_BYTES, &b);

	if (rc) {
		snprintf(err, errlen, "%s: %s", path,
			 rc == -E2BIG ? "file too large" : strerror(-rc));
		buf_release(&b);
		return rc;
	}
	rc = scenario_parse(sc, b.data, b.len, path, err, errlen);
	buf_release(&b);
	return rc;
}

/* ---- the generated cluster ---- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static double uni(uint64_t *s, double lo, double hi)
{
	return lo + (hi - lo) * (double)(splitmix(s) >> 11) * 0x1.0p-53;
}

/* Rounds to a multiple of step (at least one step), as people write requests. */
static double roundto(double v, double step)
{
	double r = round(v / step) * step;
	return r < step ? step : r;
}

static const struct nsdef {
	const char *ns;
	const char *deps[6];
} namespaces[] = {
	{ "shop", { "web", "cart", "checkout", "catalog", "recommendations", NULL } },
	{ "payments", { "api", "ledger", "fraud-check", "settlement", NULL } },
	{ "search", { "query", "indexer", "ranker", "suggest", NULL } },
	{ "auth", { "login", "tokens", "sessions", NULL } },
	{ "media", { "thumbnailer", "transcoder", "uploads", NULL } },
	{ "analytics", { "ingest", "aggregator", "reports", "dashboards", NULL } },
	{ "inventory", { "stock", "warehouse", "pricing", NULL } },
	{ "notifications", { "email", "sms", "push", NULL } },
};
#define NNS (sizeof(namespaces) / sizeof(namespaces[0]))

/* Profiles: what kind of service a deployment is, for realistic figures. */
enum profile { PR_WEB, PR_WORKER, PR_CACHE, PR_SMALL, PR__COUNT };

static void fill_profile(struct workload *w, uint64_t *s)
{
	double r = uni(s, 0, 1);
	enum profile p = r < 0.45 ? PR_WEB : r < 0.7 ? PR_WORKER : r < 0.85 ? PR_CACHE : PR_SMALL;
	double cpu_req, mem_req;

	switch (p) {
	case PR_WEB:
		cpu_req = roundto(uni(s, 0.1, 0.5), 0.05);
		mem_req = roundto(uni(s, 128, 512), 32) * 1048576;
		w->usage.rx_bps = uni(s, 50, 2048) * 1024;
		w->usage.tx_bps = w->usage.rx_bps * uni(s, 1.5, 4);
		break;
	case PR_WORKER:
		cpu_req = roundto(uni(s, 0.25, 1.0), 0.05);
		mem_req = roundto(uni(s, 256, 1024), 64) * 1048576;
		w->usage.rx_bps = uni(s, 10, 512) * 1024;
		w->usage.tx_bps = w->usage.rx_bps * uni(s, 0.2, 1);
		break;
	case PR_CACHE:
		cpu_req = roundto(uni(s, 0.05, 0.25), 0.05);
		mem_req = roundto(uni(s, 512, 2048), 128) * 1048576;
		w->usage.rx_bps = uni(s, 100, 4096) * 1024;
		w->usage.tx_bps = w->usage.rx_bps * uni(s, 0.8, 2);
		break;
	default:
		cpu_req = roundto(uni(s, 0.02, 0.1), 0.01);
		mem_req = roundto(uni(s, 32, 128), 16) * 1048576;
		w->usage.rx_bps = uni(s, 1, 64) * 1024;
		w->usage.tx_bps = w->usage.rx_bps * uni(s, 0.5, 1.5);
		break;
	}
	w->res.cpu_request = cpu_req;
	w->res.mem_request = mem_req;
	/* A fifth of deployments set no CPU limit, as many clusters advise. */
	w->res.cpu_limit = uni(s, 0, 1) < 0.2 ? 0 : roundto(cpu_req * uni(s, 1.5, 4), 0.05);
	w->res.mem_limit = roundto(mem_req * uni(s, 1.25, 2), 32 * 1048576);
	w->usage.cpu = cpu_req * uni(s, 0.25, 0.9);
	w->usage.mem = mem_req * uni(s, 0.45, 0.95);
	if (w->usage.mem > w->res.mem_limit * 0.8)
		w->usage.mem = w->res.mem_limit * 0.8;
}

/* Deployment sizes: mostly small, some medium, a few large (heavy tail). */
static int draw_size(uint64_t *s)
{
	double r = uni(s, 0, 1);
	if (r < 0.55)
		return 1 + (int)uni(s, 0, 5);
	if (r < 0.9)
		return 6 + (int)uni(s, 0, 15);
	if (r < 0.985)
		return 21 + (int)uni(s, 0, 60);
	return 100 + (int)uni(s, 0, 150);
}

void scenario_generate(struct scenario *sc, int nodes, int pods, uint64_t seed)
{
	uint64_t s = seed ^ 0x6b75626d656e6421ULL; /* "kubmend!" */
	size_t cap = 0, nd[NNS] = { 0 };
	double cpu = 0, mem = 0;
	int left;

	memset(sc, 0, sizeof(*sc));
	sc->seed = seed;
	sc->nodes = nodes < 1 ? 1 : nodes > SCENARIO_MAX_NODES ? SCENARIO_MAX_NODES : nodes;
	pods = pods < 0 ? 0 : pods > SCENARIO_MAX_PODS ? SCENARIO_MAX_PODS : pods;
	for (left = pods; left > 0;) {
		struct workload *w;
		size_t ns = (size_t)uni(&s, 0, NNS), k, ndeps = 0;
		struct buf b = BUF_INIT;
		int size = draw_size(&s);

		if (size > left)
			size = left;
		ARRAY_GROW(sc->workloads, cap, sc->nworkloads + 1);
		w = &sc->workloads[sc->nworkloads++];
		memset(w, 0, sizeof(*w));
		while (namespaces[ns].deps[ndeps])
			ndeps++;
		/* Names cycle through the namespace's list, then repeat with a number. */
		k = nd[ns]++;
		w->namespace_ = xstrdup(namespaces[ns].ns);
		if (k < ndeps)
			buf_adds(&b, namespaces[ns].deps[k]);
		else
			buf_addf(&b, "%s-%zu", namespaces[ns].deps[k % ndeps], k / ndeps + 1);
		w->deployment = buf_detach(&b, NULL);
		buf_addf(&b, "registry.local/%s/%s:1.%d", w->namespace_,
			 namespaces[ns].deps[k % ndeps], (int)uni(&s, 0, 20));
		w->image = buf_detach(&b, NULL);
		w->replicas = size;
		fill_profile(w, &s);
		cpu += w->res.cpu_request * size;
		mem += w->res.mem_request * size;
		left -= size;
	}
	/* Nodes big enough to hold it all at about 70% of their allocatable. */
	sc->node_cpu = DEF_NODE_CPU;
	sc->node_mem = DEF_NODE_MEM;
	while (sc->node_cpu * sc->nodes * 0.7 < cpu && sc->node_cpu < MAX_CPU)
		sc->node_cpu *= 2;
	while (sc->node_mem * sc->nodes * 0.7 < mem && sc->node_mem < MAX_MEM)
		sc->node_mem *= 2;
}
