#ifndef KUBE_CONFIG_H
#define KUBE_CONFIG_H
/*
 * Where the cluster is and how to authenticate to it: kubeconfig files
 * (merged as kubectl merges a KUBECONFIG list), the chosen context, or the
 * in-cluster service account. struct kube_config owns all its strings;
 * kube_config_release() frees them and wipes the secrets.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/strvec.h"

/* An exec credential plugin (client.authentication.k8s.io/v1 or v1beta1). */
struct kube_exec {
	char *api_version;
	char *command;          /* as written, or resolved against the kubeconfig's directory */
	struct strvec args;
	struct strvec env;      /* "NAME=VALUE" */
};

struct kube_config {
	char *source;           /* the files it came from, or "in-cluster", for messages */
	char *context, *cluster, *user;
	char *server;           /* without a trailing slash */
	char *namespace;        /* the context's namespace, else "default" */
	char *ca_file;          /* absolute or as given */
	char *ca_pem;           /* decoded certificate-authority-data */
	size_t ca_pem_len;
	bool insecure;          /* insecure-skip-tls-verify: true */
	char *token;            /* static bearer token */
	char *token_file;       /* bearer token read from this file (re-read as it rotates) */
	char *cert_file, *key_file;
	char *cert_pem, *key_pem;       /* decoded client-*-data */
	size_t cert_pem_len, key_pem_len;
	struct kube_exec *exec; /* or NULL */
	/*
	 * A bearer token (static, from a file or an exec plugin) goes to an
	 * http:// server only when this is set ($KUBEMEND_ALLOW_HTTP_TOKEN=1):
	 * plain HTTP would show it to anyone on the path. kubectl does not send
	 * it either.
	 */
	bool allow_http_token;
};

/* What the caller found in its flags and environment. */
struct kube_config_opts {
	const char *kubeconfig;         /* --kubeconfig: this file only */
	const char *context;            /* --context, or NULL for current-context */
	const char *env_kubeconfig;     /* $KUBECONFIG: a colon-separated list */
	const char *home;               /* $HOME, for ~/.kube/config */
	/* In-cluster: $KUBERNETES_SERVICE_HOST/PORT and the service account
	 * directory (NULL: /var/run/secrets/kubernetes.io/serviceaccount). */
	const char *service_host, *service_port, *sa_dir;
	const char *allow_http_token;   /* $KUBEMEND_ALLOW_HTTP_TOKEN: "1" sets kube_config.allow_http_token */
};

#define KUBE_CONFIG_MAX_FILES 32

/*
 * One line for the user when the server is http:// and the configuration
 * holds a bearer token (static, a file or an exec plugin): that it is not
 * sent, or (allow_http_token) that it is sent in the clear. Returns false
 * and leaves out alone when there is nothing to say.
 */
bool kube_config_http_token_notice(const struct kube_config *c, char *out, size_t outlen);
/* True when requests to c's server may carry its bearer token. */
bool kube_config_token_allowed(const struct kube_config *c);

/*
 * Loads the configuration. Order: --kubeconfig; else the KUBECONFIG list
 * (files that do not exist are skipped, as kubectl does; for every named
 * cluster, user and context the first file that defines it wins, and
 * current-context comes from the first file that sets it); else
 * ~/.kube/config; else the in-cluster service account. Relative paths in a
 * file are taken relative to that file's directory. Returns 0, or -ENOENT
 * when no configuration exists, -EINVAL for a malformed file or an unknown
 * context, with a one-line message in err ("FILE:L:C: what" where a
 * position is known).
 */
int kube_config_load(struct kube_config *out, const struct kube_config_opts *o,
		     char *err, size_t errlen);
void kube_config_release(struct kube_config *c);

/* Decodes standard base64 (whitespace ignored) into a new NUL-terminated
 * string; returns 0 or -EINVAL. */
int kube_base64_decode(const char *in, char **out, size_t *outlen);

#endif
