#ifndef NET_TLSGEN_H
#define NET_TLSGEN_H
/*
 * Generates a throwaway PKI for local TLS (the simulated cluster's --tls): a
 * CA, a server certificate for 127.0.0.1/localhost signed by it, and a client
 * certificate signed by it. All outputs are PEM text owned by struct tlsgen;
 * tlsgen_release() frees (and wipes the private keys).
 */
#include <stddef.h>

struct tlsgen {
	char *ca_cert;          /* PEM */
	char *server_cert, *server_key;
	char *client_cert, *client_key;
};

/*
 * hosts: DNS names and IP addresses for the server certificate's
 * subjectAltName (e.g. {"127.0.0.1", "localhost"}); client_cn: the client
 * certificate's CommonName (Kubernetes takes it as the user name), with
 * organisation client_org (the group) when not NULL. ECDSA P-256 keys,
 * validity of days days. Returns 0 or a negative errno (-EIO on a
 * crypto library failure).
 */
int tlsgen_make(struct tlsgen *out, const char *const *hosts, size_t nhosts,
		const char *client_cn, const char *client_org, int days);
void tlsgen_release(struct tlsgen *t);

#endif
