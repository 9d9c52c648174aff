/* SVG plots and the HTML index written by `kubemend eval`. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/file.h"
#include "eval/plot.h"
#include "base/banned.h"

#define W 1000.0
#define H 260.0
#define PAD 30.0
#define MAXPTS 2000     /* points per polyline; longer series are thinned */

static void polyline(struct buf *b, const double *v, size_t n, double lo,
		     double hi, double top, double height, const char *colour)
{
	size_t step = n > MAXPTS ? (n + MAXPTS - 1) / MAXPTS : 1;

	buf_addf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1\" points=\"", colour);
	for (size_t i = 0; i < n; i += step) {
		/* the extreme of each thinned bucket, so spikes stay visible */
		double m = v[i];
		for (size_t k = i; k < i + step && k < n; k++)
			if (isfinite(v[k]) && (!isfinite(m) || fabs(v[k] - lo) > fabs(m - lo)))
				m = v[k];
		if (!isfinite(m))
			continue;
		buf_addf(b, "%.1f,%.1f ", PAD + (W - 2 * PAD) * (double)i / (double)(n > 1 ? n - 1 : 1),
			 top + height - height * (hi > lo ? (m - lo) / (hi - lo) : 0.5));
	}
	buf_adds(b, "\"/>\n");
}

static double xpos(size_t i, size_t n)
{
	return PAD + (W - 2 * PAD) * (double)i / (double)(n > 1 ? n - 1 : 1);
}

/* One file's plot: the series on top, the score below, windows shaded,
 * detections at theta as red ticks, the probationary period greyed. */
static int plot_file(const char *path, const char *name, const struct series *s,
		     const struct nab_file *f, double theta)
{
	struct buf b = BUF_INIT;
	double lo = INFINITY, hi = -INFINITY;
	size_t prob = nab_probation(s->n);
	int rc;

	for (size_t i = 0; i < s->n; i++) {
		if (isfinite(s->value[i])) {
			lo = fmin(lo, s->value[i]);
			hi = fmax(hi, s->value[i]);
		}
	}
	if (!isfinite(lo))
		lo = hi = 0;
	buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		 "font-family=\"sans-serif\" font-size=\"11\">\n", W, H);
	buf_adds(&b, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"30\" y=\"14\">");
	for (const char *p = name; *p; p++) {
		if (*p == '<' || *p == '>' || *p == '&')
			buf_addch(&b, '_');
		else
			buf_addch(&b, *p);
	}
	buf_addf(&b, " (threshold %.4f)</text>\n", theta);
	buf_addf(&b, "<rect x=\"%.1f\" y=\"20\" width=\"%.1f\" height=\"%.0f\" fill=\"#eee\"/>\n",
		 PAD, xpos(prob, s->n) - PAD, H - 40);
	for (size_t k = 0; k < f->nwin; k++)
		buf_addf(&b, "<rect x=\"%.1f\" y=\"20\" width=\"%.1f\" height=\"%.0f\" "
			 "fill=\"#f66\" fill-opacity=\"0.25\"/>\n", xpos(f->win[k].l, s->n),
			 fmax(1.0, xpos(f->win[k].r, s->n) - xpos(f->win[k].l, s->n)), H - 40);
	polyline(&b, s->value, s->n, lo, hi, 24, 140, "#1f5fa8");
	polyline(&b, f->score, s->n, 0, 1, 172, 60, "#2a8a2a");
	buf_addf(&b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#2a8a2a\" "
		 "stroke-dasharray=\"3,3\"/>\n", PAD, W - PAD, 232 - 60 * fmin(theta, 1.0),
		 232 - 60 * fmin(theta, 1.0));
	for (size_t i = prob; i < s->n; i++)
		if (f->score[i] >= theta)
			buf_addf(&b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"20\" y2=\"240\" stroke=\"red\"/>\n",
				 xpos(i, s->n), xpos(i, s->n));
	buf_adds(&b, "<text x=\"30\" y=\"254\">blue: value; green: anomaly score; red bands: "
		 "labelled windows; red lines: detections; grey: probationary period</text>\n</svg>\n");
	rc = file_write_atomic(path, b.data, b.len);
	buf_release(&b);
	return rc;
}

int evalplot_nab(const char *outdir, const char *const *names,
		 const struct series *s, const struct nab_file *f, size_t n,
		 double theta)
{
	struct buf idx = BUF_INIT, path = BUF_INIT;
	int rc = 0;

	buf_adds(&idx, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>kubemend eval nab"
		 "</title></head>\n<body><h1>kubemend eval nab</h1>\n");
	buf_addf(&idx, "<p>Corpus threshold (standard profile): %.6f</p>\n", theta);
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t l = strlen(names[i]);
		buf_reset(&path);
		buf_addf(&path, "%s/%.*s.svg", outdir, (int)(l > 4 ? l - 4 : l), names[i]);
		rc = plot_file(path.data, names[i], &s[i], &f[i], theta);
		buf_addf(&idx, "<h3>%.*s</h3>\n<img src=\"%.*s.svg\" alt=\"%.*s\">\n",
			 (int)l, names[i], (int)(l > 4 ? l - 4 : l), names[i], (int)l, names[i]);
	}
	buf_adds(&idx, "</body></html>\n");
	if (rc == 0) {
		buf_reset(&path);
		buf_addf(&path, "%s/index.html", outdir);
		rc = file_write_atomic(path.data, idx.data, idx.len);
	}
	buf_release(&idx);
	buf_release(&path);
	return rc;
}

/* Scores scaled to [0,1] by their 99.5th percentile, so one huge value does
 * not flatten the rest. */
static void scaled(const double *s, size_t n, double *out)
{
	double hi = 0;
	size_t cnt = 0;

	for (size_t i = 0; i < n; i++)
		if (isfinite(s[i]) && s[i] > hi)
			hi = s[i];
	/* a coarse percentile: halve the cap while fewer than 0.5% exceed it */
	for (int it = 0; it < 60 && hi > 0; it++) {
		cnt = 0;
		for (size_t i = 0; i < n; i++)
			cnt += s[i] > hi / 2;
		if ((double)cnt > 0.005 * (double)n)
			break;
		hi /= 2;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = hi > 0 && isfinite(s[i]) ? fmin(s[i] / hi, 1.0) : 0;
}

int evalplot_multi(const char *outdir, const char *machine, const double *lstm,
		   const double *pca, const double *label, size_t n)
{
	struct buf b = BUF_INIT, path = BUF_INIT;
	double *a = malloc((n ? n : 1) * sizeof(double)), *p = malloc((n ? n : 1) * sizeof(double));
	int rc;

	if (!a || !p) {
		free(a);
		free(p);
		return -ENOMEM;
	}
	scaled(lstm, n, a);
	scaled(pca, n, p);
	buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		 "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" "
		 "fill=\"white\"/>\n<text x=\"30\" y=\"14\">", W, H);
	for (const char *c = machine; *c; c++)
		buf_addch(&b, (*c == '<' || *c == '>' || *c == '&') ? '_' : *c);
	buf_adds(&b, ": anomaly scores on the test split</text>\n");
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		if (label[i] == 0)
			continue;
		while (j + 1 < n && label[j + 1] != 0)
			j++;
		buf_addf(&b, "<rect x=\"%.1f\" y=\"20\" width=\"%.1f\" height=\"%.0f\" fill=\"#f66\" "
			 "fill-opacity=\"0.3\"/>\n", xpos(i, n), fmax(1.0, xpos(j, n) - xpos(i, n)), H - 40);
		i = j;
	}
	polyline(&b, a, n, 0, 1, 24, 100, "#1f5fa8");
	polyline(&b, p, n, 0, 1, 132, 100, "#e07b00");
	buf_adds(&b, "<text x=\"30\" y=\"254\">blue: LSTM surprise; orange: PCA reconstruction "
		 "error (each scaled to its 99.5th percentile); red bands: labelled anomalies</text>\n"
		 "</svg>\n");
	buf_addf(&path, "%s/%s.svg", outdir, machine);
	rc = file_write_atomic(path.data, b.data, b.len);
	buf_release(&b);
	buf_release(&path);
	free(a);
	free(p);
	return rc;
}

int evalplot_multi_index(const char *outdir, const char *const *machines, size_t n,
			 const char *summary)
{
	struct buf b = BUF_INIT, path = BUF_INIT;
	int rc;

	buf_adds(&b, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>kubemend eval multi"
		 "</title></head>\n<body><h1>kubemend eval multi</h1>\n<pre>");
	for (const char *c = summary; *c; c++) {
		if (*c == '<')
			buf_adds(&b, "&lt;");
		else if (*c == '&')
			buf_adds(&b, "&amp;");
		else
			buf_addch(&b, *c);
	}
	buf_adds(&b, "</pre>\n");
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "<h3>%s</h3>\n<img src=\"%s.svg\" alt=\"%s\">\n", machines[i], machines[i],
			 machines[i]);
	buf_adds(&b, "</body></html>\n");
	buf_addf(&path, "%s/index.html", outdir);
	rc = file_write_atomic(path.data, b.data, b.len);
	buf_release(&b);
	buf_release(&path);
	return rc;
}
