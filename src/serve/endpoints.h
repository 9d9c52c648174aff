#ifndef SERVE_ENDPOINTS_H
#define SERVE_ENDPOINTS_H
/*
 * The running monitor's HTTP endpoints: /metrics (Prometheus text format),
 * /healthz, /readyz and /api/insights, served from a struct pipeline that
 * the caller owns and keeps alive until endpoints_stop(). The server is
 * owned by the returned handle.
 */
#include <stddef.h>
#include "serve/pipeline.h"

struct endpoints;

/* Starts serving on listen ("127.0.0.1:9101"; port 0 picks one). */
int endpoints_start(struct endpoints **out, const char *listen, struct pipeline *p,
		    char *err, size_t errlen);
/*
 * The same with the page at / and its API (serve/webui.h; borrowed, kept
 * alive by the caller until endpoints_stop()), which also guards
 * /api/insights when reads need a token.
 */
struct webui;
int endpoints_start_ui(struct endpoints **out, const char *listen, struct pipeline *p,
		       struct webui *ui, char *err, size_t errlen);
int endpoints_port(const struct endpoints *e);
void endpoints_stop(struct endpoints *e);

#endif
