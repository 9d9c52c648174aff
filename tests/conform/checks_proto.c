/* The wire protocol of kubemend's client (net/http.c under kube/client.c):
 * HTTP/2, negotiated by ALPN, with concurrent requests multiplexed on one
 * connection where the server offers it over TLS (kube-apiserver does);
 * HTTP/1.1 where it does not (the sim: libmicrohttpd has no HTTP/2). */
#include <stdio.h>
#include <string.h>
#include "conform.h"
#include "base/buf.h"
#include "kube/config.h"
#include "base/banned.h"

#define NCALLS 8

void checks_protocol(struct conform *c)
{
	static const char *const paths[] = { "/api", "/apis", "/version", "/api/v1/namespaces/default" };
	struct kube_client k;
	struct kube_call calls[NCALLS];
	char err[256];
	int v11 = 0, v2 = 0, other = 0, failed = 0;
	bool tls = !strncmp(c->cfg->server, "https://", 8);
	bool pass;

	/* a client of its own: the connections counted are this batch's alone */
	if (kube_client_init(&k, c->cfg, NULL, err, sizeof(err)) < 0) {
		result(c, "http.protocol", false, "kube_client_init: %s", err);
		return;
	}
	memset(calls, 0, sizeof(calls));
	for (int i = 0; i < NCALLS; i++) {
		calls[i].what = "protocol probe";
		calls[i].path = paths[i % 4];
	}
	kube_get_many(&k, calls, NCALLS, NCALLS, NULL, NULL);
	for (int i = 0; i < NCALLS; i++) {
		if (calls[i].rc < 0)
			failed++;
		else if (calls[i].version == 20)
			v2++;
		else if (calls[i].version == 11)
			v11++;
		else
			other++;
		buf_release(&calls[i].body);
	}
	/* kube-apiserver offers h2 over TLS: every answer in HTTP/2, on one
	 * connection (the batch waits for it rather than opening more). The
	 * sim offers only HTTP/1.1, over TLS or not. */
	if (c->real && tls)
		pass = !failed && v2 == NCALLS && k.http.connects == 1;
	else
		pass = !failed && v11 == NCALLS;
	result(c, "http.protocol", pass, "%d concurrent GETs over %s: %d in HTTP/2, %d in HTTP/1.1, %d other, "
	       "%d failed, on %lu connection(s)", NCALLS, tls ? "TLS" : "cleartext", v2, v11, other, failed,
	       k.http.connects);
	kube_client_release(&k);
}
