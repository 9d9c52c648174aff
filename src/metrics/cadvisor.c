#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/cadvisor.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/strmap.h"
#include "base/banned.h"

/* The families read, summed per pod over its interfaces and containers. */
static const char *const FAMILIES[] = {
	"container_network_receive_packets_dropped_total",
	"container_network_transmit_packets_dropped_total",
	"container_cpu_cfs_throttled_periods_total",
	"container_cpu_cfs_periods_total",
	"container_cpu_cfs_throttled_seconds_total",
};
#define NFAMILIES (sizeof(FAMILIES) / sizeof(FAMILIES[0]))

struct acc {
	double v[NFAMILIES];
	int64_t ts;
};

/* Reads one label value at *p (just after the opening quote) into out,
 * unescaping \\, \" and \n; moves *p past the closing quote. */
static int label_value(const char **p, const char *end, struct buf *out)
{
	const char *s = *p;

	while (s < end && *s != '"') {
		if (*s == '\\' && s + 1 < end) {
			s++;
			buf_addch(out, *s == 'n' ? '\n' : *s);
		} else {
			buf_addch(out, *s);
		}
		s++;
	}
	if (s >= end)
		return -EINVAL;
	*p = s + 1;
	return 0;
}

/* One sample line of a family read: 1 with its pod and value, 0 to skip it. */
static int parse_line(const char *line, const char *end, int *which, struct buf *ns,
		      struct buf *pod, double *value, int64_t *ts)
{
	const char *p = line;
	char num[64];
	size_t n, f;

	for (f = 0; f < NFAMILIES; f++) {
		size_t fl = strlen(FAMILIES[f]);

		if ((size_t)(end - p) > fl && !strncmp(p, FAMILIES[f], fl) &&
		    (p[fl] == '{' || p[fl] == ' ')) {
			*which = (int)f;
			p += fl;
			break;
		}
	}
	if (f == NFAMILIES)
		return 0;
	buf_reset(ns);
	buf_reset(pod);
	if (*p == '{') {
		p++;
		while (p < end && *p != '}') {
			const char *k = p;
			struct buf scratch = BUF_INIT, *dst = &scratch;
			size_t klen;

			while (p < end && *p != '=')
				p++;
			klen = (size_t)(p - k);
			if (p + 1 >= end || p[1] != '"')
				return 0;
			if (klen == 9 && !strncmp(k, "namespace", 9))
				dst = ns;
			else if (klen == 3 && !strncmp(k, "pod", 3))
				dst = pod;
			p += 2;
			if (label_value(&p, end, dst) < 0) {
				buf_release(&scratch);
				return 0;
			}
			buf_release(&scratch);
			if (p < end && *p == ',')
				p++;
		}
		if (p >= end)
			return 0;
		p++;
	}
	if (!ns->len || !pod->len)
		return 0;
	while (p < end && *p == ' ')
		p++;
	n = 0;
	while (p < end && *p != ' ' && n < sizeof(num) - 1)
		num[n++] = *p++;
	num[n] = '\0';
	if (str_to_double(num, value) < 0 || !isfinite(*value) || *value < 0)
		return 0;
	*ts = 0;
	while (p < end && *p == ' ')
		p++;
	if (p < end) {
		n = 0;
		while (p < end && *p != ' ' && n < sizeof(num) - 1)
			num[n++] = *p++;
		num[n] = '\0';
		if (str_to_i64(num, ts) < 0)
			*ts = 0;
	}
	return 1;
}

int cadvisor_parse_drops(const char *text, size_t len,
			 void (*fn)(void *ctx, const struct cadvisor_drops *d), void *ctx,
			 char *err, size_t errlen)
{
	struct strmap pods = STRMAP_INIT;
	struct buf ns = BUF_INIT, pod = BUF_INIT, key = BUF_INIT;
	const char *p = text, *end = text + len;
	size_t lines = 0, it;
	int count = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		double v;
		int64_t ts;
		int which;

		if (le - p > 0 && le - p < CADVISOR_MAX_LINE) {
			lines++;
			if (*p != '#' && parse_line(p, le, &which, &ns, &pod, &v, &ts) == 1) {
				struct acc *a;

				buf_reset(&key);
				buf_addf(&key, "%s/%s", ns.data, pod.data);
				a = strmap_get(&pods, key.data);
				if (!a && pods.n < CADVISOR_MAX_PODS) {
					a = xcalloc(1, sizeof(*a));
					for (size_t f = 0; f < NFAMILIES; f++)
						a->v[f] = NAN;
					strmap_put(&pods, key.data, a);
				}
				if (a) {
					double *dst = &a->v[which];
					*dst = isnan(*dst) ? v : *dst + v;
					if (ts > a->ts)
						a->ts = ts;
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (len && !lines) {
		snprintf(err, errlen, "not the Prometheus text format");
		strmap_clear(&pods, free);
		return -EINVAL;
	}
	for (struct strmap_entry *e = strmap_first(&pods, &it); e; e = strmap_next(&pods, e, &it)) {
		const struct acc *a = e->value;
		const char *slash = strchr(e->key, '/');
		struct cadvisor_drops d;

		if (!slash)
			continue;
		buf_reset(&ns);
		buf_add(&ns, e->key, (size_t)(slash - e->key));
		d.namespace = ns.data;
		d.pod = slash + 1;
		d.rx = a->v[0];
		d.tx = a->v[1];
		d.thr_periods = a->v[2];
		d.periods = a->v[3];
		d.thr_seconds = a->v[4];
		d.ts_ms = a->ts;
		fn(ctx, &d);
		count++;
	}
	strmap_clear(&pods, free);
	buf_release(&ns);
	buf_release(&pod);
	buf_release(&key);
	return count;
}
