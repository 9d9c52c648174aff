/* Fuzz target for the typed Kubernetes objects (kube/objects.c), the
 * ExecCredential parser (kube/exec.c) and watch event lines (kube/cache.c). */
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "kube/cache.h"
#include "kube/exec.h"
#include "kube/objects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[KUBE_ERRLEN], msg[256], reason[64];
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct kube_cache cache;
	struct kube_cred cred;

	if (j) {
		struct kube_pod p;
		struct kube_node n;
		struct kube_event e;
		struct kube_owner o;
		struct kube_pod_metrics pm;
		struct kube_node_metrics nm;
		struct kube_summary s;
		if (kube_pod_parse(j, &p, err, sizeof(err)) == 0)
			kube_pod_release(&p);
		if (kube_node_parse(j, &n, err, sizeof(err)) == 0)
			kube_node_release(&n);
		if (kube_event_parse(j, &e, err, sizeof(err)) == 0)
			kube_event_release(&e);
		if (kube_owner_parse(j, &o, err, sizeof(err)) == 0)
			kube_owner_release(&o);
		if (kube_pod_metrics_parse(j, &pm, err, sizeof(err)) == 0)
			kube_pod_metrics_release(&pm);
		if (kube_node_metrics_parse(j, &nm, err, sizeof(err)) == 0)
			kube_node_metrics_release(&nm);
		if (kube_summary_parse(j, &s, err, sizeof(err)) == 0)
			kube_summary_release(&s);
		kube_status_message(j, msg, sizeof(msg), reason, sizeof(reason));
		json_decref(j);
	}
	if (kube_exec_parse((const char *)data, size, "client.authentication.k8s.io/v1", &cred,
			    err, sizeof(err)) == 0)
		kube_cred_release(&cred);
	/* As watch lines, one per line of the input. */
	memset(&cache, 0, sizeof(cache));
	cache.type = &kube_cache_pods;
	pthread_mutex_init(&cache.mu, NULL);
	pthread_cond_init(&cache.cond, NULL);
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;
		kube_cache_apply(&cache, (const char *)data + i, len);
		i += len + 1;
	}
	kube_cache_stop(&cache);
	return 0;
}
