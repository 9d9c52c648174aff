/*
 * Leader election (kube/lease.c) against the simulated API server: one of
 * two candidates holds the Lease; the holder renews; a holder that stops
 * renewing stops leading after the renew deadline, before the other may
 * take over after the lease duration; a released Lease is taken at once;
 * with threads, exactly one leads at a time; the write guard refuses
 * mutations of a client whose owner no longer leads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "kube/client.h"
#include "kube/lease.h"
#include "sim/sim.h"
#include "base/timeutil.h"

struct world {
	struct sim *sim;
	struct kube_config cfg;
	struct kube_client a, b;
	struct kube_lease la, lb;
};

static void sleep_ms(int64_t ms)
{
	usleep((useconds_t)(ms * 1000));
}

static int setup(void **state)
{
	static struct world w;
	struct sim_options o = { .listen = "127.0.0.1:0", .nodes = 1, .pods = 1, .seed = 1, .speed = 0 };
	char err[256];

	memset(&w, 0, sizeof(w));
	assert_int_equal(sim_start(&w.sim, &o, err, sizeof(err)), 0);
	w.cfg.server = strdup(sim_url(w.sim));
	/* no token: over plain HTTP the sim lets a request without one through (kubemend sends none there) */
	w.cfg.user = strdup("tester");
	w.cfg.context = strdup("sim");
	assert_int_equal(kube_client_init(&w.a, &w.cfg, NULL, err, sizeof(err)), 0);
	assert_int_equal(kube_client_init(&w.b, &w.cfg, NULL, err, sizeof(err)), 0);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	kube_lease_release(&w->la);
	kube_lease_release(&w->lb);
	kube_client_release(&w->a);
	kube_client_release(&w->b);
	kube_config_release(&w->cfg);
	sim_stop(w->sim);
	return 0;
}

static void init_pair(struct world *w, const char *name, int64_t dur, int64_t dl, int64_t rp)
{
	struct kube_lease_opts oa = { name, "default", "replica-a", dur, dl, rp };
	struct kube_lease_opts ob = { name, "default", "replica-b", dur, dl, rp };
	char err[256];

	kube_lease_release(&w->la);
	kube_lease_release(&w->lb);
	assert_int_equal(kube_lease_init(&w->la, &w->a, &oa, err, sizeof(err)), 0);
	assert_int_equal(kube_lease_init(&w->lb, &w->b, &ob, err, sizeof(err)), 0);
}

static void bad_options(void **state)
{
	struct world *w = *state;
	struct kube_lease l;
	struct kube_lease_opts o = { "x", "default", "me", 10000, 10000, 2000 };
	char err[256] = "";

	(void)w;
	assert_int_equal(kube_lease_init(&l, &w->a, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "renew deadline"));
	o.renew_deadline_ms = 2000;     /* not above 1.2 x retry */
	assert_int_equal(kube_lease_init(&l, &w->a, &o, err, sizeof(err)), -EINVAL);
	o.renew_deadline_ms = 5000;
	o.name = "Not_A_Name";
	assert_int_equal(kube_lease_init(&l, &w->a, &o, err, sizeof(err)), -EINVAL);
	o.name = "x";
	o.identity = "";
	assert_int_equal(kube_lease_init(&l, &w->a, &o, err, sizeof(err)), -EINVAL);
}

static void one_holder(void **state)
{
	struct world *w = *state;
	struct kube_error e;
	char holder[64];

	init_pair(w, "one-holder", 15000, 10000, 2000);
	assert_int_equal(kube_lease_try(&w->la, &e), 1);        /* creates it */
	assert_int_equal(kube_lease_try(&w->lb, &e), 0);
	assert_true(kube_lease_leading(&w->la));
	assert_false(kube_lease_leading(&w->lb));
	kube_lease_holder(&w->lb, holder, sizeof(holder));
	assert_string_equal(holder, "replica-a");
	assert_int_equal(kube_lease_try(&w->la, &e), 1);        /* renews */
	assert_int_equal(kube_lease_try(&w->lb, &e), 0);
	assert_true(kube_lease_margin_ms(&w->la) > 9000);
	assert_int_equal(kube_lease_margin_ms(&w->lb), 0);
}

/* The holder stops renewing: it stops leading at the renew deadline; the other takes over only after the lease duration. */
static void expiry_and_takeover(void **state)
{
	struct world *w = *state;
	struct kube_error e;
	int64_t t0;
	int rc;

	init_pair(w, "takeover", 1000, 600, 200);
	assert_int_equal(kube_lease_try(&w->la, &e), 1);
	t0 = time_mono_ms();
	assert_int_equal(kube_lease_try(&w->lb, &e), 0);        /* b observes the record now */
	sleep_ms(650);
	assert_false(kube_lease_leading(&w->la));               /* past its renew deadline: no more acting */
	assert_int_equal(kube_lease_try(&w->lb, &e), 0);        /* but the lease has not expired for b */
	while ((rc = kube_lease_try(&w->lb, &e)) == 0)
		sleep_ms(50);
	assert_int_equal(rc, 1);
	assert_true(time_mono_ms() - t0 >= 1000);
	assert_true(kube_lease_leading(&w->lb));
	/* a wakes up: its renewal finds b's fresh record and fails */
	assert_int_equal(kube_lease_try(&w->la, &e), 0);
	assert_false(kube_lease_leading(&w->la));
}

static int guard(void *ctx, char *why, size_t n)
{
	return kube_lease_leading(ctx) ? 1 : (snprintf(why, n, "not the leader"), 0);
}

static bool write_guard(void *ctx, char *why, size_t n)
{
	return guard(ctx, why, n) == 1;
}

/* Threads: exactly one leads; stopping it releases the lease and the other leads within a retry or two. */
static void threads_and_release(void **state)
{
	struct world *w = *state;
	struct kube_client c;
	struct kube_error e;
	char err[256];
	int64_t t0;
	struct kube_lease *first, *second;
	int both = 0;

	init_pair(w, "threads", 8000, 6000, 300);  /* long: a busy machine must not lose it */
	assert_int_equal(kube_lease_start(&w->la, NULL, NULL), 0);
	assert_int_equal(kube_lease_start(&w->lb, NULL, NULL), 0);
	t0 = time_mono_ms();
	while (!kube_lease_leading(&w->la) && !kube_lease_leading(&w->lb) && time_mono_ms() - t0 < 5000)
		sleep_ms(20);
	for (int i = 0; i < 40; i++) {
		both += kube_lease_leading(&w->la) && kube_lease_leading(&w->lb);
		sleep_ms(25);
	}
	assert_int_equal(both, 0);
	first = kube_lease_leading(&w->la) ? &w->la : &w->lb;
	second = first == &w->la ? &w->lb : &w->la;
	assert_true(kube_lease_leading(first));

	/* the write guard: a client whose owner is not leading sends no mutation */
	assert_int_equal(kube_client_init(&c, &w->cfg, NULL, err, sizeof(err)), 0);
	c.write_guard = write_guard;
	c.write_guard_ctx = second;
	assert_int_equal(kube_send(&c, "create lease", "POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases",
				   "application/json", "{\"metadata\":{\"name\":\"g\"},\"spec\":{}}", NULL, &e), -EPERM);
	assert_string_equal(e.reason, "NotLeader");
	assert_non_null(strstr(e.msg, "not the leader"));
	c.write_guard_ctx = first;
	assert_int_equal(kube_send(&c, "create lease", "POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases",
				   "application/json", "{\"metadata\":{\"name\":\"g\"},\"spec\":{}}", NULL, &e), 0);
	kube_client_release(&c);

	t0 = time_mono_ms();
	kube_lease_stop(first);                                  /* releases */
	assert_false(kube_lease_leading(first));
	while (!kube_lease_leading(second) && time_mono_ms() - t0 < 5000)
		sleep_ms(20);
	assert_true(kube_lease_leading(second));
	assert_true(time_mono_ms() - t0 < 4000);                /* well before the 8 s lease would expire */
}

static void default_identity(void **state)
{
	char id[300], want[32];

	(void)state;
	kube_lease_default_identity(id, sizeof(id));
	snprintf(want, sizeof(want), "_%ld", (long)getpid());
	assert_true(strlen(id) > strlen(want));
	assert_string_equal(id + strlen(id) - strlen(want), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_options),
		cmocka_unit_test(one_holder),
		cmocka_unit_test(expiry_and_takeover),
		cmocka_unit_test(threads_and_release),
		cmocka_unit_test(default_identity),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
