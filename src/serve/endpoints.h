#ifndef SERVE_ENDPOINTS_H
#define SERVE_ENDPOINTS_H
/*
 * The running monitor's HTTP endpoints: /metrics (Prometheus text format),
 * /healthz, /readyz and /api/insights, served from a struct serve_source
 * (copied; its ctx stays the caller's and must live until endpoints_stop()).
 * The server is owned by the returned handle.
 */
#include <stddef.h>
#include "serve/source.h"

struct endpoints;

/* Starts serving on listen ("127.0.0.1:9101"; port 0 picks one). */
int endpoints_start(struct endpoints **out, const char *listen, const struct serve_source *src,
		    char *err, size_t errlen);
/*
 * The same with the page at / and its API (serve/webui.h; borrowed, kept
 * alive by the caller until endpoints_stop()), which also guards
 * /api/insights when reads need a token.
 */
struct webui;
int endpoints_start_ui(struct endpoints **out, const char *listen, const struct serve_source *src,
		       struct webui *ui, char *err, size_t errlen);
int endpoints_port(const struct endpoints *e);
void endpoints_stop(struct endpoints *e);

#endif
