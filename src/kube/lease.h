#ifndef KUBE_LEASE_H
#define KUBE_LEASE_H
/*
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's
 * semantics (tools/leaderelection): a candidate takes the Lease when it does
 * not exist, or when its record has not changed for lease_duration as seen on
 * the candidate's own monotonic clock (never by comparing clocks across
 * machines); the holder renews it every retry_period and gives it up when
 * renewing has failed for renew_deadline. Every write carries the
 * resourceVersion it read, so of two candidates one wins and the other gets
 * 409.
 *
 * On top of that, kube_lease_leading() is the check to make before every
 * mutation: true only while the last successful renewal is younger than
 * renew_deadline (which is shorter than lease_duration), so a leader that
 * cannot renew, or that was paused (SIGSTOP) and wakes up late, stops acting
 * before anyone else may take over.
 *
 * struct kube_lease copies its options; it borrows the client, which only
 * its own thread uses once kube_lease_start() has run (give it a client of
 * its own). The state is guarded by an internal mutex: kube_lease_leading()
 * and kube_lease_status() may be called from any thread.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "kube/client.h"

struct kube_lease_opts {
	const char *name;               /* the Lease's name */
	const char *namespace_;
	const char *identity;           /* holderIdentity; unique per replica */
	int64_t lease_duration_ms;      /* default 15 s */
	int64_t renew_deadline_ms;      /* default 10 s; must be < lease_duration */
	int64_t retry_period_ms;        /* default 2 s; must be < renew_deadline */
};

/* Called from the elector's thread when leadership starts or stops. */
typedef void (*kube_lease_cb)(void *ctx, bool leading, const char *holder, const char *why);

struct kube_lease {
	struct kube_client *kc;
	char *name, *namespace_, *identity;
	int64_t duration_ms, deadline_ms, retry_ms;
	kube_lease_cb cb;
	void *cb_ctx;

	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_t thread;
	bool running, stop;
	/* what we last read, and when it last changed on our clock */
	char *observed_json;            /* the spec as last read, to notice changes */
	char *holder;                   /* the holder we last saw ("" none) */
	int64_t observed_mono_ms;
	/* our leadership */
	bool leading;
	int64_t renewed_mono_ms;        /* our last successful acquire or renew */
	int transitions;
	struct kube_error last_error;
};

/* Checks and copies the options; -EINVAL with a message in err for bad ones. */
int kube_lease_init(struct kube_lease *l, struct kube_client *kc, const struct kube_lease_opts *o,
		    char *err, size_t errlen);
/* Stops the thread (if started) and frees everything; accepts a zeroed struct. */
void kube_lease_release(struct kube_lease *l);

/*
 * One attempt to acquire or renew (client-go's tryAcquireOrRenew): returns
 * 1 when we hold the Lease after it, 0 when someone else does, or a negative
 * errno (the API's error in e; -EINVAL with e->status 409 when another
 * writer got there first).
 */
int kube_lease_try(struct kube_lease *l, struct kube_error *e);

/* Whether we may act now: we hold the Lease and renewed it less than renew_deadline ago. */
bool kube_lease_leading(struct kube_lease *l);
/* Milliseconds of safe leadership left (0 when not leading). */
int64_t kube_lease_margin_ms(struct kube_lease *l);

/* The holder we last saw (copied into out; "" when none). */
void kube_lease_holder(struct kube_lease *l, char *out, size_t outlen);

/* Runs the election on a thread until kube_lease_stop(); cb (may be NULL) hears the changes. */
int kube_lease_start(struct kube_lease *l, kube_lease_cb cb, void *ctx);
/* Stops the thread; a leader then releases the Lease (holder cleared) so another takes over at once. */
void kube_lease_stop(struct kube_lease *l);

/* The default identity, hostname_pid, as Kubernetes components make it. */
void kube_lease_default_identity(char *out, size_t outlen);

#endif
