#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "sim/sim.h"
#include "sim/store.h"
#include "sim/hpa.h"
#include "sim/simctl.h"
#include "sim/faults.h"
#include "sim/b64.h"
#include "net/httpd.h"
#include "net/tlsgen.h"
#include "base/file.h"
#include "base/mem.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define TICK_MS 250
#define SETTLE_MS (10 * 60 * 1000)      /* the initial pods have run this long at start */

struct sim {
	struct simstate s;
	struct httpd *h;
	struct tlsgen pki;
	bool have_pki;
	pthread_t ticker;
	bool ticker_started;
	char url[64];
};

void sim_step_locked(struct simstate *s, int64_t now)
{
	/* Stop at every fault boundary on the way so faults start and end on time. */
	for (int guard = 0; guard < 10000; guard++) {
		int64_t due = faults_next_due(s);

		if (due > now)
			break;
		if (due > s->now_ms)
			ctl_advance(s, due);
		faults_tick(s, s->now_ms);
		ctl_reconcile(s);
	}
	if (now > s->now_ms)
		ctl_advance(s, now);
	faults_tick(s, s->now_ms);
	ctl_reconcile(s);
}

static void *tick_main(void *arg)
{
	struct simstate *s = arg;
	struct timespec ts;

	int64_t wait_ms = TICK_MS, idle_at = -1, now;
	uint64_t idle_rv = 0, rv0;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		int64_t t0;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait_ms / 1000;
		ts.tv_nsec += (wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		if (s->stopping)
			break;
		/*
		 * A step that changed nothing, on a clock that has not moved (a
		 * frozen sim), with no write since, would change nothing again: skip
		 * it. At 100k pods each such step scanned every pod under the lock
		 * that every request needs. The controllers read only the store and
		 * the clock, so this changes no output.
		 */
		now = store_clock(s);
		if (now == idle_at && s->now_ms == now && s->rv == idle_rv) {
			wait_ms = TICK_MS;
			continue;
		}
		t0 = time_mono_ms();
		rv0 = s->rv;
		sim_step_locked(s, now);
		idle_at = s->rv == rv0 && s->now_ms == now ? now : -1;
		idle_rv = s->rv;
		/* A big cluster's step is expensive: keep the clock thread under ~20% of a core. */
		wait_ms = 4 * (time_mono_ms() - t0);
		if (wait_ms < TICK_MS)
			wait_ms = TICK_MS;
		if (wait_ms > 5000)
			wait_ms = 5000;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static struct meta *add_namespace(struct simstate *s, const char *name)
{
	struct namespace_ *n;
	const char *kv[] = { "kubernetes.io/metadata.name", name };

	for (size_t i = 0; i < s->lists[K_NAMESPACE].n; i++)
		if (!strcmp(s->lists[K_NAMESPACE].v[i]->name, name))
			return s->lists[K_NAMESPACE].v[i];
	n = xcalloc(1, sizeof(*n));
	n->m.kind = K_NAMESPACE;
	n->m.name = xstrdup(name);
	n->m.created_ms = s->start_ms - SETTLE_MS;
	n->m.labels = labels_new(kv, 1);
	store_add(s, &n->m);
	return &n->m;
}

static void add_node(struct simstate *s, int i)
{
	struct node *n = xcalloc(1, sizeof(*n));
	char name[32];
	const char *kv[] = { "kubernetes.io/hostname", name, "kubernetes.io/os", "linux",
			     "kubernetes.io/arch", "amd64", "node-role.kubernetes.io/worker", "",
			     "beta.kubernetes.io/os", "linux", "beta.kubernetes.io/arch", "amd64" };
	struct lease *l = xcalloc(1, sizeof(*l));

	snprintf(name, sizeof(name), "node-%d", i);
	n->m.kind = K_NODE;
	n->m.name = xstrdup(name);
	n->m.created_ms = s->start_ms - SETTLE_MS - 3600 * 1000;
	n->m.labels = labels_new(kv, 6);
	n->index = i;
	n->cpu_alloc = s->sc.node_cpu > 0 ? s->sc.node_cpu : 8;
	n->mem_alloc = s->sc.node_mem > 0 ? s->sc.node_mem : 32.0 * 1024 * 1024 * 1024;
	n->max_pods = 110;
	store_add(s, &n->m);
	l->m.kind = K_LEASE;
	l->m.name = xstrdup(name);
	l->m.ns = store_intern("kube-node-lease");
	l->m.created_ms = n->m.created_ms;
	l->holder = xstrdup(name);
	l->duration_s = 40;
	l->renew_ms = s->start_ms;
	l->acquire_ms = n->m.created_ms;
	store_add(s, &l->m);
	n->lease = l;
}

static void set_template(struct podtemplate *t, const char *app, const char *container,
			 const char *image, const struct resources *res)
{
	const char *kv[] = { "app", app };

	t->labels = labels_new(kv, 1);
	t->c.name = xstrdup(container);
	t->c.image = xstrdup(image);
	t->c.res = *res;
}

static void add_deployment(struct simstate *s, const struct workload *w)
{
	struct deployment *d = xcalloc(1, sizeof(*d));
	const char *kv[] = { "app", w->deployment };
	char image[300], err[128];
	struct selector *sel = NULL;

	snprintf(image, sizeof(image), "registry.local/%s:1.0", w->deployment);
	add_namespace(s, w->namespace_);
	d->m.kind = K_DEPLOYMENT;
	d->m.name = xstrdup(w->deployment);
	d->m.ns = store_intern(w->namespace_);
	d->m.created_ms = s->start_ms - SETTLE_MS;
	d->m.labels = labels_new(kv, 1);
	d->replicas = w->replicas;
	d->match = labels_new(kv, 1);
	selector_parse("", false, &sel, err, sizeof(err));
	selector_add(sel, "app", SEL_EQ, (const char *const *)&kv[1], 1);
	d->selector = sel;
	set_template(&d->tpl, w->deployment, w->deployment, w->image ? w->image : image, &w->res);
	d->usage = w->usage;
	store_add(s, &d->m);
}

static void add_daemonset(struct simstate *s)
{
	struct daemonset *d = xcalloc(1, sizeof(*d));
	const char *kv[] = { "app", "node-agent" };
	struct resources res = { .cpu_request = 0.01, .mem_request = 32 * 1048576.0,
				 .cpu_limit = 0.1, .mem_limit = 128 * 1048576.0 };

	d->m.kind = K_DAEMONSET;
	d->m.name = xstrdup("node-agent");
	d->m.ns = store_intern("kube-system");
	d->m.created_ms = s->start_ms - SETTLE_MS;
	d->m.labels = labels_new(kv, 1);
	d->match = labels_new(kv, 1);
	set_template(&d->tpl, "node-agent", "node-agent", "registry.local/node-agent:1.0", &res);
	d->tpl.emptydir = true;
	d->usage = (struct usage){ .cpu = 0.005, .mem = 20 * 1048576.0, .rx_bps = 2048, .tx_bps = 2048 };
	store_add(s, &d->m);
}

void sim_build_cluster(struct simstate *s)
{
	s->quiet = true;
	add_namespace(s, "default");
	add_namespace(s, "kube-system");
	add_namespace(s, "kube-public");
	add_namespace(s, "kube-node-lease");
	for (int i = 0; i < s->sc.nodes; i++)
		add_node(s, i);
	for (size_t i = 0; i < s->sc.nworkloads; i++) {
		add_deployment(s, &s->sc.workloads[i]);
		hpa_build(s, &s->sc.workloads[i]);
	}
	add_daemonset(s);
	for (int k = 0; k < K__COUNT; k++)
		store_sort(s, k);
	s->now_ms = s->start_ms - SETTLE_MS;
	ctl_reconcile(s);
	for (int k = 0; k < K__COUNT; k++)
		store_sort(s, k);
	ctl_advance(s, s->start_ms);
	ctl_reconcile(s);
	s->quiet = false;
	for (int k = 0; k < K__COUNT; k++)
		s->rings[k].floor_rv = s->rv;   /* the bulk load is not in the rings */
}

static char *kubeconfig(const struct sim *sim)
{
	struct buf b = BUF_INIT;
	char *ca = NULL, *cc = NULL, *ck = NULL;

	buf_addf(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: kubemend-sim\n  cluster:\n"
		 "    server: %s\n", sim->url);
	if (sim->have_pki) {
		ca = b64_encode(sim->pki.ca_cert, strlen(sim->pki.ca_cert));
		cc = b64_encode(sim->pki.client_cert, strlen(sim->pki.client_cert));
		ck = b64_encode(sim->pki.client_key, strlen(sim->pki.client_key));
		buf_addf(&b, "    certificate-authority-data: %s\n", ca);
	}
	buf_adds(&b, "contexts:\n- name: kubemend-sim\n  context:\n    cluster: kubemend-sim\n"
		 "    user: kubemend-sim\n    namespace: default\ncurrent-context: kubemend-sim\n"
		 "preferences: {}\nusers:\n- name: kubemend-sim\n  user:\n");
	buf_addf(&b, "    token: %s\n", sim->s.token);
	if (sim->have_pki)
		buf_addf(&b, "    client-certificate-data: %s\n    client-key-data: %s\n", cc, ck);
	free(ca);
	free(cc);
	if (ck) {
		memset(ck, 0, strlen(ck));
		free(ck);
	}
	return buf_detach(&b, NULL);
}

static void make_token(char out[65])
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n > 0)
			got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

int sim_start(struct sim **out, const struct sim_options *opt, char *err, size_t errlen)
{
	struct sim *sim = xcalloc(1, sizeof(*sim));
	struct simstate *s = &sim->s;
	struct httpd_config hc;
	char *kc;
	int rc;

	store_init(s, opt->seed);
	if (opt->scenario) {
		rc = scenario_load(&s->sc, opt->scenario, err, errlen);
		if (rc)
			goto fail;
		if (opt->seed_set)
			s->sc.seed = opt->seed;
	} else {
		scenario_generate(&s->sc, opt->nodes, opt->pods, opt->seed);
	}
	s->seed = s->sc.seed;
	s->rng = s->seed ^ 0x9e3779b97f4a7c15ull;
	s->fault_rng = s->seed * 31 + 7;
	s->speed = opt->speed;
	s->apif.latency_ms = opt->fault_latency_ms;
	s->apif.rate_500 = opt->fault_500_rate;
	s->apif.rate_429 = opt->fault_429_rate;
	s->apif.rate_truncate = opt->fault_truncate_rate;
	s->apif.watch_cut_s = opt->fault_watch_cut_s;
	s->start_ms = opt->start_ms > 0 ? opt->start_ms : time_real_ms() / 1000 * 1000;
	s->virt_base_ms = s->start_ms;
	s->mono_base_ms = time_mono_ms();
	truth_init(&s->truth, opt->truth_out);
	if ((rc = sim_audit_open(&s->audit, opt->audit_log))) {
		snprintf(err, errlen, "%s: cannot open the audit log: %s", opt->audit_log, strerror(-rc));
		goto fail;
	}
	make_token(s->token);
	sim_build_cluster(s);
	if ((rc = faults_init(s))) {
		snprintf(err, errlen, "cannot start the fault engine: %s", strerror(-rc));
		goto fail;
	}
	if (opt->tls) {
		const char *hosts[] = { "127.0.0.1", "localhost" };

		rc = tlsgen_make(&sim->pki, hosts, 2, "kubemend-admin", "system:masters", 30);
		if (rc) {
			snprintf(err, errlen, "cannot generate TLS certificates: %s", strerror(-rc));
			goto fail;
		}
		sim->have_pki = true;
		s->client_cn_ok = xstrdup("kubemend-admin");
	}
	memset(&hc, 0, sizeof(hc));
	hc.listen = opt->listen ? opt->listen : "127.0.0.1:0";
	hc.handler = sim_api_handle;
	hc.ctx = s;
	/* a test bed on loopback: every client is 127.0.0.1, and large lists take a while */
	hc.max_conns_per_ip = HTTPD_UNLIMITED;
	hc.idle_timeout_s = 60;
	hc.threads = 8;
	if (sim->have_pki) {
		hc.cert_pem = sim->pki.server_cert;
		hc.key_pem = sim->pki.server_key;
		hc.client_ca_pem = sim->pki.ca_cert;
	}
	rc = httpd_start(&sim->h, &hc, err, errlen);
	if (rc)
		goto fail;
	snprintf(sim->url, sizeof(sim->url), "%s://127.0.0.1:%d", opt->tls ? "https" : "http",
		 httpd_port(sim->h));
	/* the (empty) truth file exists before anyone is told the sim is ready */
	if (opt->truth_out && (rc = truth_write(&s->truth))) {
		snprintf(err, errlen, "%s: cannot write the truth file: %s", opt->truth_out, strerror(-rc));
		goto fail;
	}
	if (pthread_create(&sim->ticker, NULL, tick_main, s) == 0)
		sim->ticker_started = true;
	if (opt->kubeconfig_out) {
		kc = kubeconfig(sim);
		rc = file_write_atomic_mode(opt->kubeconfig_out, kc, strlen(kc), 0600);   /* token, client key */
		memset(kc, 0, strlen(kc));
		free(kc);
		if (rc) {
			snprintf(err, errlen, "%s: cannot write the kubeconfig: %s", opt->kubeconfig_out,
				 strerror(-rc));
			goto fail;
		}
	}
	*out = sim;
	return 0;
fail:
	sim_stop(sim);
	return rc < 0 ? rc : -EINVAL;
}

void sim_advance(struct sim *sim, int64_t ms)
{
	struct simstate *s = &sim->s;

	pthread_mutex_lock(&s->mu);
	s->virt_base_ms += ms;
	sim_step_locked(s, store_clock(s));
	pthread_mutex_unlock(&s->mu);
}

static uint64_t ring_last_rv(const struct watchring *r)
{
	return r->next > r->first ? r->ev[(r->next - 1) % r->cap].rv : 0;
}

void sim_last_rvs(struct sim *sim, uint64_t *pods, uint64_t *nodes, uint64_t *events)
{
	struct simstate *s = &sim->s;

	pthread_mutex_lock(&s->mu);
	*pods = ring_last_rv(&s->rings[K_POD]);
	*nodes = ring_last_rv(&s->rings[K_NODE]);
	*events = ring_last_rv(&s->rings[K_EVENT]);
	pthread_mutex_unlock(&s->mu);
}

void sim_stop(struct sim *sim)
{
	if (!sim)
		return;
	pthread_mutex_lock(&sim->s.mu);
	sim->s.stopping = true;
	pthread_cond_broadcast(&sim->s.cond);
	pthread_mutex_unlock(&sim->s.mu);
	httpd_stop(sim->h);
	if (sim->ticker_started)
		pthread_join(sim->ticker, NULL);
	faults_release(&sim->s);
	truth_release(&sim->s.truth);
	sim_audit_close(&sim->s.audit);
	scenario_release(&sim->s.sc);
	free(sim->s.client_cn_ok);
	store_release(&sim->s);
	if (sim->have_pki)
		tlsgen_release(&sim->pki);
	free(sim);
}

int sim_port(const struct sim *sim)
{
	return httpd_port(sim->h);
}

const char *sim_url(const struct sim *sim)
{
	return sim->url;
}

const char *sim_token(const struct sim *sim)
{
	return sim->s.token;
}

/* GET /sim/v1/clock; POST /sim/v1/advance?seconds=N; POST /sim/v1/speed?x=X. */
void simctl_handle(struct simstate *s, const struct httpd_req *r, struct httpd_resp *resp)
{
	char t[RFC3339_MAX];
	const char *arg;
	double v;

	pthread_mutex_lock(&s->mu);
	if (!strcmp(r->path, "/sim/v1/advance") && !strcmp(r->method, "POST")) {
		arg = httpd_req_query(r, "seconds");
		if (!arg || str_to_double(arg, &v) || v < 0 || v > 366 * 86400.0) {
			pthread_mutex_unlock(&s->mu);
			resp->status = 400;
			buf_adds(&resp->body, "{\"error\":\"seconds must be a number from 0 to 31622400\"}");
			return;
		}
		s->virt_base_ms += (int64_t)llround(v * 1000);
		sim_step_locked(s, store_clock(s));
	} else if (!strcmp(r->path, "/sim/v1/speed") && !strcmp(r->method, "POST")) {
		arg = httpd_req_query(r, "x");
		if (!arg || str_to_double(arg, &v) || v < 0 || v > 1e6) {
			pthread_mutex_unlock(&s->mu);
			resp->status = 400;
			buf_adds(&resp->body, "{\"error\":\"x must be a number from 0 to 1000000\"}");
			return;
		}
		s->virt_base_ms = store_clock(s);
		s->mono_base_ms = time_mono_ms();
		s->speed = v;
	} else if (strcmp(r->path, "/sim/v1/clock") || strcmp(r->method, "GET")) {
		pthread_mutex_unlock(&s->mu);
		resp->status = 404;
		buf_adds(&resp->body, "{\"error\":\"not found: the control endpoints are GET /sim/v1/clock, "
			 "POST /sim/v1/advance?seconds=N and POST /sim/v1/speed?x=X\"}");
		return;
	}
	time_rfc3339_ms(s->now_ms, t);
	buf_addf(&resp->body, "{\"now\":\"%s\",\"nowMs\":%lld,\"elapsedSeconds\":%.3f,\"speed\":%g,"
		 "\"resourceVersion\":\"%llu\"}", t, (long long)s->now_ms,
		 (double)(s->now_ms - s->start_ms) / 1000.0, s->speed, (unsigned long long)s->rv);
	pthread_mutex_unlock(&s->mu);
}
