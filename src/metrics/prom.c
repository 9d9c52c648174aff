#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/prom.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/banned.h"

int prom_client_init(struct prom_client *p, const char *url, int64_t timeout_ms,
		     char *err, size_t errlen)
{
	struct http_opts o;
	size_t n;
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	o.max_retries = 2;
	o.max_body = PROM_MAX_BODY;
	if (!str_starts_with(url, "http://") && !str_starts_with(url, "https://")) {
		snprintf(err, errlen, "prometheus: \"%s\" is not an http(s) URL", url);
		return -EINVAL;
	}
	rc = http_client_init(&p->http, &o, NULL);
	if (rc < 0) {
		snprintf(err, errlen, "prometheus: cannot set up the HTTP client");
		return rc;
	}
	p->base = xstrdup(url);
	n = strlen(p->base);
	while (n > 0 && p->base[n - 1] == '/')
		p->base[--n] = '\0';
	return 0;
}

void prom_client_release(struct prom_client *p)
{
	if (!p)
		return;
	http_client_release(&p->http);
	free(p->base);
	memset(p, 0, sizeof(*p));
}

void prom_result_release(struct prom_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].namespace);
		free(r->v[i].pod);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int prom_parse(const char *body, size_t len, struct prom_result *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	const json_t *status, *data, *result, *it;
	struct prom_result r;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (!root) {
		snprintf(err, errlen, "malformed JSON (line %d, column %d: %s)",
			 jerr.line, jerr.column, jerr.text);
		return -EBADMSG;
	}
	status = json_object_get(root, "status");
	if (!json_is_string(status) || strcmp(json_string_value(status), "success")) {
		const json_t *e = json_object_get(root, "error");
		snprintf(err, errlen, "query failed: %s",
			 json_is_string(e) ? json_string_value(e) : "no success status");
		json_decref(root);
		return -EINVAL;
	}
	data = json_object_get(root, "data");
	result = json_object_get(data, "result");
	if (!json_is_array(result) || !json_is_string(json_object_get(data, "resultType")) ||
	    strcmp(json_string_value(json_object_get(data, "resultType")), "vector")) {
		snprintf(err, errlen, "the query must give an instant vector");
		json_decref(root);
		return -EINVAL;
	}
	if (json_array_size(result))
		r.v = xcalloc(json_array_size(result), sizeof(*r.v));
	json_array_foreach(result, i, it) {
		const json_t *metric = json_object_get(it, "metric");
		const json_t *value = json_object_get(it, "value");
		const json_t *ns = json_object_get(metric, "namespace");
		const json_t *pod = json_object_get(metric, "pod");
		const json_t *sv = json_array_get(value, 1);
		double d;
		if (!json_is_string(pod))
			pod = json_object_get(metric, "pod_name");
		if (!json_is_array(value) || !json_is_string(sv)) {
			snprintf(err, errlen, "result %zu has no [time, \"value\"] pair", i);
			json_decref(root);
			prom_result_release(&r);
			return -EBADMSG;
		}
		/* Prometheus writes NaN and +Inf as strings; those are not measurements. */
		if (!json_is_string(ns) || !json_is_string(pod) ||
		    str_to_double(json_string_value(sv), &d) < 0) {
			r.skipped++;
			continue;
		}
		r.v[r.n].namespace = xstrdup(json_string_value(ns));
		r.v[r.n].pod = xstrdup(json_string_value(pod));
		r.v[r.n].value = d;
		r.n++;
	}
	json_decref(root);
	*out = r;
	return 0;
}

int prom_query(struct prom_client *p, const char *promql, struct prom_result *out,
	       char *err, size_t errlen)
{
	struct http_response resp;
	struct buf url = BUF_INIT;
	char herr[HTTP_ERRLEN], perr[256];
	int rc;

	buf_addf(&url, "%s/api/v1/query?query=", p->base);
	http_add_query_escaped(&url, promql);
	http_response_init(&resp);
	rc = http_get(&p->http, url.data, &resp, herr, sizeof(herr));
	if (rc < 0) {
		snprintf(err, errlen, "prometheus %s: %s", p->base, herr);
		goto out;
	}
	/* Prometheus answers a bad query with 400 and a JSON error body. */
	if ((resp.status < 200 || resp.status > 299) && resp.status != 400 && resp.status != 422) {
		snprintf(err, errlen, "prometheus %s: HTTP %ld for query %s", p->base, resp.status, promql);
		rc = -EIO;
		goto out;
	}
	rc = prom_parse(resp.body.data ? resp.body.data : "", resp.body.len, out, perr, sizeof(perr));
	if (rc < 0)
		snprintf(err, errlen, "prometheus query %s: %s", promql, perr);
out:
	http_response_release(&resp);
	buf_release(&url);
	return rc;
}
