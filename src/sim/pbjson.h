#ifndef SIM_PBJSON_H
#define SIM_PBJSON_H
/*
 * Kubernetes protobuf request bodies ("k8s\0" + runtime.Unknown) turned into
 * the JSON the API would have received, for the kinds kubectl sends the sim
 * as protobuf (PodDisruptionBudget, Eviction, Lease, DeleteOptions). The
 * caller owns *out.
 */
#include <stddef.h>
#include <jansson.h>

/* 0, -EINVAL (malformed, reason in err) or -ENOTSUP (a kind without a schema). */
int pb_to_json(const void *data, size_t len, json_t **out, char *err, size_t errlen);

#endif
