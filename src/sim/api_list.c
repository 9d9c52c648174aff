#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/api.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define MAX_LIMIT 100000

enum include { INC_NONE, INC_META, INC_OBJECT };

struct query {
	struct selector *lsel, *fsel;
	enum kind k;
	const char *ns;
	enum include inc;
	bool table;
};

static void query_release(struct query *q)
{
	selector_free(q->lsel);
	selector_free(q->fsel);
}

static int query_init(struct apireq *a, struct query *q)
{
	char err[256];
	const char *inc = httpd_req_query(a->r, "includeObject");

	memset(q, 0, sizeof(*q));
	q->k = a->res->kind;
	q->ns = a->ns;
	q->table = api_wants_table(a->r);
	q->inc = !inc || !strcmp(inc, "Metadata") ? INC_META : !strcmp(inc, "Object") ? INC_OBJECT : INC_NONE;
	if (selector_parse(httpd_req_query(a->r, "labelSelector"), false, &q->lsel, err, sizeof(err))) {
		api_status(a->resp, 400, "BadRequest", "unable to parse requirement: %s", err);
		return -EINVAL;
	}
	if (selector_parse(httpd_req_query(a->r, "fieldSelector"), true, &q->fsel, err, sizeof(err))) {
		api_status(a->resp, 400, "BadRequest", "invalid field selector: %s", err);
		query_release(q);
		return -EINVAL;
	}
	for (size_t i = 0; i < q->fsel->n; i++)
		if (!field_supported(q->k, q->fsel->reqs[i].key)) {
			api_status(a->resp, 400, "BadRequest", "field label not supported: %s", q->fsel->reqs[i].key);
			query_release(q);
			return -EINVAL;
		}
	return 0;
}

static const char *label_get(const void *ctx, const char *key)
{
	return labels_get(ctx, key);
}

struct fieldctx { const struct meta *m; char tmp[32]; };

static const char *field_get(const void *ctx, const char *key)
{
	struct fieldctx *f = (struct fieldctx *)ctx;

	return obj_field(f->m, key, f->tmp);
}

static bool matches(const struct query *q, const struct meta *m)
{
	struct fieldctx f = { .m = m };

	if (q->ns && m->ns != store_intern(q->ns) && strcmp(m->ns ? m->ns : "", q->ns))
		return false;
	return selector_match(q->lsel, label_get, m->labels) && selector_match(q->fsel, field_get, &f);
}

static void table_row(struct simstate *s, struct buf *b, const struct meta *m, enum include inc)
{
	buf_adds(b, "{\"cells\":");
	table_cells(s, b, m);
	if (inc == INC_META) {
		buf_adds(b, ",\"object\":");
		render_partial_meta(b, m);
	} else if (inc == INC_OBJECT) {
		buf_adds(b, ",\"object\":");
		render_obj(s, b, m);
	}
	buf_addch(b, '}');
}

static void table_open(struct buf *b, enum kind k, uint64_t rv)
{
	buf_addf(b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"%llu\"},"
		 "\"columnDefinitions\":", (unsigned long long)rv);
	table_columns(b, k);
	buf_adds(b, ",\"rows\":[");
}

void api_get(struct apireq *a)
{
	struct meta *m;
	struct query q;

	if (query_init(a, &q))
		return;
	pthread_mutex_lock(&a->s->mu);
	m = store_get(a->s, a->res->kind, a->ns, a->name);
	if (!m) {
		api_not_found(a);
	} else if (q.table) {
		table_open(&a->resp->body, m->kind, m->rv);
		table_row(a->s, &a->resp->body, m, q.inc);
		buf_adds(&a->resp->body, "]}");
	} else {
		render_obj(a->s, &a->resp->body, m);
	}
	pthread_mutex_unlock(&a->s->mu);
	query_release(&q);
}

/* ---- watch ---- */

struct watch {
	struct simstate *s;
	struct query q;
	uint64_t cursor;        /* ring index of the next event to look at */
	uint64_t from_rv;
	int64_t deadline;       /* monotonic ms; 0 none */
	int64_t cut;            /* --fault-watch-cut: drop the connection then */
	bool bookmarks;         /* allowWatchBookmarks=true */
	uint64_t seen_rv;       /* the client has everything up to this version */
	int64_t next_bookmark;  /* monotonic ms; 0 none */
};

/* As the API server's watch cache: a bookmark a minute, and one 2 s before
 * the watch's own timeout, so a client resumes from a recent version. */
#define BOOKMARK_EVERY_MS 60000

static void plan_bookmark(struct watch *w, int64_t now)
{
	int64_t t = now + BOOKMARK_EVERY_MS;

	if (w->deadline && w->deadline - 2000 < t)
		t = w->deadline - 2000 > now ? w->deadline - 2000 : 0;
	w->next_bookmark = w->bookmarks ? t : 0;
}

static const char *wev_field(const void *ctx, const char *key)
{
	const struct wevent *e = ctx;

	if (!strcmp(key, "metadata.name"))
		return e->name;
	if (!strcmp(key, "metadata.namespace"))
		return e->ns ? e->ns : "";
	if (!strcmp(key, "spec.nodeName"))
		return e->node ? e->node : "";
	if (!strcmp(key, "status.phase"))
		return e->kind == K_POD ? phase_name(e->phase) : "";
	return "";
}

static bool wev_matches(const struct query *q, const struct wevent *e)
{
	if (e->kind != q->k)
		return false;
	if (q->ns && strcmp(e->ns ? e->ns : "", q->ns))
		return false;
	return selector_match(q->lsel, label_get, e->labels) && selector_match(q->fsel, wev_field, e);
}

static void wev_line(const struct query *q, struct buf *b, const struct wevent *e)
{
	static const char *const types[] = { ['A'] = "ADDED", ['M'] = "MODIFIED", ['D'] = "DELETED" };

	buf_addf(b, "{\"type\":\"%s\",\"object\":", types[(unsigned char)e->type]);
	if (q->table) {
		buf_addf(b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":"
			 "{\"resourceVersion\":\"%llu\"},\"columnDefinitions\":[],\"rows\":[{\"cells\":%s",
			 (unsigned long long)e->rv, e->cells);
		if (q->inc != INC_NONE)
			buf_addf(b, ",\"object\":%s", e->json);
		buf_adds(b, "}]}");
	} else {
		buf_adds(b, e->json);
	}
	buf_adds(b, "}\n");
}

static int watch_next(void *ctx, struct buf *out, int wait_ms)
{
	struct watch *w = ctx;
	struct simstate *s = w->s;
	const struct watchring *ring = &s->rings[w->q.k];
	int64_t now = time_mono_ms();
	int rc = HTTPD_WAIT;

	if (w->deadline && now >= w->deadline)
		return HTTPD_END;
	if (w->cut && now >= w->cut)
		return HTTPD_ABORT;
	pthread_mutex_lock(&s->mu);
	for (int round = 0; round < 2 && rc == HTTPD_WAIT && !s->stopping; round++) {
		if (w->cursor < ring->first) {
			buf_addf(out, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
				 "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: "
				 "%llu (%llu)\",\"reason\":\"Expired\",\"code\":410}}\n",
				 (unsigned long long)w->from_rv, (unsigned long long)ring->floor_rv);
			rc = HTTPD_END;
			break;
		}
		for (; w->cursor < ring->next; w->cursor++) {
			const struct wevent *e = &ring->ev[w->cursor % ring->cap];

			if (e->rv > w->from_rv && wev_matches(&w->q, e)) {
				wev_line(&w->q, out, e);
				w->seen_rv = e->rv;
				rc = HTTPD_MORE;
			}
		}
		if (rc == HTTPD_WAIT && w->next_bookmark && now >= w->next_bookmark) {
			/* The version of the last change of this kind, all of which went
			 * out above; as the API server, nothing when the client has it. */
			uint64_t last = ring->next > ring->first ? ring->ev[(ring->next - 1) % ring->cap].rv : 0;

			plan_bookmark(w, now);
			if (last > w->from_rv && last > w->seen_rv) {
				buf_addf(out, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":"
					 "\"%s\",\"metadata\":{\"resourceVersion\":\"%llu\",\"creationTimestamp\":null}}}\n",
					 kind_name(w->q.k), kind_api_version(w->q.k), (unsigned long long)last);
				w->seen_rv = last;
				rc = HTTPD_MORE;
				break;
			}
		}
		if (rc == HTTPD_WAIT && round == 0) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)wait_ms * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		}
	}
	if (s->stopping && rc == HTTPD_WAIT)
		rc = HTTPD_END;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void watch_free(void *ctx)
{
	struct watch *w = ctx;

	query_release(&w->q);
	free(w);
}

static void start_watch(struct apireq *a, struct query *q)
{
	struct simstate *s = a->s;
	struct watch *w = xcalloc(1, sizeof(*w));
	const char *rvs = httpd_req_query(a->r, "resourceVersion");
	const char *tos = httpd_req_query(a->r, "timeoutSeconds");
	uint64_t rv = 0;
	int64_t to = 0;

	if ((rvs && *rvs && str_to_u64(rvs, &rv)) || (tos && (str_to_i64(tos, &to) || to < 0))) {
		api_status(a->resp, 400, "BadRequest", "invalid resourceVersion or timeoutSeconds");
		query_release(q);
		free(w);
		return;
	}
	w->s = s;
	w->q = *q;
	w->q.ns = store_intern(q->ns);  /* the request's path dies before the stream does */
	if (to)
		w->deadline = time_mono_ms() + to * 1000;
	if (s->apif.watch_cut_s > 0)
		w->cut = time_mono_ms() + (int64_t)s->apif.watch_cut_s * 1000;
	w->bookmarks = str_eq(httpd_req_query(a->r, "allowWatchBookmarks"), "true");
	plan_bookmark(w, time_mono_ms());
	pthread_mutex_lock(&s->mu);
	if (rv == 0) {
		/* No resourceVersion: the current state as ADDED events, then changes. */
		struct objlist *l = &s->lists[q->k];
		struct wevent e;

		for (size_t i = 0; i < l->n; i++) {
			struct meta *m = l->v[i];
			struct buf j = BUF_INIT, c = BUF_INIT;

			if (!matches(q, m))
				continue;
			render_obj(s, &j, m);
			table_cells(s, &c, m);
			memset(&e, 0, sizeof(e));
			e.type = 'A';
			e.rv = m->rv;
			e.json = j.data;
			e.cells = c.data;
			wev_line(q, &a->resp->body, &e);
			buf_release(&j);
			buf_release(&c);
		}
		w->from_rv = s->rv;
		w->cursor = s->rings[q->k].next;
	} else {
		w->from_rv = rv;
		w->cursor = s->rings[q->k].first;
	}
	{
		/* What was in the history when the watch began counts as seen,
		 * sent or filtered out: a bookmark is for later progress. */
		const struct watchring *ring = &s->rings[q->k];
		uint64_t last = ring->next > ring->first ? ring->ev[(ring->next - 1) % ring->cap].rv : 0;

		w->seen_rv = last > w->from_rv ? last : w->from_rv;
	}
	if (rv && rv < s->rings[q->k].floor_rv) {
		buf_addf(&a->resp->body, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
			 "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version: %llu (%llu)\","
			 "\"reason\":\"Expired\",\"code\":410}}\n", (unsigned long long)rv,
			 (unsigned long long)s->rings[q->k].floor_rv);
		w->deadline = 1;        /* end right after the error */
	}
	pthread_mutex_unlock(&s->mu);
	a->resp->stream.next = watch_next;
	a->resp->stream.free = watch_free;
	a->resp->stream.ctx = w;
}

/* ---- list ---- */

static bool is_watch(const struct httpd_req *r)
{
	const char *w = httpd_req_query(r, "watch");

	return w && (!strcmp(w, "true") || !strcmp(w, "1"));
}

void api_list(struct apireq *a)
{
	struct simstate *s = a->s;
	struct query q;
	const char *lim = httpd_req_query(a->r, "limit"), *cont = httpd_req_query(a->r, "continue");
	int64_t limit = 0;
	uint64_t crv = 0;
	char *cns = NULL, *cname = NULL;
	struct objlist *l;
	struct buf *b = &a->resp->body;
	size_t i, end, count = 0;
	const struct meta *last = NULL;
	struct buf items = BUF_INIT;
	bool more = false;

	if (query_init(a, &q))
		return;
	if (is_watch(a->r)) {
		start_watch(a, &q);
		return;
	}
	if (lim && (str_to_i64(lim, &limit) || limit < 0)) {
		api_status(a->resp, 400, "BadRequest", "limit must be a non-negative integer");
		goto out;
	}
	if (limit > MAX_LIMIT)
		limit = MAX_LIMIT;
	if (cont && *cont && cont_decode(cont, &crv, &cns, &cname)) {
		api_status(a->resp, 400, "BadRequest", "continue key is not valid: the token is malformed");
		goto out;
	}
	pthread_mutex_lock(&s->mu);
	l = &s->lists[q.k];
	if (cname)
		i = store_lower_bound(l, *cns ? cns : NULL, cname, true);
	else
		i = q.ns ? store_lower_bound(l, q.ns, "", false) : 0;
	end = l->n;
	/* The items are rendered first (whether there is a next page is known
	 * only then) and sent after the metadata, in the API server's order:
	 * a client may read the continue token before the items. */
	for (; i < end; i++) {
		const struct meta *m = l->v[i];

		if (q.ns && strcmp(m->ns ? m->ns : "", q.ns))
			break;          /* sorted by namespace: past ours */
		if (!matches(&q, m))
			continue;
		if (limit && count == (size_t)limit) {
			more = true;
			break;
		}
		if (count++)
			buf_addch(&items, ',');
		if (q.table)
			table_row(s, &items, m, q.inc);
		else
			render_obj(s, &items, m);
		last = m;
	}
	if (q.table)
		buf_adds(b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",");
	else
		buf_addf(b, "{\"kind\":\"%sList\",\"apiVersion\":\"%s\",", kind_name(q.k),
			 kind_api_version(q.k));
	buf_addf(b, "\"metadata\":{\"resourceVersion\":\"%llu\"", (unsigned long long)s->rv);
	if (more && last) {
		char *tok = cont_encode(s->rv, last->ns, last->name);

		buf_addf(b, ",\"continue\":\"%s\"", tok);
		free(tok);
		/* As the API server does, only when nothing is filtered: then it is exact. */
		if ((!q.lsel || !q.lsel->n) && (!q.fsel || !q.fsel->n)) {
			size_t left = 0;

			for (; i < end && !(q.ns && strcmp(l->v[i]->ns ? l->v[i]->ns : "", q.ns)); i++)
				left++;
			buf_addf(b, ",\"remainingItemCount\":%zu", left);
		}
	}
	buf_addch(b, '}');
	if (q.table) {
		buf_adds(b, ",\"columnDefinitions\":");
		table_columns(b, q.k);
		buf_adds(b, ",\"rows\":[");
	} else {
		buf_adds(b, ",\"items\":[");
	}
	buf_add(b, items.data ? items.data : "", items.len);
	buf_adds(b, "]}");
	buf_release(&items);
	pthread_mutex_unlock(&s->mu);
out:
	free(cns);
	free(cname);
	query_release(&q);
}
