#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/monitor.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/secretfile.h"
#include "base/str.h"
#include "base/timeutil.h"
#include "insight/explain.h"
#include "insight/insight_read.h"
#include "kube/client.h"
#include "kube/config.h"
#include "metrics/collect_config.h"
#include "metrics/collector.h"
#include "metrics/csv.h"
#include "remedy/loop.h"
#include "run/incluster.h"
#include "conf/watch.h"
#include "remedy/policy.h"
#include "run/remediator.h"
#include "serve/alertsend.h"
#include "serve/endpoints.h"
#include "serve/notify.h"
#include "serve/webui.h"
#include "base/banned.h"

#define MAX_BATCH_ROWS 1000000

static volatile int stop_flag, reload_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

/* ---- the stages ---- */

struct stages {
	struct monitor_run *m;
	struct kube_config kube;
	bool have_kube, have_col, have_csv;
	struct collect_config cc;
	struct collector col;
	struct csv_writer csv;
	struct csv_reader tail;
	bool have_tail;
	struct sample *batch;
	size_t nbatch, capbatch;
	struct pipeline pipe;
	bool have_pipe;
	struct serve_source view;       /* what serve/ reads of the pipeline */
	struct endpoints *http;
	struct alert_sender alerts;
	bool have_alerts;
	struct kube_client kc;
	struct policy pol;
	struct remedy_loop remedy;
	struct remediator *remediator;  /* the thread that runs remedy beside the loop */
	bool have_kc, have_remedy;
	struct explainer *llm;          /* always set with the pipeline; disabled without --enable-llm */
	struct incluster ic;            /* --leader-elect, --records (docs/incluster.md) */
	bool have_ic;
	struct conf_watch cw;           /* the config files, for a mounted ConfigMap's updates */
	bool have_cw;
	struct approval_box *box;       /* the page's view of the records; decisions in --approval web */
	bool web_approval;
	struct webui *ui;
	struct notifier *notify;
	struct strmap announced;        /* record ids notified as proposed */
};

static bool stopping(const struct monitor_run *m)
{
	return stop_flag || (m->stop && *m->stop);
}

static void sleep_ms(const struct monitor_run *m, int64_t ms)
{
	int64_t until = time_mono_ms() + ms;

	while (!stopping(m) && !reload_flag && time_mono_ms() < until) {
		int64_t left = until - time_mono_ms();
		time_sleep_ms(left > 100 ? 100 : left, &stop_flag);
	}
}

/* The kubeconfig, once, for the collector and the remediation loop. */
static int open_kube(struct stages *st, char *err, size_t errlen)
{
	const struct config *c = st->m->cfg;
	const struct conf_value *kv = config_value(c, "agent.kubeconfig");
	struct kube_config_opts ko;
	int rc;

	if (st->have_kube)
		return 0;
	memset(&ko, 0, sizeof(ko));
	if (kv->text && kv->source == CS_ENV)
		ko.env_kubeconfig = kv->text;
	else
		ko.kubeconfig = kv->text;
	ko.context = config_str(c, "agent.context");
	ko.home = getenv("HOME");
	ko.service_host = getenv("KUBERNETES_SERVICE_HOST");
	ko.service_port = getenv("KUBERNETES_SERVICE_PORT");
	ko.allow_http_token = getenv("KUBEMEND_ALLOW_HTTP_TOKEN");
	rc = kube_config_load(&st->kube, &ko, err, errlen);
	if (rc < 0)
		return rc;
	st->have_kube = true;
	{
		char note[512];

		if (kube_config_http_token_notice(&st->kube, note, sizeof(note)))
			log_kv(LOG_WARN, "collect", note, NULL);
	}
	return 0;
}

static int open_collector(struct stages *st, char *err, size_t errlen)
{
	struct monitor_run *m = st->m;
	const struct config *c = m->cfg;
	struct collector_opts co;
	const char *ns = config_str(c, "agent.namespace");
	const char *q = config_str(c, "prometheus.custom_metrics");
	int rc;

	rc = open_kube(st, err, errlen);
	if (rc < 0)
		return rc;
	memset(&st->cc, 0, sizeof(st->cc));
	/* custom columns: the config's "name\tquery" lines, then --metric-name */
	while (q && *q) {
		const char *nl = strchr(q, '\n');
		size_t len = nl ? (size_t)(nl - q) : strlen(q);
		char *line = xmalloc(len + 1), *tab;

		memcpy(line, q, len);
		line[len] = '\0';
		if ((tab = strchr(line, '\t')))
			*tab = '=';
		rc = *line ? collect_config_add_metric(&st->cc, line, err, errlen) : 0;
		free(line);
		if (rc < 0)
			return rc;
		q = nl ? nl + 1 : NULL;
	}
	for (size_t i = 0; m->metrics && i < m->metrics->n; i++)
		if ((rc = collect_config_add_metric(&st->cc, m->metrics->v[i], err, errlen)) < 0)
			return rc;
	if (config_bool(c, "agent.all_namespaces") || !ns || !strcmp(ns, "all") || !strcmp(ns, "*"))
		ns = NULL;
	memset(&co, 0, sizeof(co));
	co.kube = &st->kube;
	co.namespace = ns;
	co.interval_ms = config_duration_ms(c, "agent.interval");
	co.max_pods = m->max_pods;
	if (config_bool(c, "prometheus.enabled")) {
		co.prom_url = config_str(c, "prometheus.url");
		co.prom_timeout_ms = config_duration_ms(c, "prometheus.timeout");
		co.prom_rx_dropped_query = config_str(c, "prometheus.queries.net_rx_dropped_ps");
		co.prom_tx_dropped_query = config_str(c, "prometheus.queries.net_tx_dropped_ps");
	}
	co.custom = st->cc.custom;
	co.ncustom = st->cc.ncustom;
	rc = collector_init(&st->col, &co, err, errlen);
	if (rc < 0)
		return rc;
	st->have_col = true;
	log_kv(LOG_INFO, "collect", "starting", "context", st->kube.context, "namespace",
	       ns ? ns : "(all)", "prometheus", co.prom_url, NULL);
	return 0;
}

static int open_csv(struct stages *st, char *err, size_t errlen)
{
	const struct config *c = st->m->cfg;
	enum csv_format format = CSV_NATIVE;
	struct strvec names = STRVEC_INIT;
	struct csv_rotation rot;
	int rc;

	if (st->m->csv_format && csv_format_parse(st->m->csv_format, &format) < 0) {
		snprintf(err, errlen, "--csv-format is native or seed, not \"%s\"", st->m->csv_format);
		return -EINVAL;
	}
	if (st->have_col)
		collector_custom_names(&st->col, &names);
	csv_rotation_defaults(&rot, (uint64_t)config_num(c, "agent.csv_max_bytes"));
	rot.max_age_ms = config_duration_ms(c, "agent.csv_max_age");
	rot.retention_ms = config_duration_ms(c, "agent.csv_retention");
	rot.retention_bytes = (uint64_t)config_num(c, "agent.csv_retention_size");
	rc = csv_writer_open_with(&st->csv, config_str(c, "agent.output_file"), format, &names,
				  &rot, err, errlen);
	strvec_clear(&names);
	if (rc == 0)
		st->have_csv = true;
	return rc;
}

static void log_notices(struct collector *c)
{
	for (size_t i = 0; i < c->notices.n; i++)
		log_kv(LOG_WARN, "collect", c->notices.v[i], NULL);
	strvec_clear(&c->notices);
}

/* The page's sparklines: every pod's probability after a batch. */
static void spark(struct stages *st, int64_t ts_ms)
{
	size_t it;

	pipeline_lock(&st->pipe);
	for (struct strmap_entry *e = strmap_first(&st->pipe.det.pods, &it); e;
	     e = strmap_next(&st->pipe.det.pods, e, &it)) {
		const struct pod_state *ps = e->value;
		const char *slash = strchr(e->key, '/');
		char ns[256];

		if (!slash || (size_t)(slash - e->key) >= sizeof(ns))
			continue;
		memcpy(ns, e->key, (size_t)(slash - e->key));
		ns[slash - e->key] = '\0';
		webui_spark(st->ui, ns, slash + 1, ts_ms, ps->last_prob);
	}
	pipeline_unlock(&st->pipe);
}

static void feed(struct stages *st, const struct sample *rows, size_t n)
{
	char err[512];

	explainer_learn_rows(st->llm, rows, n);   /* names to hide from the LLM */
	if (pipeline_feed(&st->pipe, rows, n, err, sizeof(err)) < 0)
		log_kv(LOG_ERROR, "detect", "cannot write the insights file", "error", err, NULL);
	if (st->ui && n)
		spark(st, rows[0].ts_ms);
}

static void flush_batch(struct stages *st)
{
	if (st->nbatch)
		feed(st, st->batch, st->nbatch);
	for (size_t i = 0; i < st->nbatch; i++)
		sample_release(&st->batch[i]);
	st->nbatch = 0;
}

/* Reads the rows the CSV has gained; rows of one cycle (one timestamp) go
 * to the detector together. Returns the rows read or a negative errno. */
static long tail_step(struct stages *st)
{
	long rows = 0;

	for (;;) {
		struct sample s;
		char err[512];
		int rc = csv_reader_next(&st->tail, &s, err, sizeof(err));

		if (rc == 0)
			break;
		if (rc == -EINVAL) {
			log_kv(LOG_WARN, "detect", "skipping a broken row", "error", err, NULL);
			continue;
		}
		if (rc < 0) {
			log_kv(LOG_ERROR, "detect", "cannot read the metrics file", "error", err, NULL);
			flush_batch(st);
			return rc;
		}
		if (st->nbatch && (s.ts_ms != st->batch[0].ts_ms || st->nbatch >= MAX_BATCH_ROWS))
			flush_batch(st);
		ARRAY_GROW(st->batch, st->capbatch, st->nbatch + 1);
		st->batch[st->nbatch++] = s;
		rows++;
	}
	/* A cycle's rows arrive in one write: at the end of the data the batch is whole. */
	flush_batch(st);
	return rows;
}

static void log_insight(void *ctx, enum pipeline_event ev, struct insight *in)
{
	char p[16];

	(void)ctx;
	if (ev == PIPE_UPDATED)
		return;
	snprintf(p, sizeof(p), "%.2f", in->probability);
	log_kv(ev == PIPE_OPENED ? LOG_WARN : LOG_INFO, "detect",
	       ev == PIPE_OPENED ? "insight opened" : "insight resolved",
	       "id", in->id, "type", in->anomaly_type, "namespace", in->namespace_,
	       "pod", in->npods ? in->pods[0] : NULL, "node", in->node, "probability", p,
	       "summary", in->summary, NULL);
}

/*
 * --enable-llm (docs/llm.md): asks without waiting; an answer lands at the
 * insight's next update, after the rules' advice, whose explanation stands
 * until then or when the LLM is off or fails.
 */
static void explain_insight(void *ctx, enum pipeline_event ev, struct insight *in)
{
	struct stages *st = ctx;
	const struct insight *hist[4];
	size_t nhist;

	if (ev == PIPE_RESOLVED || !st->llm)
		return;
	nhist = insight_store_history(&st->pipe.store, in, hist, 4);
	monitor_explain(st->llm, in, hist, nhist);
}

/* Notifications of insights opened and resolved (the notifier copies and queues). */
static void notify_insight(void *ctx, enum pipeline_event ev, struct insight *in)
{
	struct stages *st = ctx;
	json_t *j;

	if (ev == PIPE_UPDATED || !st->notify)
		return;
	j = insight_json(in, &st->pipe.store);
	notifier_post(st->notify, ev == PIPE_OPENED ? "insight.opened" : "insight.resolved", j);
	json_decref(j);
}

/* incluster: an Event on the workload (or pod, or node) when an anomaly opens. */
static void anomaly_event(void *ctx, enum pipeline_event ev, struct insight *in)
{
	struct stages *st = ctx;

	if (ev != PIPE_OPENED || !st->have_ic)
		return;
	if (in->owner_kind && str_eq(in->owner_kind, "Deployment") && in->owner_name)
		incluster_anomaly(&st->ic, "Deployment", in->namespace_, in->owner_name, in->anomaly_type,
				  in->probability, in->summary);
	else if (in->pods[0])
		incluster_anomaly(&st->ic, "Pod", in->namespace_, in->pods[0], in->anomaly_type, in->probability,
				  in->summary);
	else if (in->node)
		incluster_anomaly(&st->ic, "Node", NULL, in->node, in->anomaly_type, in->probability, in->summary);
}

/* Notifications of remediation records: proposed (once per record), executed (verified or dry run), failed. */
static void notify_record(void *ctx, const json_t *rec)
{
	struct stages *st = ctx;
	const char *s = json_string_value(json_object_get(rec, "status"));
	const char *id = json_string_value(json_object_get(rec, "id"));

	if (st->have_ic && rec)
		incluster_on_record(&st->ic, rec);      /* the shared record and Events, as each write happens */
	if (!st->notify || !rec || !id)
		return;
	if (str_eq(s, "proposed")) {
		/* a record is written more than once while proposed (its digest) */
		if (strmap_get(&st->announced, id))
			return;
		if (st->announced.n > 10000)
			strmap_clear(&st->announced, NULL);
		strmap_put(&st->announced, id, (void *)1);
		notifier_post(st->notify, "remediation.proposed", rec);
	} else if (str_eq(s, "succeeded") || str_eq(s, "unverified") || str_eq(s, "dry_run")) {
		notifier_post(st->notify, "remediation.executed", rec);
	} else if (str_eq(s, "failed")) {
		notifier_post(st->notify, "remediation.failed", rec);
	}
}

/* The page's source: the records the loop published, and decisions into the box. */
static json_t *ui_records(void *ctx)
{
	struct stages *st = ctx;
	return st->box ? approval_box_records(st->box) : NULL;
}

static int ui_decide(void *ctx, const char *id, const char *digest, bool approve, const char *who)
{
	struct stages *st = ctx;
	int rc = approval_box_decide(st->box, id, digest, approve, who, time_real_ms());

	log_kv(rc ? LOG_WARN : LOG_INFO, "remediate", rc ? "web decision not taken" : "web decision",
	       "record", id, "decision", approve ? "approve" : "reject", "by", who,
	       "error", rc ? strerror(-rc) : NULL, NULL);
	return rc;
}

static void apply_log_settings(const struct monitor_run *m)
{
	enum log_level lvl;

	if (log_level_parse(config_str(m->cfg, "agent.log_level"), &lvl) == 0)
		log_set_level(lvl);
}

static int open_logs(const struct monitor_run *m)
{
	const char *dir = config_str(m->cfg, "agent.log_dir");
	size_t max = (size_t)config_num(m->cfg, "agent.log_max_bytes");
	struct buf path = BUF_INIT;
	enum log_level lvl;
	int rc = 0;

	if (log_level_parse(config_str(m->cfg, "agent.log_level"), &lvl) < 0) {
		fprintf(stderr, "kubemend %s: agent.log_level: want debug, info, warn or error, not \"%s\"\n",
			m->name, config_str(m->cfg, "agent.log_level"));
		return -1;
	}
	log_set_level(lvl);
	if (m->quiet)
		log_set_stderr(0);
	if (!m->main_log || !dir || !*dir)
		return 0;
	if (file_mkdirs(dir) < 0) {
		fprintf(stderr, "kubemend %s: cannot create log directory %s\n", m->name, dir);
		return -1;
	}
	buf_addf(&path, "%s/%s", dir, m->main_log);
	rc = log_open(path.data, max);
	if (rc == 0 && m->log_collect_apart) {
		buf_reset(&path);
		buf_addf(&path, "%s/dataset_generator_agent.log", dir);
		rc = log_route("collect", path.data, max);
	}
	if (rc < 0)
		fprintf(stderr, "kubemend %s: cannot open log file %s: %s\n", m->name, path.data,
			strerror(-rc));
	buf_release(&path);
	return rc < 0 ? -1 : 0;
}

/* SIGHUP: the files and environment again, under the same flags. */
static void reload(struct stages *st)
{
	struct monitor_run *m = st->m;
	struct config fresh;

	reload_flag = 0;
	if (!m->load_config) {
		log_kv(LOG_WARN, m->name, "reload asked for, but this run cannot reload", NULL);
		return;
	}
	if (m->load_config(m->load_ctx, &fresh) < 0) {
		log_kv(LOG_ERROR, m->name, "reload failed: keeping the current configuration", NULL);
		return;
	}
	config_release(m->cfg);
	*m->cfg = fresh;
	apply_log_settings(m);
	if (st->have_pipe)
		pipeline_set_threshold(&st->pipe, config_num(m->cfg, "agent.alert_threshold"));
	log_kv(LOG_INFO, m->name, "configuration reloaded", NULL);
}

static void close_stages(struct stages *st)
{
	char err[512];

	endpoints_stop(st->http);
	st->http = NULL;
	webui_free(st->ui);
	st->ui = NULL;
	if (st->ui)
		webui_set_notifier(st->ui, NULL);
	notifier_stop(st->notify, 5000);
	st->notify = NULL;
	strmap_clear(&st->announced, NULL);
	if (st->have_csv) {
		csv_writer_flush(&st->csv);
		csv_writer_close(&st->csv);
	}
	if (st->have_tail) {
		flush_batch(st);
		csv_reader_close(&st->tail);
	}
	free(st->batch);
	explainer_free(st->llm);
	st->llm = NULL;
	if (st->have_pipe) {
		if (pipeline_flush(&st->pipe, err, sizeof(err)) < 0)
			log_kv(LOG_ERROR, "detect", "cannot write the insights file", "error", err, NULL);
		st->m->out_pipeline = NULL;
		pipeline_release(&st->pipe);
	}
	if (st->have_alerts)
		alert_sender_release(&st->alerts);
	if (st->have_remedy) {
		remediator_stop(st->remediator);
		st->remediator = NULL;
		remedy_loop_close(&st->remedy);
		policy_release(&st->pol);
	}
	if (st->have_ic) {
		incluster_close(&st->ic);       /* releases the Lease: the other replica leads at once */
		st->have_ic = false;
	}
	if (st->have_cw)
		conf_watch_release(&st->cw);
	approval_box_free(st->box);
	st->box = NULL;
	if (st->have_kc)
		kube_client_release(&st->kc);
	if (st->have_col)
		collector_release(&st->col);
	collect_config_release(&st->cc);
	if (st->have_kube)
		kube_config_release(&st->kube);
}

/* A decision read from a Remediation resource goes where the page's go: the box (digest-checked there). */
static int cluster_decides(void *ctx, const char *id, const char *digest, bool approve, const char *who)
{
	return approval_box_decide(ctx, id, digest, approve, who, time_real_ms());
}

/*
 * --remediate: the loop of src/remedy/ on the insights of this process. It
 * asks on tty_fd (a terminal), acts on its own with --auto-approve, or
 * records proposals as pending when there is nobody to ask.
 */
static void after_pass(void *ctx);

static int open_remedy(struct stages *st, char *err, size_t errlen)
{
	struct monitor_run *m = st->m;
	const struct config *c = m->cfg;
	struct remedy_opts o;
	int rc;

	if ((rc = open_kube(st, err, errlen)) < 0)
		return rc;
	if ((rc = kube_client_init(&st->kc, &st->kube, NULL, err, errlen)) < 0)
		return rc;
	st->have_kc = true;
	if (m->incluster) {
		/* incluster: leader election and the check before every write this client sends */
		if ((rc = incluster_open(&st->ic, &st->kube, m->incluster, err, errlen)) < 0)
			return rc;
		st->have_ic = true;
		st->kc.write_guard = incluster_write_guard;
		st->kc.write_guard_ctx = &st->ic;
	}
	policy_load_config(&st->pol, c);
	memset(&o, 0, sizeof(o));
	o.history_file = config_str(c, "agent.history_file");
	o.threshold = config_num(c, "agent.confidence_threshold");
	o.dry_run = m->dry_run;
	o.auto_approve = m->auto_approve;
	o.allow_bare_pods = config_bool(c, "agent.policy.allow_bare_pods");
	o.approval_timeout_ms = config_duration_ms(c, "agent.approval_timeout");
	o.verify_window_ms = config_duration_ms(c, "agent.verify_window");
	o.verify_poll_ms = o.verify_window_ms / 10 < 2000 ? (o.verify_window_ms / 10 > 200 ?
			   o.verify_window_ms / 10 : 200) : 2000;
	o.drain_timeout_ms = 5 * 60 * 1000;
	o.drain_retry_ms = 5000;
	o.tty_fd = m->tty_fd;
	o.tty_out = stderr;
	o.box = st->web_approval ? st->box : NULL;
	o.view = st->box;       /* the page's view of the records, published by the loop */
	o.approval_ttl_ms = config_duration_ms(c, "agent.remediation.approval_ttl");
	o.on_record = notify_record;
	o.on_record_ctx = st;
	if ((rc = remedy_loop_open(&st->remedy, &o, &st->kc, &st->pol, remediator_quit_flag(),
				   err, errlen)) < 0) {
		policy_release(&st->pol);
		return rc;
	}
	if ((rc = remediator_start(&st->remediator, &st->remedy, after_pass, st)) < 0) {
		snprintf(err, errlen, "cannot start the remediation thread: %s", strerror(-rc));
		remedy_loop_close(&st->remedy);
		policy_release(&st->pol);
		return rc;
	}
	st->have_remedy = true;
	if (st->have_ic) {
		incluster_watch_records(&st->ic, &st->remedy.hist.records);
		/* the poller marks records a lost leader left Executing, and takes decisions when they wait on a person */
		if ((rc = incluster_poll_decisions(&st->ic, st->web_approval && st->box ? cluster_decides : NULL,
						   st->box, 2000)) < 0) {
			snprintf(err, errlen, "cannot start reading decisions: %s", strerror(-rc));
			return rc;
		}
	}
	if (m->auto_approve)
		fprintf(stderr, "\n*** kubemend %s --remediate --auto-approve: actions the policy allows "
			"are carried out WITHOUT ASKING%s ***\n\n", m->name,
			m->dry_run ? " (--dry-run: nothing changes)" : "");
	return 0;
}

/* On the remediation thread after each pass: mirror its records into the cluster. */
static void after_pass(void *ctx)
{
	struct stages *st = ctx;

	if (st->have_ic)
		incluster_sync(&st->ic);
}

/*
 * Hands a snapshot of the insights to the remediation thread. It works on
 * its own copy, so neither this loop nor the HTTP endpoints wait while a
 * person answers or an action runs or is verified; a snapshot it has not
 * taken yet is replaced by this newer one.
 */
static void remediate_step(struct stages *st)
{
	struct insight_store *copy = xmalloc(sizeof(*copy));
	json_t *doc;
	char *text;
	char err[1024];
	int rc = -ENOMEM;

	if (st->have_ic && !incluster_leading(&st->ic))
		return;         /* only the leader remediates; a follower watches and stays warm */
	pipeline_lock(&st->pipe);
	doc = insight_store_json(&st->pipe.store, time_real_ms());
	insight_store_init(copy, st->pipe.store.threshold);
	pipeline_unlock(&st->pipe);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (text)
		rc = insight_store_parse(copy, "insights", text, strlen(text), err, sizeof(err));
	else
		snprintf(err, sizeof(err), "out of memory");
	free(text);
	if (rc < 0) {
		log_kv(LOG_ERROR, "remediate", "cannot copy the insights for remediation", "error",
		       err, NULL);
		insight_store_release(copy);
		free(copy);
		return;
	}
	remediator_offer(st->remediator, copy);
}

/* agent.remediation.approval (--approval): terminal, auto or web. */
static int open_approval(struct stages *st, const char *listen, char *err, size_t errlen)
{
	struct monitor_run *m = st->m;
	const char *mode = config_str(m->cfg, "agent.remediation.approval");

	if (!mode || !*mode)
		mode = "terminal";
	if (!str_eq(mode, "terminal") && !str_eq(mode, "auto") && !str_eq(mode, "web")) {
		snprintf(err, errlen, "agent.remediation.approval (--approval) is terminal, auto or web, not \"%s\"", mode);
		return -EINVAL;
	}
	if (!m->remediate || !m->analyse)
		return 0;
	st->web_approval = str_eq(mode, "web") && !m->auto_approve;
	if (str_eq(mode, "auto"))
		m->auto_approve = true;
	if (m->incluster && str_eq(mode, "terminal") && (m->tty_fd < 0 || !isatty(m->tty_fd)) && !m->auto_approve) {
		/* incluster: nobody at a terminal; decisions come from the Remediation resources through the box */
		st->web_approval = true;
		return (st->box = approval_box_new()) ? 0 : -ENOMEM;
	}
	if (st->web_approval && (!m->serve || !listen || !*listen || !strcmp(listen, "off"))) {
		snprintf(err, errlen, "--approval web needs the page: give --listen ADDR (not \"off\")");
		return -EINVAL;
	}
	st->box = approval_box_new();
	return 0;
}

/* The page at / and its API, behind --ui-token-file's token. */
static int open_ui(struct stages *st, const char *listen, char *err, size_t errlen)
{
	const struct config *c = st->m->cfg;
	const char *path = config_str(c, "agent.ui_token_file");
	struct webui_source src;
	char *token = NULL;
	int rc;

	if (path && *path && (rc = webauth_read_token(path, &token, err, errlen)) < 0)
		return rc;
	if ((rc = webui_check_listen(listen, token != NULL, err, errlen)) < 0) {
		secret_free(token);
		return rc;
	}
	memset(&src, 0, sizeof(src));
	src.remediations = ui_records;
	src.decide = st->web_approval ? ui_decide : NULL;
	src.ctx = st;
	src.approval_mode = !st->box ? NULL : st->web_approval ? "web" :
			    st->m->auto_approve ? "auto" : "terminal";
	/* beyond loopback, /api/... is read with the token too (the page itself is static) */
	st->ui = webui_new(&src, webauth_new(token, config_bool(c, "agent.ui_auth_reads") ||
					     !webui_loopback(listen)));
	secret_free(token);
	return 0;
}

/* agent.notify.*: Slack and the signed generic webhook. */
static int open_notify(struct stages *st, const char *listen, char *err, size_t errlen)
{
	const struct config *c = st->m->cfg;
	const char *secret_file = config_str(c, "agent.notify.webhook_secret_file");
	const char *page = config_str(c, "agent.notify.page_url");
	struct notify_opts o;
	struct buf url = BUF_INIT;
	char *secret = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	o.slack_url = config_str(c, "agent.notify.slack_url");
	o.webhook_url = config_str(c, "agent.notify.webhook_url");
	if (!st->m->analyse || (!(o.slack_url && *o.slack_url) && !(o.webhook_url && *o.webhook_url)))
		return 0;
	if (secret_file && *secret_file &&
	    (rc = webauth_read_token(secret_file, &secret, err, errlen)) < 0)
		return rc;
	o.webhook_secret = secret;
	if (page && *page)
		o.page_url = page;
	else if (st->http) {
		char host[64];
		int port;

		if (httpd_parse_listen(listen, host, &port) == 0) {
			buf_addf(&url, "http://%s:%d", host, st->m->bound_port);
			o.page_url = url.data;
		}
	}
	rc = notifier_start(&st->notify, &o, err, errlen);
	if (rc == 0 && st->ui)
		webui_set_notifier(st->ui, st->notify);
	secret_free(secret);
	buf_release(&url);
	return rc;
}

static int open_stages(struct stages *st)
{
	struct monitor_run *m = st->m;
	const struct config *c = m->cfg;
	const char *listen = config_str(c, "agent.listen");
	const char *am = config_str(c, "agent.alertmanager_url");
	char err[1024];

	if (m->collect && open_collector(st, err, sizeof(err)) < 0)
		goto fail;
	if (m->write_csv && open_csv(st, err, sizeof(err)) < 0)
		goto fail;
	if (m->tail_csv) {
		csv_reader_open(&st->tail, config_str(c, "agent.output_file"));
		st->have_tail = true;
	}
	if (m->analyse) {
		pipeline_init(&st->pipe, config_num(c, "agent.alert_threshold"),
			      config_str(c, "agent.insights_file"), m->max_pods);
		st->pipe.store.retain_resolved_ms = config_duration_ms(c, "agent.insights_retain");
		st->have_pipe = true;
		{
			char line[512];
			if (pipeline_load_model(&st->pipe, m->cfg, line, sizeof(line), err, sizeof(err)) < 0)
				goto fail;
			log_kv(LOG_INFO, m->name, "model", "model", line, NULL);
		}
		pipeline_add_hook(&st->pipe, log_insight, NULL);
		if (m->hook)
			pipeline_add_hook(&st->pipe, m->hook, m->hook_ctx);
		st->llm = explainer_new_from_config(m->cfg);
		if (explainer_enabled(st->llm))
			log_kv(LOG_INFO, "llm", "explanations on", "model",
			       config_str(c, "agent.llm.model"), "url",
			       config_str(c, "agent.llm.base_url"), NULL);
		pipeline_add_hook(&st->pipe, explain_insight, st);
		pipeline_add_hook(&st->pipe, notify_insight, st);
		pipeline_add_hook(&st->pipe, anomaly_event, st);
		/*
		 * --remediate: the planner and approval of src/remedy/ on
		 * PIPE_OPENED/PIPE_UPDATED, wired here by pipeline_add_hook()
		 * when that stage lands.
		 */
		m->out_pipeline = &st->pipe;
		pipeline_source(&st->pipe, &st->view);
	}
	if (open_approval(st, listen, err, sizeof(err)) < 0)
		goto fail;
	if (m->analyse && m->serve && listen && *listen && strcmp(listen, "off")) {
		if (open_ui(st, listen, err, sizeof(err)) < 0 ||
		    endpoints_start_ui(&st->http, listen, &st->view, st->ui, err, sizeof(err)) < 0)
			goto fail;
		m->bound_port = endpoints_port(st->http);
		{
			char port[16];
			snprintf(port, sizeof(port), "%d", m->bound_port);
			log_kv(LOG_INFO, m->name, "serving", "listen", listen, "port", port, NULL);
		}
	}
	if (open_notify(st, listen, err, sizeof(err)) < 0)
		goto fail;
	if (m->analyse && m->alerts && am && *am) {
		if (alert_sender_init(&st->alerts, am, err, sizeof(err)) < 0)
			goto fail;
		st->have_alerts = true;
	}
	if (m->remediate && m->analyse && open_remedy(st, err, sizeof(err)) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "kubemend %s: %s\n", m->name, err);
	return -1;
}

/* One cycle. Returns 0, 1 when the run should end, or -1 on a fatal error. */
static int cycle(struct stages *st, unsigned long done)
{
	struct monitor_run *m = st->m;
	int64_t t0 = time_mono_ms(), t1;
	double stage[PIPE_NSTAGES] = { 0 };
	char err[1024], num[32], ms[32], open_[32];

	if (m->collect) {
		struct sample *rows = NULL;
		size_t n = 0;
		int rc = collector_cycle(&st->col, &rows, &n, err, sizeof(err));

		stage[PIPE_COLLECT] = (double)(time_mono_ms() - t0) / 1000.0;

		log_notices(&st->col);
		if (rc < 0) {
			if (st->have_pipe)
				pipeline_collect_failed(&st->pipe);
			if (!done) {
				fprintf(stderr, "kubemend %s: %s\n", m->name, err);
				return -1;
			}
			log_kv(LOG_ERROR, "collect", "cycle failed", "error", err, NULL);
			return 0;
		}
		t1 = time_mono_ms();
		if (st->have_csv && csv_writer_append(&st->csv, rows, n, err, sizeof(err)) < 0) {
			collector_rows_free(rows, n);
			fprintf(stderr, "kubemend %s: %s\n", m->name, err);
			return -1;
		}
		stage[PIPE_CSV] = (double)(time_mono_ms() - t1) / 1000.0;
		t1 = time_mono_ms();
		if (st->have_pipe && !m->tail_csv)
			feed(st, rows, n);
		stage[PIPE_DETECT] = (double)(time_mono_ms() - t1) / 1000.0;
		collector_rows_free(rows, n);
		if (!done && !n && st->col.namespace && *st->col.namespace)
			/* the kubeconfig's namespace by default, as kubectl: say so when it is empty */
			fprintf(stderr, "kubemend %s: namespace \"%s\" holds no pods; watch every "
				"namespace with -A (or --namespace NAME)\n", m->name, st->col.namespace);
		snprintf(num, sizeof(num), "%zu", n);
		snprintf(ms, sizeof(ms), "%lld", (long long)st->col.stats.cycle_ms);
		log_kv(LOG_INFO, "collect", "cycle", "pods", num, "ms", ms,
		       "file", st->have_csv ? st->csv.path : NULL, NULL);
	}
	t1 = time_mono_ms();
	if (m->tail_csv && tail_step(st) < 0 && !m->follow)
		return -1;
	if (m->tail_csv)
		stage[PIPE_DETECT] = (double)(time_mono_ms() - t1) / 1000.0;
	if (st->have_pipe) {
		double total = (double)(time_mono_ms() - t0) / 1000.0;
		char c_ms[32], v_ms[32], d_ms[32];

		pipeline_cycle_time(&st->pipe, total);
		pipeline_cycle_stages(&st->pipe, stage, total, st->have_csv ? st->csv.bytes_written : 0,
				      st->have_csv ? st->csv.rotated_bytes : 0);
		snprintf(ms, sizeof(ms), "%.0f", total * 1000);
		snprintf(c_ms, sizeof(c_ms), "%.0f", stage[PIPE_COLLECT] * 1000);
		snprintf(v_ms, sizeof(v_ms), "%.0f", stage[PIPE_CSV] * 1000);
		snprintf(d_ms, sizeof(d_ms), "%.0f", stage[PIPE_DETECT] * 1000);
		log_kv(LOG_INFO, m->name, "cycle", "ms", ms, "collect_ms", c_ms, "csv_ms", v_ms,
		       "detect_ms", d_ms, NULL);
		pipeline_lock(&st->pipe);
		snprintf(open_, sizeof(open_), "%zu", pipeline_open_insights(&st->pipe.store));
		snprintf(num, sizeof(num), "%zu", pod_detector_npods(&st->pipe.det));
		pipeline_unlock(&st->pipe);
		log_kv(LOG_DEBUG, "detect", "cycle", "pods", num, "insights_open", open_, NULL);
	}
	if (st->have_remedy)
		remediate_step(st);
	if (st->have_alerts) {
		static uint64_t seen;
		uint64_t now_seen = st->pipe.stats.opened + st->pipe.stats.resolved;
		int rc = alert_sender_tick(&st->alerts, &st->view, now_seen != seen, err, sizeof(err));

		if (rc < 0) {
			log_kv(LOG_WARN, "alerts", "cannot reach alertmanager", "error", err, NULL);
		} else {
			seen = now_seen;
			if (rc > 0) {
				snprintf(num, sizeof(num), "%d", rc);
				log_kv(LOG_DEBUG, "alerts", "sent", "alerts", num, NULL);
			}
		}
	}
	return m->tail_csv && !m->follow ? 1 : 0;
}

int monitor_run(struct monitor_run *m)
{
	struct stages st;
	struct sigaction sa;
	unsigned long done = 0;
	int64_t start = time_mono_ms(), period;
	int rc = 0;

	if (m->remediate && !m->analyse) {
		fprintf(stderr, "kubemend %s: --remediate needs the analysis (not with --generator-only or --fetch-only)\n",
			m->name);
		return MONITOR_EXIT_USAGE;
	}
	if (open_logs(m) < 0)
		return 1;
	stop_flag = reload_flag = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&st, 0, sizeof(st));
	st.m = m;
	if (open_stages(&st) < 0) {
		close_stages(&st);
		log_close();
		return 1;
	}
	log_kv(LOG_INFO, m->name, "started", "insights", m->analyse ?
	       config_str(m->cfg, "agent.insights_file") : NULL, "metrics",
	       m->write_csv || m->tail_csv ? config_str(m->cfg, "agent.output_file") : NULL, NULL);
	if (m->watch_config_dir && m->load_config) {
		conf_watch_init(&st.cw, m->watch_config_dir);
		st.have_cw = true;
	}
	while (!stopping(m)) {
		int64_t t0 = time_mono_ms();
		int r;

		if (st.have_cw && conf_watch_changed(&st.cw)) {
			log_kv(LOG_INFO, m->name, "configuration files changed: reloading", "dir", m->watch_config_dir, NULL);
			reload_flag = 1;
		}
		if (reload_flag)
			reload(&st);
		if (st.have_pipe)
			pipeline_set_period(&st.pipe, m->collect ?
					    config_duration_ms(m->cfg, "agent.interval") :
					    config_duration_ms(m->cfg, "agent.watch_interval"));
		/* Not within the second the last cycle stamped its rows with (after an
		 * overrun); asked again after a sleep, as the real clock decides. */
		while (m->collect && st.have_col && !stopping(m) && !reload_flag &&
		       (r = (int)collector_stamp_wait_ms(&st.col, config_duration_ms(m->cfg, "agent.interval"),
							  time_real_ms())) > 0)
			sleep_ms(m, r);
		if (stopping(m))
			break;
		r = cycle(&st, done);
		if (r < 0) {
			rc = 1;
			break;
		}
		done++;
		__atomic_store_n(&m->cycles_done, (long)done, __ATOMIC_RELEASE);
		if (r > 0 || (m->cycles && (long)done >= m->cycles) ||
		    (m->duration_ms && time_mono_ms() - start >= m->duration_ms))
			break;
		period = m->collect ? config_duration_ms(m->cfg, "agent.interval")
				    : config_duration_ms(m->cfg, "agent.watch_interval");
		if (m->duration_ms && time_mono_ms() + period - start > m->duration_ms)
			period = m->duration_ms - (time_mono_ms() - start);
		period -= time_mono_ms() - t0;
		if (period > 0)
			sleep_ms(m, period);
	}
	/* A run that ended with its input or its --cycles lets the last remediation
	 * pass finish; --duration and signals end it now (what it was doing is
	 * recorded as interrupted). */
	if (st.remediator && !stopping(m) && rc == 0 &&
	    !(m->duration_ms && time_mono_ms() - start >= m->duration_ms))
		remediator_finish(st.remediator, &stop_flag);
	log_kv(LOG_INFO, m->name, stopping(m) ? "stopping on signal" : "done", NULL);
	close_stages(&st);
	log_close();
	return rc;
}
