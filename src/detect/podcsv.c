#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "detect/podcsv.h"
#include "base/banned.h"

/* Where a column goes. Two source columns may add into one feature. */
enum dst { D_NONE, D_TS, D_NS, D_POD, D_PHASE, D_REASON, D_NODECOND, D_FEAT, D_FEAT_ADD };

static const struct colmap {
	const char *name;
	enum dst dst;
	int feat;
} cols[] = {
	{ "timestamp", D_TS, 0 }, { "Timestamp", D_TS, 0 },
	{ "namespace", D_NS, 0 },
	{ "pod", D_POD, 0 }, { "Pod Name", D_POD, 0 },
	{ "phase", D_PHASE, 0 }, { "Pod Status", D_PHASE, 0 },
	{ "reason", D_REASON, 0 }, { "Pod Reason", D_REASON, 0 },
	{ "node_conditions", D_NODECOND, 0 },
	{ "cpu_mcores", D_FEAT, FEAT_CPU_MCORES },
	{ "cpu_pct", D_FEAT, FEAT_CPU_PCT }, { "CPU Usage (%)", D_FEAT, FEAT_CPU_PCT },
	{ "mem_bytes", D_FEAT, FEAT_MEM_BYTES },
	{ "mem_pct", D_FEAT, FEAT_MEM_PCT }, { "Memory Usage (%)", D_FEAT, FEAT_MEM_PCT },
	{ "net_rx_bps", D_FEAT, FEAT_NET_RX_BPS }, { "Network Receive (B/s)", D_FEAT, FEAT_NET_RX_BPS },
	{ "net_tx_bps", D_FEAT, FEAT_NET_TX_BPS }, { "Network Transmit (B/s)", D_FEAT, FEAT_NET_TX_BPS },
	{ "net_rx_errors_ps", D_FEAT_ADD, FEAT_NET_ERRORS_PS },
	{ "net_tx_errors_ps", D_FEAT_ADD, FEAT_NET_ERRORS_PS },
	{ "Network Receive Errors", D_FEAT_ADD, FEAT_NET_ERRORS_PS },
	{ "Network Transmit Errors", D_FEAT_ADD, FEAT_NET_ERRORS_PS },
	{ "net_rx_dropped_ps", D_FEAT_ADD, FEAT_NET_DROPPED_PS },
	{ "net_tx_dropped_ps", D_FEAT_ADD, FEAT_NET_DROPPED_PS },
	{ "restarts", D_FEAT, FEAT_RESTARTS }, { "Pod Restarts", D_FEAT, FEAT_RESTARTS },
	{ "containers_ready", D_FEAT, FEAT_CONTAINERS_READY },
	{ "Ready Containers", D_FEAT, FEAT_CONTAINERS_READY },
	{ "containers_total", D_FEAT, FEAT_CONTAINERS_TOTAL },
	{ "Total Containers", D_FEAT, FEAT_CONTAINERS_TOTAL },
	{ "cpu_limit_mcores", D_FEAT, FEAT_CPU_LIMIT_MCORES },
	{ "mem_limit_bytes", D_FEAT, FEAT_MEM_LIMIT_BYTES },
	{ "warning_events", D_FEAT, FEAT_WARNING_EVENTS },
	{ "fs_used_bytes", D_FEAT, FEAT_FS_USED_BYTES },
	{ "node_ready", D_FEAT, FEAT_NODE_READY },
};

struct row { size_t pod, seq; int64_t ts; struct features f; };

/* Pod name -> index: open addressing on FNV-1a, grown at half full. */
struct podmap { size_t *slot; size_t cap; };

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static size_t pod_index(struct podmap *m, struct podcsv *pc, size_t *pcap,
			const char *name)
{
	size_t i;

	if (2 * (pc->npods + 1) > m->cap) {
		size_t ncap = m->cap ? 2 * m->cap : 64;
		size_t *ns = xmalloc(ncap * sizeof(size_t));
		for (i = 0; i < ncap; i++)
			ns[i] = (size_t)-1;
		for (size_t k = 0; k < pc->npods; k++) {
			size_t j = (size_t)fnv(pc->pod[k]) & (ncap - 1);
			while (ns[j] != (size_t)-1)
				j = (j + 1) & (ncap - 1);
			ns[j] = k;
		}
		free(m->slot);
		m->slot = ns;
		m->cap = ncap;
	}
	for (i = (size_t)fnv(name) & (m->cap - 1); m->slot[i] != (size_t)-1; i = (i + 1) & (m->cap - 1))
		if (!strcmp(pc->pod[m->slot[i]], name))
			return m->slot[i];
	ARRAY_GROW(pc->pod, *pcap, pc->npods + 1);
	pc->pod[pc->npods] = xstrdup(name);
	m->slot[i] = pc->npods;
	return pc->npods++;
}

/* Reads one CSV record starting at *pos into fields (NUL-separated in
 * store); returns the field count, 0 at the end, or -1 on a malformed or
 * oversized record. */
static int record(const char *t, size_t len, size_t *pos, struct buf *store,
		  size_t *offs, int *lines)
{
	size_t p = *pos;
	int n = 0;

	if (p >= len)
		return 0;
	buf_reset(store);
	for (;;) {
		size_t start = store->len, flen = 0;
		if (n == PODCSV_MAX_FIELDS)
			return -1;
		offs[n++] = start;
		if (p < len && t[p] == '"') {
			p++;
			for (;;) {
				if (p >= len)
					return -1;      /* unterminated quote */
				if (t[p] == '"') {
					if (p + 1 < len && t[p + 1] == '"') {
						buf_addch(store, '"');
						p += 2;
					} else {
						p++;
						break;
					}
				} else {
					if (t[p] == '\n')
						(*lines)++;
					buf_addch(store, t[p++]);
				}
				if (++flen > PODCSV_MAX_FIELD)
					return -1;
			}
		} else {
			while (p < len && t[p] != ',' && t[p] != '\n' && t[p] != '\r') {
				buf_addch(store, t[p++]);
				if (++flen > PODCSV_MAX_FIELD)
					return -1;
			}
		}
		buf_addch(store, '\0');
		if (p < len && t[p] == ',') {
			p++;
			continue;
		}
		if (p < len && t[p] == '\r')
			p++;
		if (p < len && t[p] == '\n')
			p++;
		else if (p < len)
			return -1;              /* junk after a closing quote */
		break;
	}
	(*lines)++;
	*pos = p;
	return n;
}

static int by_pod_time(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->pod != y->pod)
		return x->pod < y->pod ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int podcsv_parse(const char *text, size_t len, struct podcsv *out, char *err,
		 size_t errlen)
{
	struct buf store = BUF_INIT, key = BUF_INIT;
	size_t pos = 0, offs[PODCSV_MAX_FIELDS], nrows = 0, cap = 0, pcap = 0;
	const struct colmap *map[PODCSV_MAX_FIELDS] = { 0 };
	struct row *rows = NULL;
	struct podcsv pc = { 0 };
	struct podmap pm = { NULL, 0 };
	int lines = 0, nhdr, rc = -EINVAL, have_pod = 0;

	if (len > PODCSV_MAX_BYTES) {
		snprintf(err, errlen, "input larger than %u bytes", PODCSV_MAX_BYTES);
		return -E2BIG;
	}
	nhdr = record(text, len, &pos, &store, offs, &lines);
	if (nhdr <= 0) {
		snprintf(err, errlen, "line 1: no header");
		goto out;
	}
	for (int i = 0; i < nhdr; i++) {
		const char *h = store.data + offs[i];
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			if (!strcmp(h, cols[k].name))
				map[i] = &cols[k];
		if (map[i] && map[i]->dst == D_POD)
			have_pod = 1;
	}
	if (!have_pod) {
		snprintf(err, errlen, "line 1: no 'pod' (or 'Pod Name') column");
		goto out;
	}
	for (;;) {
		int line0 = lines + 1, n = record(text, len, &pos, &store, offs, &lines);
		struct row r;
		const char *ns = "", *pod = NULL;
		if (n == 0)
			break;
		if (n < 0) {
			snprintf(err, errlen, "line %d: malformed record", line0);
			goto out;
		}
		if (n == 1 && !store.data[0])
			continue;               /* blank line */
		if (n != nhdr) {
			snprintf(err, errlen, "line %d: %d fields, the header has %d", line0, n, nhdr);
			goto out;
		}
		if (nrows >= PODCSV_MAX_ROWS) {
			snprintf(err, errlen, "line %d: more than %d rows", line0, PODCSV_MAX_ROWS);
			rc = -E2BIG;
			goto out;
		}
		memset(&r, 0, sizeof(r));
		features_clear(&r.f);
		r.seq = nrows;
		for (int i = 0; i < n; i++) {
			const char *v = store.data + offs[i];
			double d;
			if (!map[i])
				continue;
			switch (map[i]->dst) {
			case D_TS:
				if (time_parse(v, &r.ts) < 0) {
					snprintf(err, errlen, "line %d: bad timestamp '%.40s'", line0, v);
					goto out;
				}
				break;
			case D_NS: ns = v; break;
			case D_POD: pod = v; break;
			case D_PHASE: str_copy(r.f.phase, v, sizeof(r.f.phase)); break;
			case D_REASON: str_copy(r.f.reason, v, sizeof(r.f.reason)); break;
			case D_NODECOND: str_copy(r.f.node_conditions, v, sizeof(r.f.node_conditions)); break;
			case D_FEAT:
			case D_FEAT_ADD:
				/* empty or unparseable: missing, never guessed */
				if (str_to_double(v, &d) < 0)
					break;
				if (map[i]->dst == D_FEAT_ADD && isfinite(r.f.v[map[i]->feat]))
					r.f.v[map[i]->feat] += d;
				else
					r.f.v[map[i]->feat] = d;
				break;
			default:
				break;
			}
		}
		if (!pod || !*pod) {
			snprintf(err, errlen, "line %d: empty pod name", line0);
			goto out;
		}
		buf_reset(&key);
		if (*ns)
			buf_addf(&key, "%s/%s", ns, pod);
		else
			buf_adds(&key, pod);
		r.pod = pod_index(&pm, &pc, &pcap, key.data);
		ARRAY_GROW(rows, cap, nrows + 1);
		rows[nrows++] = r;
	}
	if (nrows)
		qsort(rows, nrows, sizeof(*rows), by_pod_time);
	pc.nrows = nrows;
	pc.rows = xcalloc(nrows ? nrows : 1, sizeof(*pc.rows));
	pc.ts_ms = xcalloc(nrows ? nrows : 1, sizeof(*pc.ts_ms));
	pc.start = xcalloc(pc.npods + 1, sizeof(*pc.start));
	/* rows are sorted by pod, and every pod has at least one row */
	for (size_t i = 0; i < nrows; i++) {
		pc.start[rows[i].pod + 1] = i + 1;
		pc.rows[i] = rows[i].f;
		pc.ts_ms[i] = rows[i].ts;
	}
	*out = pc;
	pc = (struct podcsv){ 0 };
	rc = 0;
out:
	podcsv_release(&pc);
	free(pm.slot);
	free(rows);
	buf_release(&store);
	buf_release(&key);
	return rc;
}

int podcsv_read_file(const char *path, struct podcsv *out, char *err,
		     size_t errlen)
{
	struct buf b;
	char e[256];
	int rc;

	buf_init(&b, PODCSV_MAX_BYTES);
	rc = file_read_all(path, PODCSV_MAX_BYTES, &b);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		buf_release(&b);
		return rc;
	}
	rc = podcsv_parse(b.data, b.len, out, e, sizeof(e));
	if (rc < 0)
		snprintf(err, errlen, "%s:%s", path, e + (strncmp(e, "line ", 5) ? 0 : 5));
	buf_release(&b);
	return rc;
}

void podcsv_release(struct podcsv *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->npods; i++)
		free(p->pod[i]);
	free(p->pod);
	free(p->start);
	free(p->rows);
	free(p->ts_ms);
	memset(p, 0, sizeof(*p));
}
