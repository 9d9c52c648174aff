#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "detect/lstm.h"
#include "detect/unilstm.h"
#include "base/banned.h"

#define W 12            /* window */
#define HID 8
#define EVERY 2         /* one training step per EVERY samples */
#define LR 0.01

struct unilstm {
	struct lstm m;
	double win[W];
	size_t n, pos;
	double *grad, *am, *av, *ws;
	uint64_t steps;
};

struct unilstm *unilstm_new(uint64_t seed)
{
	static const struct lstm_shape sh = { 1, HID, 1, 1, W };
	struct unilstm *u = xcalloc(1, sizeof(*u));

	lstm_init(&u->m, &sh, seed);
	u->grad = xcalloc(u->m.np, sizeof(double));
	u->am = xcalloc(u->m.np, sizeof(double));
	u->av = xcalloc(u->m.np, sizeof(double));
	u->ws = xmalloc(lstm_workspace_size(&sh, W) * sizeof(double));
	return u;
}

void unilstm_free(struct unilstm *u)
{
	if (!u)
		return;
	lstm_release(&u->m);
	free(u->grad);
	free(u->am);
	free(u->av);
	free(u->ws);
	free(u);
}

double unilstm_step(struct unilstm *u, double v)
{
	double x[W], pred = 0, err = NAN;

	if (v > 10)
		v = 10;
	if (v < -10)
		v = -10;
	if (u->n >= W) {
		int train = (u->n % EVERY) == 0;
		for (size_t t = 0; t < W; t++)
			x[t] = u->win[(u->pos + t) % W];
		if (train)
			memset(u->grad, 0, u->m.np * sizeof(double));
		lstm_loss_grad(&u->m, x, W, &v, NULL, train ? u->grad : NULL, &pred, u->ws);
		err = fabs(pred - v);
		if (train) {
			double norm = 0, sc, lr;
			for (size_t k = 0; k < u->m.np; k++)
				norm += u->grad[k] * u->grad[k];
			norm = sqrt(norm);
			sc = norm > 1.0 ? 1.0 / norm : 1.0;
			u->steps++;
			lr = LR * sqrt(1 - pow(0.999, (double)u->steps)) / (1 - pow(0.9, (double)u->steps));
			for (size_t k = 0; k < u->m.np; k++) {
				double g = u->grad[k] * sc;
				u->am[k] = 0.9 * u->am[k] + 0.1 * g;
				u->av[k] = 0.999 * u->av[k] + 0.001 * g * g;
				u->m.p[k] -= lr * u->am[k] / (sqrt(u->av[k]) + 1e-8);
			}
		}
	}
	u->win[u->pos] = v;
	u->pos = (u->pos + 1) % W;
	u->n++;
	return err;
}
