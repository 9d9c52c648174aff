/*
 * A throwaway PKI with OpenSSL 3: EC P-256 keys, SHA-256 signatures, the
 * extensions Go's crypto/tls (kubectl) and GnuTLS (libmicrohttpd) check.
 * Private keys come out as PKCS#8 PEM ("BEGIN PRIVATE KEY"), which both read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "base/buf.h"
#include "base/mem.h"
#include "net/tlsgen.h"
#include "base/banned.h"

#define MAX_HOSTS 64
#define MAX_NAME 64     /* X.509's upper bound for CN and O */

static EVP_PKEY *new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int add_ext(X509 *issuer, X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -1;
}

/* A positive random 127-bit serial, as RFC 5280 wants (unique, at most 20 bytes). */
static int set_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	r[0] &= 0x7f;
	r[0] |= 0x40;
	bn = BN_bin2bn(r, sizeof(r), NULL);
	if (!bn)
		return -1;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

struct certspec {
	const char *cn, *org;
	const char *const *exts;        /* pairs: extension name, value; NULL ends */
};

/* A certificate for key, signed by issuer (or self-signed when issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const struct certspec *spec, X509 *issuer,
		       EVP_PKEY *issuer_key, int days)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (!x)
		return NULL;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, X509_VERSION_3) != 1 || set_serial(x) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||  /* clock skew */
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;
	if (spec->org && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
			(const unsigned char *)spec->org, -1, -1, 0) != 1)
		goto fail;
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
			(const unsigned char *)spec->cn, -1, -1, 0) != 1)
		goto fail;
	if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1)
		goto fail;
	for (size_t i = 0; spec->exts[i]; i += 2)
		if (add_ext(issuer ? issuer : x, x, OBJ_txt2nid(spec->exts[i]),
			    spec->exts[i + 1]))
			goto fail;
	if (!X509_sign(x, issuer ? issuer_key : key, EVP_sha256()))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static char *bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	return n > 0 ? xstrndup(data, (size_t)n) : NULL;
}

static char *cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b && PEM_write_bio_X509(b, x) == 1)
		s = bio_text(b);
	BIO_free(b);
	return s;
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	/* PKCS#8, unencrypted. The BIO's copy is cleansed when it is freed. */
	if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) == 1)
		s = bio_text(b);
	BIO_free(b);
	return s;
}

static void wipe_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* "IP:127.0.0.1,DNS:localhost" from the hosts; -EINVAL for a bad name. */
static int san_value(const char *const *hosts, size_t n, struct buf *b)
{
	for (size_t i = 0; i < n; i++) {
		const char *h = hosts[i];
		unsigned char addr[16];
		bool ip;

		if (!h || !*h || strlen(h) > 253)
			return -EINVAL;
		ip = inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1;
		if (!ip) {
			for (const char *c = h; *c; c++)
				if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' ||
				      (*c == '*' && c == h && c[1] == '.')))
					return -EINVAL;
		}
		if (buf_addf(b, "%s%s:%s", i ? "," : "", ip ? "IP" : "DNS", h))
			return -E2BIG;
	}
	return 0;
}

static bool name_ok(const char *s, bool required)
{
	if (!s)
		return !required;
	return *s && strlen(s) <= MAX_NAME;
}

int tlsgen_make(struct tlsgen *out, const char *const *hosts, size_t nhosts,
		const char *client_cn, const char *client_org, int days)
{
	static const char *const ca_exts[] = {
		"basicConstraints", "critical,CA:TRUE",
		"keyUsage", "critical,keyCertSign,cRLSign,digitalSignature",
		"subjectKeyIdentifier", "hash",
		NULL };
	const char *server_exts[] = {
		"basicConstraints", "critical,CA:FALSE",
		"keyUsage", "critical,digitalSignature",
		"extendedKeyUsage", "serverAuth",
		"subjectKeyIdentifier", "hash",
		"authorityKeyIdentifier", "keyid:always",
		"subjectAltName", NULL,
		NULL };
	static const char *const client_exts[] = {
		"basicConstraints", "critical,CA:FALSE",
		"keyUsage", "critical,digitalSignature",
		"extendedKeyUsage", "clientAuth",
		"subjectKeyIdentifier", "hash",
		"authorityKeyIdentifier", "keyid:always",
		NULL };
	struct certspec ca_spec = { "kubemend-sim-ca", "kubemend", ca_exts };
	struct certspec server_spec = { "kubemend-sim", NULL, server_exts };
	struct certspec client_spec = { client_cn, client_org, client_exts };
	EVP_PKEY *ca_key = NULL, *server_key = NULL, *client_key = NULL;
	X509 *ca = NULL, *server = NULL, *client = NULL;
	struct tlsgen t = { NULL, NULL, NULL, NULL, NULL };
	struct buf san = BUF_INIT;
	int rc;

	if (!hosts || nhosts == 0 || nhosts > MAX_HOSTS || !name_ok(client_cn, true) ||
	    !name_ok(client_org, false) || days < 1 || days > 3650)
		return -EINVAL;
	buf_init(&san, 16384);
	if ((rc = san_value(hosts, nhosts, &san)) != 0)
		goto out;
	server_exts[11] = san.data;
	rc = -EIO;
	if (!(ca_key = new_key()) || !(server_key = new_key()) || !(client_key = new_key()))
		goto out;
	if (!(ca = make_cert(ca_key, &ca_spec, NULL, NULL, days)) ||
	    !(server = make_cert(server_key, &server_spec, ca, ca_key, days)) ||
	    !(client = make_cert(client_key, &client_spec, ca, ca_key, days)))
		goto out;
	t.ca_cert = cert_pem(ca);
	t.server_cert = cert_pem(server);
	t.server_key = key_pem(server_key);
	t.client_cert = cert_pem(client);
	t.client_key = key_pem(client_key);
	if (!t.ca_cert || !t.server_cert || !t.server_key || !t.client_cert || !t.client_key) {
		tlsgen_release(&t);
		goto out;
	}
	*out = t;
	rc = 0;
out:
	if (rc)
		ERR_clear_error();
	X509_free(ca);
	X509_free(server);
	X509_free(client);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(server_key);
	EVP_PKEY_free(client_key);
	buf_release(&san);
	return rc;
}

void tlsgen_release(struct tlsgen *t)
{
	if (!t)
		return;
	free(t->ca_cert);
	free(t->server_cert);
	free(t->client_cert);
	wipe_free(t->server_key);
	wipe_free(t->client_key);
	memset(t, 0, sizeof(*t));
}
