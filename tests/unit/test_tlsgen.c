#include <errno.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "testutil.h"
#include "net/tlsgen.h"

static const char *const hosts[] = { "127.0.0.1", "localhost", "::1" };

static X509 *load_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static EVP_PKEY *load_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(k);
	return k;
}

/* Verifies x against the CA alone, for a TLS purpose; 1 if it holds. */
static int verify(X509 *ca, X509 *x, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(ctx, store, x, NULL);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static void name_entry(X509 *x, int nid, char *out, size_t n)
{
	out[0] = '\0';
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, out, (int)n);
}

static void chain_names_and_purposes(void **state)
{
	struct tlsgen t;
	X509 *ca, *srv, *cli;
	EVP_PKEY *ca_pub, *sk, *ck;
	GENERAL_NAMES *sans;
	char text[128];
	int nip = 0, ndns = 0;
	(void)state;

	assert_int_equal(tlsgen_make(&t, hosts, 3, "kubemend-admin", "system:masters", 30), 0);
	assert_non_null(strstr(t.ca_cert, "-----BEGIN CERTIFICATE-----"));
	assert_non_null(strstr(t.server_key, "-----BEGIN PRIVATE KEY-----"));
	ca = load_cert(t.ca_cert);
	srv = load_cert(t.server_cert);
	cli = load_cert(t.client_cert);
	sk = load_key(t.server_key);
	ck = load_key(t.client_key);

	/* The CA: self-signed, CA:TRUE, may sign certificates; P-256 keys. */
	ca_pub = X509_get0_pubkey(ca);
	assert_int_equal(X509_verify(ca, ca_pub), 1);
	assert_int_equal(X509_check_ca(ca), 1);
	assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
	assert_int_equal(EVP_PKEY_get_bits(sk), 256);
	assert_true(EVP_PKEY_is_a(sk, "EC"));

	/* Leaves signed by the CA, their keys match, and they are not CAs. */
	assert_int_equal(X509_verify(srv, ca_pub), 1);
	assert_int_equal(X509_verify(cli, ca_pub), 1);
	assert_int_equal(X509_verify(srv, X509_get0_pubkey(cli)), 0);
	assert_int_equal(X509_check_private_key(srv, sk), 1);
	assert_int_equal(X509_check_private_key(cli, ck), 1);
	assert_int_equal(X509_check_private_key(cli, sk), 0);
	assert_int_equal(X509_check_ca(srv), 0);

	/* Chains: server for serverAuth only, client for clientAuth only. */
	assert_int_equal(verify(ca, srv, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_equal(verify(ca, cli, X509_PURPOSE_SSL_CLIENT), 1);
	assert_int_not_equal(verify(ca, srv, X509_PURPOSE_SSL_CLIENT), 1);
	assert_int_not_equal(verify(ca, cli, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_not_equal(verify(srv, cli, X509_PURPOSE_SSL_CLIENT), 1);

	/* Server names. */
	assert_int_equal(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(srv, "::1", 0), 1);
	assert_int_not_equal(X509_check_host(srv, "example.com", 0, 0, NULL), 1);
	assert_int_not_equal(X509_check_ip_asc(srv, "10.0.0.1", 0), 1);
	sans = X509_get_ext_d2i(srv, NID_subject_alt_name, NULL, NULL);
	assert_non_null(sans);
	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		nip += g->type == GEN_IPADD;
		ndns += g->type == GEN_DNS;
	}
	assert_int_equal(nip, 2);
	assert_int_equal(ndns, 1);
	GENERAL_NAMES_free(sans);

	/* Kubernetes reads the user from CN and the group from O. */
	name_entry(cli, NID_commonName, text, sizeof(text));
	assert_string_equal(text, "kubemend-admin");
	name_entry(cli, NID_organizationName, text, sizeof(text));
	assert_string_equal(text, "system:masters");

	X509_free(ca);
	X509_free(srv);
	X509_free(cli);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ck);
	tlsgen_release(&t);
	tlsgen_release(NULL);
}

static gnutls_datum_t datum(const char *s)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)s, (unsigned int)strlen(s) };
	return d;
}

/* libmicrohttpd loads these with GnuTLS: it must parse them and trust the chain. */
static void gnutls_reads_them(void **state)
{
	struct tlsgen t;
	gnutls_x509_crt_t ca, srv, cli;
	gnutls_x509_privkey_t key;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t d, k;
	unsigned int status = 99;
	(void)state;

	assert_int_equal(tlsgen_make(&t, hosts, 2, "tester", NULL, 1), 0);
	gnutls_x509_crt_init(&ca);
	gnutls_x509_crt_init(&srv);
	gnutls_x509_crt_init(&cli);
	d = datum(t.ca_cert);
	assert_int_equal(gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_PEM), 0);
	d = datum(t.server_cert);
	assert_int_equal(gnutls_x509_crt_import(srv, &d, GNUTLS_X509_FMT_PEM), 0);
	d = datum(t.client_cert);
	assert_int_equal(gnutls_x509_crt_import(cli, &d, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_crt_verify(srv, &ca, 1, 0, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(gnutls_x509_crt_verify(cli, &ca, 1, 0, &status), 0);
	assert_int_equal(status, 0);
	assert_int_not_equal(gnutls_x509_crt_check_hostname(srv, "localhost"), 0);
	assert_int_not_equal(gnutls_x509_crt_check_ip(srv, (const unsigned char *)"\x7f\0\0\x01", 4, 0), 0);
	assert_int_equal(gnutls_x509_crt_check_hostname(srv, "example.com"), 0);

	gnutls_x509_privkey_init(&key);
	k = datum(t.server_key);
	assert_int_equal(gnutls_x509_privkey_import(key, &k, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_privkey_get_pk_algorithm(key), GNUTLS_PK_EC);
	gnutls_x509_privkey_deinit(key);
	/* What MHD_OPTION_HTTPS_MEM_CERT/KEY end up calling. */
	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
	d = datum(t.server_cert);
	assert_int_equal(gnutls_certificate_set_x509_key_mem(cred, &d, &k, GNUTLS_X509_FMT_PEM), 0);
	d = datum(t.ca_cert);
	assert_int_equal(gnutls_certificate_set_x509_trust_mem(cred, &d, GNUTLS_X509_FMT_PEM), 1);
	gnutls_certificate_free_credentials(cred);

	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_crt_deinit(cli);
	tlsgen_release(&t);
}

static void fresh_each_time(void **state)
{
	struct tlsgen a, b;
	(void)state;
	assert_int_equal(tlsgen_make(&a, hosts, 1, "u", NULL, 1), 0);
	assert_int_equal(tlsgen_make(&b, hosts, 1, "u", NULL, 1), 0);
	assert_string_not_equal(a.ca_cert, b.ca_cert);
	assert_string_not_equal(a.server_key, b.server_key);
	tlsgen_release(&a);
	tlsgen_release(&b);
}

static void bad_arguments(void **state)
{
	static const char *const bad_host[] = { "local,host" };
	static const char *const empty_host[] = { "" };
	static const char *const inject[] = { "x,IP:1.2.3.4" };
	char long_cn[100];
	struct tlsgen t = { (char *)"untouched", NULL, NULL, NULL, NULL };
	(void)state;
	memset(long_cn, 'a', sizeof(long_cn) - 1);
	long_cn[sizeof(long_cn) - 1] = '\0';
	assert_int_equal(tlsgen_make(&t, hosts, 0, "u", NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, NULL, 1, "u", NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, bad_host, 1, "u", NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, empty_host, 1, "u", NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, inject, 1, "u", NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, hosts, 1, "", NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, hosts, 1, NULL, NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, hosts, 1, long_cn, NULL, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, hosts, 1, "u", long_cn, 1), -EINVAL);
	assert_int_equal(tlsgen_make(&t, hosts, 1, "u", NULL, 0), -EINVAL);
	assert_string_equal(t.ca_cert, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_names_and_purposes),
		cmocka_unit_test(gnutls_reads_them),
		cmocka_unit_test(fresh_each_time),
		cmocka_unit_test(bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
