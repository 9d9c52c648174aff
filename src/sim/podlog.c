#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim/api.h"
#include "base/buf.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

/*
 * GET pods/NAME/log: a container's log as the kubelet would return it
 * (text/plain), made up from what the model knows: start-up lines, and for
 * a run that ended, its last words (an error for a crash, nothing after an
 * OOM kill, which the kernel delivers without warning). previous=true reads
 * the previous run's log and is a 400, as in Kubernetes, when there was none.
 * Queries: container (must be the pod's), previous, tailLines.
 */
void api_pod_log(struct apireq *a)
{
	struct simstate *s = a->s;
	const char *container = httpd_req_query(a->r, "container");
	const char *prev = httpd_req_query(a->r, "previous");
	const char *tail = httpd_req_query(a->r, "tailLines");
	bool previous = prev && (!strcmp(prev, "true") || !strcmp(prev, "1"));
	struct buf text = BUF_INIT;
	const char *lines[8];
	char buf[8][256];
	char when[RFC3339_MAX];
	int64_t ntail = -1;
	size_t n = 0, from;
	struct pod *p;

	if (tail && (str_to_i64(tail, &ntail) || ntail < 0)) {
		api_status(a->resp, 400, "BadRequest", "invalid tailLines \"%s\"", tail);
		return;
	}
	pthread_mutex_lock(&s->mu);
	p = (struct pod *)store_get(s, K_POD, a->ns, a->name);
	if (!p) {
		api_not_found(a);
		goto out;
	}
	if (container && strcmp(container, p->c.name ? p->c.name : "")) {
		api_status(a->resp, 400, "BadRequest", "container %s is not valid for pod %s", container,
			   p->m.name);
		goto out;
	}
	if (previous && !p->st.last_reason) {
		api_status(a->resp, 400, "BadRequest", "previous terminated container \"%s\" in pod \"%s\" not found",
			   p->c.name ? p->c.name : "", p->m.name);
		goto out;
	}
	if (!previous && p->st.state != CS_RUNNING && p->st.state != CS_TERMINATED) {
		api_status(a->resp, 400, "BadRequest", "container \"%s\" in pod \"%s\" is waiting to start: %s",
			   p->c.name ? p->c.name : "", p->m.name, p->st.reason ? p->st.reason : "ContainerCreating");
		goto out;
	}
	time_rfc3339(previous ? p->st.last_finished_ms : p->st.started_ms, when);
	snprintf(buf[n], sizeof(buf[n]), "%s starting %s", when, p->c.image ? p->c.image : "");
	lines[n] = buf[n]; n++;
	snprintf(buf[n], sizeof(buf[n]), "%s listening on :8080", when);
	lines[n] = buf[n]; n++;
	if (previous && !strcmp(p->st.last_reason, "Error")) {
		snprintf(buf[n], sizeof(buf[n]), "%s ERROR config: cannot connect to db.%s.svc:5432: connection refused "
			 "(password=s3cr3t-%s)", when, p->m.ns, p->m.name);
		lines[n] = buf[n]; n++;
		snprintf(buf[n], sizeof(buf[n]), "%s fatal: giving up after 3 attempts; exit code %d", when,
			 p->st.exit_code);
		lines[n] = buf[n]; n++;
	}
	from = ntail >= 0 && (size_t)ntail < n ? n - (size_t)ntail : 0;
	for (size_t i = from; i < n; i++) {
		buf_adds(&text, lines[i]);
		buf_addch(&text, '\n');
	}
	a->resp->content_type = "text/plain";
	buf_add(&a->resp->body, text.data ? text.data : "", text.len);
out:
	pthread_mutex_unlock(&s->mu);
	buf_release(&text);
}
