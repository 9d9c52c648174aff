#ifndef KUBE_FASTPARSE_H
#define KUBE_FASTPARSE_H
/*
 * The two bodies a collection cycle reads in bulk, parsed straight from
 * their text without building a jansson tree: a kubelet /stats/summary and
 * a metrics.k8s.io PodMetricsList (at 100k pods, 130 MB and 25 MB a cycle).
 * They give exactly what kube_summary_parse() and kube_pod_metrics_parse()
 * give on the parsed text, or decline: anything they do not expect (a
 * string with escapes, a value of another type, a missing field, text that
 * is not JSON) returns -ENOTSUP, and the caller parses with jansson, whose
 * answer (and error message) is the reference. Outputs are owned as by
 * those parsers.
 */
#include <stddef.h>
#include "kube/objects.h"

/* A kubelet summary into *out (kube_summary_release() frees it). */
int kube_summary_parse_text(const char *text, size_t len, struct kube_summary *out);

/* Every item of a PodMetricsList, in order, into *out (n items; free each
 * with kube_pod_metrics_release() and the array with free()). */
int kube_pod_metrics_list_parse_text(const char *text, size_t len,
				     struct kube_pod_metrics **out, size_t *n);

#endif
