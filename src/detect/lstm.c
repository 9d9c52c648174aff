#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "detect/lstm.h"
#include "base/banned.h"

uint64_t lstm_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double lstm_uniform(uint64_t *state)
{
	return (double)(lstm_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

int lstm_shape_check(const struct lstm_shape *sh)
{
	if (sh->nin < 1 || sh->nin > LSTM_MAX_IN || sh->nhid < 1 || sh->nhid > LSTM_MAX_HID ||
	    sh->nlayers < 1 || sh->nlayers > LSTM_MAX_LAYERS || sh->nout < 1 ||
	    sh->nout > LSTM_MAX_IN || sh->window < 1 || sh->window > LSTM_MAX_WINDOW)
		return -EINVAL;
	return 0;
}

static size_t layer_in(const struct lstm_shape *sh, int l)
{
	return (size_t)(l == 0 ? sh->nin : sh->nhid);
}

size_t lstm_nparams(const struct lstm_shape *sh)
{
	size_t n = 0, H = (size_t)sh->nhid;

	for (int l = 0; l < sh->nlayers; l++)
		n += 4 * H * (layer_in(sh, l) + H) + 4 * H;
	return n + (size_t)sh->nout * H + (size_t)sh->nout;
}

int lstm_init(struct lstm *m, const struct lstm_shape *sh, uint64_t seed)
{
	size_t H = (size_t)sh->nhid, off = 0;
	uint64_t st = seed;

	if (lstm_shape_check(sh) < 0)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->sh = *sh;
	m->np = lstm_nparams(sh);
	m->p = xcalloc(m->np, sizeof(double));
	for (int l = 0; l < sh->nlayers; l++) {
		size_t K = layer_in(sh, l) + H;
		double r = 1.0 / sqrt((double)K);
		for (size_t i = 0; i < 4 * H * K; i++)
			m->p[off + i] = (2 * lstm_uniform(&st) - 1) * r;
		off += 4 * H * K;
		for (size_t i = 0; i < 4 * H; i++)
			m->p[off + i] = (i >= H && i < 2 * H) ? 1.0 : 0.0;
		off += 4 * H;
	}
	{
		double r = 1.0 / sqrt((double)H);
		for (size_t i = 0; i < (size_t)sh->nout * H; i++)
			m->p[off + i] = (2 * lstm_uniform(&st) - 1) * r;
	}
	m->feat = xcalloc((size_t)sh->nin, sizeof(char *));
	m->centre = xcalloc((size_t)sh->nin, sizeof(double));
	m->scale = xcalloc((size_t)sh->nin, sizeof(double));
	m->err_scale = xcalloc((size_t)sh->nout, sizeof(double));
	for (int i = 0; i < sh->nin; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%d", i);
		m->feat[i] = xstrdup(name);
		m->scale[i] = 1.0;
	}
	for (int j = 0; j < sh->nout; j++)
		m->err_scale[j] = 1.0;
	return 0;
}

void lstm_release(struct lstm *m)
{
	if (!m)
		return;
	if (m->feat)
		for (int i = 0; i < m->sh.nin; i++)
			free(m->feat[i]);
	free(m->feat);
	free(m->p);
	free(m->centre);
	free(m->scale);
	free(m->err_scale);
	free(m->cal_x);
	free(m->cal_y);
	memset(m, 0, sizeof(*m));
}

/*
 * Workspace per layer and step: the concatenated input [x; h_prev] (K),
 * the activated gates (4H) and the cell state (H); plus the hidden states
 * (H per step and layer) and backward temporaries.
 */
size_t lstm_workspace_size(const struct lstm_shape *sh, int T)
{
	size_t H = (size_t)sh->nhid, n = 0;

	for (int l = 0; l < sh->nlayers; l++)
		n += (size_t)T * (layer_in(sh, l) + H + 4 * H + 3 * H);
	/* backward: dh, dc, dgates, dx of a layer's input over all steps */
	return n + 2 * H + 4 * H + (size_t)T * (size_t)(sh->nin > sh->nhid ? sh->nin : sh->nhid) +
	       (size_t)T * H + H + (size_t)sh->nout;
}

static double sigm(double v)
{
	return 1.0 / (1.0 + exp(-v));
}

double lstm_loss_grad(const struct lstm *m, const double *x, int T,
		      const double *target, const unsigned char *mask,
		      double *grad, double *pred, double *ws)
{
	const struct lstm_shape *sh = &m->sh;
	size_t H = (size_t)sh->nhid, off = 0, L = (size_t)sh->nlayers;
	size_t woff[LSTM_MAX_LAYERS], boff[LSTM_MAX_LAYERS], hoff;
	double *cat[LSTM_MAX_LAYERS], *gate[LSTM_MAX_LAYERS], *cell[LSTM_MAX_LAYERS];
	double *hid[LSTM_MAX_LAYERS], *p = ws, loss = 0, *y, *dh, *dc, *dg, *din, *dhnext;
	int nt = 0;

	for (size_t l = 0; l < L; l++) {
		size_t K = layer_in(sh, (int)l) + H;
		woff[l] = off;
		off += 4 * H * K;
		boff[l] = off;
		off += 4 * H;
		cat[l] = p; p += (size_t)T * K;
		gate[l] = p; p += (size_t)T * 4 * H;
		cell[l] = p; p += (size_t)T * H;
		hid[l] = p; p += (size_t)T * H;
		p += (size_t)T * H;
	}
	hoff = off;
	dh = p; p += H;
	dc = p; p += H;
	dg = p; p += 4 * H;
	din = p; p += (size_t)T * (size_t)(sh->nin > sh->nhid ? sh->nin : sh->nhid);
	dhnext = p; p += (size_t)T * H;
	p += H;
	y = p;

	/* forward */
	for (size_t l = 0; l < L; l++) {
		size_t I = layer_in(sh, (int)l), K = I + H;
		const double *W = m->p + woff[l], *b = m->p + boff[l];
		for (int t = 0; t < T; t++) {
			double *c = cat[l] + (size_t)t * K, *g = gate[l] + (size_t)t * 4 * H;
			const double *in = l == 0 ? x + (size_t)t * I : hid[l - 1] + (size_t)t * H;
			memcpy(c, in, I * sizeof(double));
			if (t)
				memcpy(c + I, hid[l] + (size_t)(t - 1) * H, H * sizeof(double));
			else
				memset(c + I, 0, H * sizeof(double));
			for (size_t r = 0; r < 4 * H; r++) {
				const double *w = W + r * K;
				double s = b[r];
				for (size_t k = 0; k < K; k++)
					s += w[k] * c[k];
				g[r] = (r >= 2 * H && r < 3 * H) ? tanh(s) : sigm(s);
			}
			for (size_t j = 0; j < H; j++) {
				double cp = t ? cell[l][(size_t)(t - 1) * H + j] : 0.0;
				double cn = g[H + j] * cp + g[j] * g[2 * H + j];
				cell[l][(size_t)t * H + j] = cn;
				hid[l][(size_t)t * H + j] = g[3 * H + j] * tanh(cn);
			}
		}
	}
	{
		const double *hl = hid[L - 1] + (size_t)(T - 1) * H;
		const double *Wy = m->p + hoff, *by = Wy + (size_t)sh->nout * H;
		for (int j = 0; j < sh->nout; j++) {
			double s = by[j];
			for (size_t k = 0; k < H; k++)
				s += Wy[(size_t)j * H + k] * hl[k];
			y[j] = s;
			if (!mask || mask[j]) {
				loss += 0.5 * (s - target[j]) * (s - target[j]);
				nt++;
			}
		}
		if (pred)
			memcpy(pred, y, (size_t)sh->nout * sizeof(double));
		if (nt)
			loss /= nt;
	}
	if (!grad || !nt)
		return loss;

	/* backward through time */
	{
		const double *hl = hid[L - 1] + (size_t)(T - 1) * H;
		const double *Wy = m->p + hoff;
		double *gWy = grad + hoff, *gby = gWy + (size_t)sh->nout * H;
		/* dhnext holds dL/dh for every step of the layer being processed,
		 * as it arrives from the layer above (or the head). */
		memset(dhnext, 0, (size_t)T * H * sizeof(double));
		for (int j = 0; j < sh->nout; j++) {
			double dy;
			if (mask && !mask[j])
				continue;
			dy = (y[j] - target[j]) / nt;
			gby[j] += dy;
			for (size_t k = 0; k < H; k++) {
				gWy[(size_t)j * H + k] += dy * hl[k];
				dhnext[(size_t)(T - 1) * H + k] += dy * Wy[(size_t)j * H + k];
			}
		}
	}
	for (size_t li = L; li-- > 0;) {
		size_t I = layer_in(sh, (int)li), K = I + H;
		const double *W = m->p + woff[li];
		double *gW = grad + woff[li], *gb = grad + boff[li];
		memset(dh, 0, H * sizeof(double));
		memset(dc, 0, H * sizeof(double));
		for (int t = T - 1; t >= 0; t--) {
			const double *g = gate[li] + (size_t)t * 4 * H, *c = cat[li] + (size_t)t * K;
			double *dx = din + (size_t)t * I;
			for (size_t j = 0; j < H; j++) {
				double cn = cell[li][(size_t)t * H + j];
				double cp = t ? cell[li][(size_t)(t - 1) * H + j] : 0.0;
				double tc = tanh(cn);
				double dhj = dh[j] + dhnext[(size_t)t * H + j];
				double dcj = dc[j] + dhj * g[3 * H + j] * (1 - tc * tc);
				double gi = g[j], gf = g[H + j], gg = g[2 * H + j], go = g[3 * H + j];
				dg[j] = dcj * gg * gi * (1 - gi);
				dg[H + j] = dcj * cp * gf * (1 - gf);
				dg[2 * H + j] = dcj * gi * (1 - gg * gg);
				dg[3 * H + j] = dhj * tc * go * (1 - go);
				dc[j] = dcj * gf;
			}
			memset(dx, 0, I * sizeof(double));
			memset(dh, 0, H * sizeof(double));
			for (size_t r = 0; r < 4 * H; r++) {
				const double *w = W + r * K;
				double *gw = gW + r * K, d = dg[r];
				gb[r] += d;
				for (size_t k = 0; k < K; k++)
					gw[k] += d * c[k];
				for (size_t k = 0; k < I; k++)
					dx[k] += d * w[k];
				for (size_t k = 0; k < H; k++)
					dh[k] += d * w[I + k];
			}
		}
		/* the gradient for the layer below's hidden states */
		if (li > 0)
			memcpy(dhnext, din, (size_t)T * H * sizeof(double));
	}
	return loss;
}
