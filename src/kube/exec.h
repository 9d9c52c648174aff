#ifndef KUBE_EXEC_H
#define KUBE_EXEC_H
/*
 * Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1):
 * runs the command with its args and env plus KUBERNETES_EXEC_INFO, reads an
 * ExecCredential from its stdout and returns the credential. struct
 * kube_cred owns its strings; kube_cred_release() wipes and frees them.
 */
#include <stddef.h>
#include <stdint.h>
#include "kube/config.h"

struct kube_cred {
	char *token;                    /* or NULL */
	char *cert_pem, *key_pem;       /* clientCertificateData/clientKeyData, or NULL */
	int64_t expires_ms;             /* status.expirationTimestamp; 0 when none */
};

#define KUBE_EXEC_MAX_OUTPUT (1u << 20)
#define KUBE_EXEC_TIMEOUT_MS 60000

/* Returns 0 or a negative errno with a one-line message naming the command. */
int kube_exec_run(const struct kube_exec *ex, struct kube_cred *out,
		  char *err, size_t errlen);
/* Parses an ExecCredential (exported for tests and the fuzzer). */
int kube_exec_parse(const char *json, size_t len, const char *api_version,
		    struct kube_cred *out, char *err, size_t errlen);
void kube_cred_release(struct kube_cred *c);

#endif
