#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "detect/lstm_train.h"
#include "base/banned.h"

void lstm_train_defaults(struct lstm_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->epochs = 20;
	o->batch = 32;
	o->patience = 3;
	o->lr = 2e-3;
	o->clip = 1.0;
	o->val_frac = 0.1;
	o->stride = 1;
	o->seed = 1;
}

struct sample { size_t row; };  /* predicts row from the window before it */

/* Copies the window before row into win (T x nin) and the target into
 * tgt/mask; missing inputs become 0 (the normalised centre). */
static void fetch(const struct lstm_data *d, size_t row, int T, double *win,
		  double *tgt, unsigned char *mask, int nout)
{
	size_t nin = (size_t)d->nin;

	for (int t = 0; t < T; t++) {
		const double *src = d->x + (row - (size_t)T + (size_t)t) * nin;
		for (size_t k = 0; k < nin; k++)
			win[(size_t)t * nin + k] = isfinite(src[k]) ? src[k] : 0.0;
	}
	for (int j = 0; j < nout; j++) {
		double v = d->x[row * nin + (size_t)j];
		mask[j] = isfinite(v) ? 1 : 0;
		tgt[j] = mask[j] ? v : 0.0;
	}
}

int lstm_train(struct lstm *m, const struct lstm_data *d,
	       const struct lstm_train_opts *o, struct lstm_epoch *log,
	       int nlog, int *nepochs)
{
	const struct lstm_shape *sh = &m->sh;
	int T = sh->window, bad = 0, ep;
	size_t ntr = 0, nva = 0, cap_tr = 0, cap_va = 0, step = 0;
	struct sample *tr = NULL, *va = NULL;
	double *grad, *am, *av, *best, *ws, *win, *tgt, best_val = INFINITY;
	unsigned char *mask;
	uint64_t rng = o->seed ^ 0x5eedull;

	if (d->nin != sh->nin || sh->nout > sh->nin)
		return -EINVAL;
	for (size_t s = 0; s < d->nseq; s++) {
		size_t a = d->seq_start[s], b = d->seq_start[s + 1], len, cut;
		if (b <= a + (size_t)T)
			continue;
		len = b - a - (size_t)T;
		cut = a + (size_t)T + (size_t)((double)len * (1.0 - o->val_frac));
		for (size_t r = a + (size_t)T; r < b; r += o->stride ? o->stride : 1) {
			if (r < cut) {
				ARRAY_GROW(tr, cap_tr, ntr + 1);
				tr[ntr++].row = r;
			} else {
				ARRAY_GROW(va, cap_va, nva + 1);
				va[nva++].row = r;
			}
		}
	}
	if (!ntr) {
		free(tr);
		free(va);
		return -EINVAL;
	}
	grad = xcalloc(m->np, sizeof(double));
	am = xcalloc(m->np, sizeof(double));
	av = xcalloc(m->np, sizeof(double));
	best = xmalloc(m->np * sizeof(double));
	memcpy(best, m->p, m->np * sizeof(double));
	ws = xmalloc(lstm_workspace_size(sh, T) * sizeof(double));
	win = xmalloc((size_t)T * (size_t)sh->nin * sizeof(double));
	tgt = xmalloc((size_t)sh->nout * sizeof(double));
	mask = xmalloc((size_t)sh->nout);

	for (ep = 0; ep < o->epochs; ep++) {
		size_t n = ntr, done = 0;
		double tl = 0, vl = 0;
		struct lstm_epoch e;
		/* Fisher-Yates with the seeded generator */
		for (size_t i = ntr; i > 1; i--) {
			size_t j = (size_t)(lstm_rand(&rng) % i);
			struct sample t = tr[i - 1];
			tr[i - 1] = tr[j];
			tr[j] = t;
		}
		if (o->max_windows && n > o->max_windows)
			n = o->max_windows;
		for (size_t b0 = 0; b0 < n; b0 += (size_t)o->batch) {
			size_t b1 = b0 + (size_t)o->batch < n ? b0 + (size_t)o->batch : n;
			double norm = 0, sc, lr_t;
			memset(grad, 0, m->np * sizeof(double));
			for (size_t i = b0; i < b1; i++) {
				fetch(d, tr[i].row, T, win, tgt, mask, sh->nout);
				tl += lstm_loss_grad(m, win, T, tgt, mask, grad, NULL, ws);
			}
			for (size_t k = 0; k < m->np; k++) {
				grad[k] /= (double)(b1 - b0);
				norm += grad[k] * grad[k];
			}
			norm = sqrt(norm);
			sc = (o->clip > 0 && norm > o->clip) ? o->clip / norm : 1.0;
			step++;
			lr_t = o->lr * sqrt(1 - pow(0.999, (double)step)) / (1 - pow(0.9, (double)step));
			for (size_t k = 0; k < m->np; k++) {
				double g = grad[k] * sc;
				am[k] = 0.9 * am[k] + 0.1 * g;
				av[k] = 0.999 * av[k] + 0.001 * g * g;
				m->p[k] -= lr_t * am[k] / (sqrt(av[k]) + 1e-8);
			}
			done = b1;
			if (o->progress)
				o->progress(o->ctx, ep + 1, done, n, tl / (double)done);
		}
		tl /= (double)n;
		for (size_t i = 0; i < nva; i++) {
			fetch(d, va[i].row, T, win, tgt, mask, sh->nout);
			vl += lstm_loss_grad(m, win, T, tgt, mask, NULL, NULL, ws);
		}
		vl = nva ? vl / (double)nva : tl;
		e.epoch = ep + 1;
		e.train_loss = tl;
		e.val_loss = vl;
		e.best = vl < best_val;
		if (e.best) {
			best_val = vl;
			memcpy(best, m->p, m->np * sizeof(double));
			bad = 0;
		} else {
			bad++;
		}
		if (log && ep < nlog)
			log[ep] = e;
		if (o->epoch_done)
			o->epoch_done(o->ctx, &e);
		if (bad >= o->patience) {
			ep++;
			break;
		}
	}
	memcpy(m->p, best, m->np * sizeof(double));
	/* typical absolute error per output on the held-back windows */
	{
		struct sample *set = nva ? va : tr;
		size_t ns = nva ? nva : ntr;
		double *pred = xmalloc((size_t)sh->nout * sizeof(double));
		double *sum = xcalloc((size_t)sh->nout, sizeof(double));
		size_t *cnt = xcalloc((size_t)sh->nout, sizeof(size_t));
		for (size_t i = 0; i < ns; i++) {
			fetch(d, set[i].row, T, win, tgt, mask, sh->nout);
			lstm_loss_grad(m, win, T, tgt, mask, NULL, pred, ws);
			for (int j = 0; j < sh->nout; j++)
				if (mask[j]) {
					sum[j] += fabs(pred[j] - tgt[j]);
					cnt[j]++;
				}
		}
		for (int j = 0; j < sh->nout; j++)
			m->err_scale[j] = cnt[j] && sum[j] > 0 ? fmax(sum[j] / (double)cnt[j], 1e-6) : 1.0;
		free(pred);
		free(sum);
		free(cnt);
	}
	if (nepochs)
		*nepochs = ep;
	free(tr);
	free(va);
	free(grad);
	free(am);
	free(av);
	free(best);
	free(ws);
	free(win);
	free(tgt);
	free(mask);
	return 0;
}

double lstm_surprise(const struct lstm *m, const double *window, int T,
		     const double *next, double *ws)
{
	double pred[LSTM_MAX_IN], s = 0;
	int n = 0;

	lstm_loss_grad(m, window, T, next, NULL, NULL, pred, ws);
	for (int j = 0; j < m->sh.nout; j++) {
		double e;
		if (!isfinite(next[j]))
			continue;
		e = (pred[j] - next[j]) / m->err_scale[j];
		s += e * e;
		n++;
	}
	return n ? s / n : 0.0;
}
