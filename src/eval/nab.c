#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "base/timeutil.h"
#include "conf/ynode.h"
#include "eval/nab.h"
#include "base/banned.h"

const char *const nab_profile_name[NAB_NPROFILES] = {
	"standard", "reward_low_FP_rate", "reward_low_FN_rate",
};

const struct nab_weights nab_profile_weights[NAB_NPROFILES] = {
	{ 1.0, 0.11, 1.0 },
	{ 1.0, 0.22, 1.0 },
	{ 1.0, 0.11, 2.0 },
};

size_t nab_probation(size_t n)
{
	size_t p = (size_t)floor(0.15 * (double)n);
	return p < 750 ? p : 750;
}

double nab_sigmoid(double y)
{
	if (y > 3.0)
		return -1.0;
	return 2.0 / (1.0 + exp(5.0 * y)) - 1.0;
}

/* Value of a detection at row i outside every window; w = last window ended
 * before i, or NULL. */
static double fp_value(const struct nab_weights *wt, const struct nab_window *w,
		       size_t i)
{
	double width;

	if (!w)
		return -wt->fp;
	width = (double)(w->r - w->l + 1);
	if (width <= 1.0)
		return -wt->fp;
	return wt->fp * nab_sigmoid((double)(i - w->r) / (width - 1.0));
}

static double tp_value(const struct nab_weights *wt, const struct nab_window *w,
		       size_t i)
{
	double width = (double)(w->r - w->l + 1);
	double y = -((double)(w->r - i) + 1.0) / width;

	return wt->tp * nab_sigmoid(y) / nab_sigmoid(-1.0);
}

static double score_at(const struct nab_file *f, size_t i)
{
	double a = f->score[i];
	return isnan(a) ? 0.0 : a;
}

void nab_score_file(const struct nab_file *f, enum nab_profile p, double theta,
		    struct nab_result *out)
{
	const struct nab_weights *wt = &nab_profile_weights[p];
	size_t prob = nab_probation(f->n), k = 0;
	const struct nab_window *last = NULL;
	struct nab_result r = { 0 };

	for (size_t w = 0; w < f->nwin; w++) {
		const struct nab_window *win = &f->win[w];
		if (win->r < prob || win->r >= f->n)
			continue;
		r.windows++;
		for (size_t i = win->l > prob ? win->l : prob; i <= win->r; i++) {
			if (score_at(f, i) >= theta) {
				r.raw += tp_value(wt, win, i);
				r.tp++;
				goto next;
			}
		}
		r.raw -= wt->fn;
next:;
	}
	for (size_t i = prob; i < f->n; i++) {
		while (k < f->nwin && f->win[k].r < i)
			last = &f->win[k++];
		if (k < f->nwin && f->win[k].l <= i)
			continue;       /* inside window k */
		if (score_at(f, i) >= theta) {
			r.raw += fp_value(wt, last, i);
			r.fp++;
		}
	}
	*out = r;
}

void nab_score_corpus(const struct nab_file *files, size_t nfiles,
		      enum nab_profile p, double theta, struct nab_result *out)
{
	struct nab_result sum = { 0 };

	for (size_t i = 0; i < nfiles; i++) {
		struct nab_result r;
		nab_score_file(&files[i], p, theta, &r);
		sum.raw += r.raw;
		sum.windows += r.windows;
		sum.tp += r.tp;
		sum.fp += r.fp;
	}
	*out = sum;
}

struct event { double score, delta; };

static int by_score_desc(const void *a, const void *b)
{
	double x = ((const struct event *)a)->score, y = ((const struct event *)b)->score;
	return x < y ? 1 : x > y ? -1 : 0;
}

void nab_optimise(const struct nab_file *files, size_t nfiles,
		  enum nab_profile p, double *theta, struct nab_result *out)
{
	const struct nab_weights *wt = &nab_profile_weights[p];
	struct event *ev = NULL;
	size_t nev = 0, cap = 0, nwin = 0, *rec = NULL, rcap = 0;
	double base, s, best, best_theta = 1.1;

	for (size_t fi = 0; fi < nfiles; fi++) {
		const struct nab_file *f = &files[fi];
		size_t prob = nab_probation(f->n), k = 0;
		const struct nab_window *last = NULL;

		for (size_t w = 0; w < f->nwin; w++) {
			const struct nab_window *win = &f->win[w];
			size_t nrec = 0;
			double runmax = -INFINITY, prev;
			if (win->r < prob || win->r >= f->n)
				continue;
			nwin++;
			/* Left-to-right records: the rows that become the earliest
			 * detection as the threshold falls. */
			for (size_t i = win->l > prob ? win->l : prob; i <= win->r; i++) {
				if (score_at(f, i) > runmax) {
					runmax = score_at(f, i);
					ARRAY_GROW(rec, rcap, nrec + 1);
					rec[nrec++] = i;
				}
			}
			prev = -wt->fn;
			while (nrec--) {
				double v = tp_value(wt, win, rec[nrec]);
				ARRAY_GROW(ev, cap, nev + 1);
				ev[nev].score = score_at(f, rec[nrec]);
				ev[nev++].delta = v - prev;
				prev = v;
			}
		}
		for (size_t i = prob; i < f->n; i++) {
			while (k < f->nwin && f->win[k].r < i)
				last = &f->win[k++];
			if (k < f->nwin && f->win[k].l <= i)
				continue;
			ARRAY_GROW(ev, cap, nev + 1);
			ev[nev].score = score_at(f, i);
			ev[nev++].delta = fp_value(wt, last, i);
		}
	}
	qsort(ev, nev, sizeof(*ev), by_score_desc);
	base = -wt->fn * (double)nwin;
	s = best = base;
	for (size_t i = 0; i < nev;) {
		double sc = ev[i].score;
		if (sc > 1.1) {         /* scores are in [0,1]; guard anyway */
			i++;
			continue;
		}
		while (i < nev && ev[i].score == sc)
			s += ev[i++].delta;
		if (s > best + 1e-12) {
			best = s;
			best_theta = sc;
		}
	}
	free(ev);
	free(rec);
	*theta = best_theta;
	nab_score_corpus(files, nfiles, p, best_theta, out);
}

double nab_normalise(double raw, size_t nwin, enum nab_profile p)
{
	const struct nab_weights *wt = &nab_profile_weights[p];
	double null = -wt->fn * (double)nwin, perfect = wt->tp * (double)nwin;

	if (nwin == 0)
		return 0.0;
	return 100.0 * (raw - null) / (perfect - null);
}

void nab_labels_release(struct nab_labels *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->name[i]);
		free(l->ts[i]);
	}
	free(l->name);
	free(l->nwin);
	free(l->ts);
	memset(l, 0, sizeof(*l));
}

int nab_labels_load(const char *path, struct nab_labels *out, char *err,
		    size_t errlen)
{
	struct ynode *root = NULL;
	struct nab_labels l = { 0 };
	size_t total = 0;
	int rc = ynode_parse_file(path, &root, err, errlen);

	if (rc < 0)
		return rc;
	rc = -EINVAL;
	if (!root || root->kind != YNODE_MAP) {
		snprintf(err, errlen, "%s: expected an object of file -> windows", path);
		goto out;
	}
	if (root->n > NAB_MAX_LABEL_FILES) {
		snprintf(err, errlen, "%s: more than %d files", path, NAB_MAX_LABEL_FILES);
		goto out;
	}
	l.name = xcalloc(root->n ? root->n : 1, sizeof(*l.name));
	l.nwin = xcalloc(root->n ? root->n : 1, sizeof(*l.nwin));
	l.ts = xcalloc(root->n ? root->n : 1, sizeof(*l.ts));
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *seq = root->items[i];
		if (seq->kind != YNODE_SEQ) {
			snprintf(err, errlen, "%s:%d:%d: expected a list of windows", path,
				 seq->line, seq->col);
			goto out;
		}
		total += seq->n;
		if (total > NAB_MAX_WINDOWS) {
			snprintf(err, errlen, "%s: more than %d windows", path, NAB_MAX_WINDOWS);
			goto out;
		}
		l.name[i] = xstrdup(root->keys[i]->scalar ? root->keys[i]->scalar : "");
		l.nwin[i] = seq->n;
		l.n = i + 1;
		l.ts[i] = seq->n ? xcalloc(seq->n, sizeof(*l.ts[i])) : NULL;
		for (size_t k = 0; k < seq->n; k++) {
			const struct ynode *pair = seq->items[k];
			if (pair->kind != YNODE_SEQ || pair->n != 2) {
				snprintf(err, errlen, "%s:%d:%d: a window is [start, end]", path,
					 pair->line, pair->col);
				goto out;
			}
			for (int e = 0; e < 2; e++) {
				const char *s = ynode_str(pair->items[e]);
				if (!s || time_parse(s, &l.ts[i][k][e]) < 0) {
					snprintf(err, errlen, "%s:%d:%d: bad timestamp", path,
						 pair->items[e]->line, pair->items[e]->col);
					goto out;
				}
			}
			if (l.ts[i][k][1] < l.ts[i][k][0]) {
				snprintf(err, errlen, "%s:%d:%d: window ends before it starts", path,
					 pair->line, pair->col);
				goto out;
			}
		}
	}
	*out = l;
	l = (struct nab_labels){ 0 };
	rc = 0;
out:
	nab_labels_release(&l);
	ynode_free(root);
	return rc;
}

long nab_labels_find(const struct nab_labels *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], name))
			return (long)i;
	return -1;
}

static long find_row(const int64_t *ts, size_t n, int64_t t)
{
	for (size_t i = 0; i < n; i++)
		if (ts[i] == t)
			return (long)i;
	return -1;
}

static int by_left(const void *a, const void *b)
{
	size_t x = ((const struct nab_window *)a)->l, y = ((const struct nab_window *)b)->l;
	return x < y ? -1 : x > y;
}

int nab_labels_windows(const struct nab_labels *l, size_t idx,
		       const int64_t *ts, size_t n, struct nab_window **out,
		       size_t *nout, char *err, size_t errlen)
{
	size_t m = l->nwin[idx];
	struct nab_window *w = m ? xcalloc(m, sizeof(*w)) : NULL;

	for (size_t k = 0; k < m; k++) {
		long a = find_row(ts, n, l->ts[idx][k][0]);
		long b = find_row(ts, n, l->ts[idx][k][1]);
		if (a < 0 || b < 0 || b < a) {
			char t[RFC3339_MAX];
			time_rfc3339(l->ts[idx][k][a < 0 ? 0 : 1], t);
			snprintf(err, errlen, "%s: window timestamp %s is not a row",
				 l->name[idx], t);
			free(w);
			return -ENOENT;
		}
		w[k].l = (size_t)a;
		w[k].r = (size_t)b;
	}
	if (m)
		qsort(w, m, sizeof(*w), by_left);
	for (size_t k = 1; k < m; k++) {
		if (w[k].l <= w[k - 1].r) {
			snprintf(err, errlen, "%s: windows overlap", l->name[idx]);
			free(w);
			return -EINVAL;
		}
	}
	*out = w;
	*nout = m;
	return 0;
}
