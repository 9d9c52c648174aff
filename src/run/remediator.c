#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/remediator.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "base/banned.h"

/*
 * One flag for the process: there is one remediation thread per monitor
 * run, and the remedy loop reads it where it waits (approval, drain rounds,
 * verification polls).
 */
static volatile int quit_flag;

struct remediator {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct remedy_loop *loop;
	void (*after_pass)(void *ctx);
	void *ctx;
	struct insight_store *next;     /* offered, not yet taken */
	bool stopping;
	struct remediator_status st;
};

const volatile int *remediator_quit_flag(void)
{
	return &quit_flag;
}

static void drop(struct insight_store *s)
{
	if (!s)
		return;
	insight_store_release(s);
	free(s);
}

static void *worker(void *arg)
{
	struct remediator *r = arg;

	for (;;) {
		struct insight_store *s;
		char err[1024];
		int rc;

		pthread_mutex_lock(&r->mu);
		while (!r->stopping && !r->next)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stopping) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		s = r->next;
		r->next = NULL;
		r->st.busy = true;
		r->st.pass_started_ms = time_real_ms();
		pthread_mutex_unlock(&r->mu);

		err[0] = '\0';
		rc = remedy_loop_handle(r->loop, s, err, sizeof(err));
		if (rc < 0)
			log_kv(LOG_ERROR, "remediate", "remediation pass failed", "error", err, NULL);
		drop(s);
		if (r->after_pass)
			r->after_pass(r->ctx);

		pthread_mutex_lock(&r->mu);
		r->st.busy = false;
		r->st.passes++;
		r->st.last_rc = rc;
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

/* The loop's still_open: the newest snapshot offered and not yet taken, if any, decides. */
static bool still_open(void *ctx, const char *insight_id)
{
	struct remediator *r = ctx;
	bool open = true;

	pthread_mutex_lock(&r->mu);
	if (r->next) {
		open = false; /* gone from the newest view: closed */
		for (size_t i = 0; i < r->next->n; i++)
			if (!strcmp(r->next->items[i]->id, insight_id)) {
				open = !r->next->items[i]->resolved_ms;
				break;
			}
	}
	pthread_mutex_unlock(&r->mu);
	return open;
}

int remediator_start(struct remediator **out, struct remedy_loop *loop,
		     void (*after_pass)(void *ctx), void *ctx)
{
	struct remediator *r = xcalloc(1, sizeof(*r));
	int rc;

	quit_flag = 0;
	r->loop = loop;
	r->after_pass = after_pass;
	r->ctx = ctx;
	loop->o.still_open = still_open;
	loop->o.still_open_ctx = r;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	rc = pthread_create(&r->th, NULL, worker, r);
	if (rc) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return -rc;
	}
	*out = r;
	return 0;
}

void remediator_offer(struct remediator *r, struct insight_store *snapshot)
{
	struct insight_store *old;

	pthread_mutex_lock(&r->mu);
	old = r->next;
	r->next = snapshot;
	if (old)
		r->st.dropped++;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	drop(old);
}

void remediator_status(struct remediator *r, struct remediator_status *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->st;
	pthread_mutex_unlock(&r->mu);
}

void remediator_finish(struct remediator *r, const volatile int *stop)
{
	for (;;) {
		bool idle;

		pthread_mutex_lock(&r->mu);
		idle = !r->next && !r->st.busy;
		pthread_mutex_unlock(&r->mu);
		if (idle || (stop && *stop))
			return;
		time_sleep_ms(50, stop);
	}
}

void remediator_stop(struct remediator *r)
{
	if (!r)
		return;
	quit_flag = 1;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->th, NULL);
	r->loop->o.still_open = NULL; /* the loop may outlive the thread */
	drop(r->next);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
