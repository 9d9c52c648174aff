#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/mem.h"
#include "eval/mvmetrics.h"
#include "base/banned.h"

struct ev {
	double s;
	long seg;       /* segment index, or -1 */
	size_t w;       /* points this event flags */
	int act;        /* a segment activation (PA%K) rather than a point */
};

static int by_s_desc(const void *a, const void *b)
{
	double x = ((const struct ev *)a)->s, y = ((const struct ev *)b)->s;
	return x < y ? 1 : x > y ? -1 : 0;
}

static double f1(double tp, double fp, double fn)
{
	return tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
}

static double sv(const double *s, size_t i)
{
	return isnan(s[i]) ? -INFINITY : s[i];
}

static int cmpd_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

void mv_metrics_compute(const double *score, const double *label, size_t n,
			struct mv_metrics *out)
{
	struct mv_metrics m;
	long *seg = xmalloc((n ? n : 1) * sizeof(long));
	size_t nseg = 0, npos = 0, *slen, *sstart;
	struct ev *ev = xmalloc((2 * n + 1) * sizeof(struct ev));
	double *tmp = xmalloc((n ? n : 1) * sizeof(double));

	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < n; i++) {
		if (label[i] != 0) {
			if (i == 0 || label[i - 1] == 0)
				nseg++;
			seg[i] = (long)nseg - 1;
			npos++;
		} else {
			seg[i] = -1;
		}
	}
	m.segments = nseg;
	slen = xcalloc(nseg + 1, sizeof(size_t));
	sstart = xcalloc(nseg + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		if (seg[i] >= 0 && !slen[seg[i]]++)
			sstart[seg[i]] = i;

	/* point-wise and event-wise, one sweep */
	for (size_t i = 0; i < n; i++)
		ev[i] = (struct ev){ sv(score, i), seg[i], 1, 0 };
	qsort(ev, n, sizeof(*ev), by_s_desc);
	{
		double tp = 0, fp = 0, found = 0;
		char *hit = xcalloc(nseg + 1, 1);
		for (size_t i = 0; i < n;) {
			double s0 = ev[i].s;
			while (i < n && ev[i].s == s0) {
				if (ev[i].seg >= 0) {
					tp++;
					if (!hit[ev[i].seg]) {
						hit[ev[i].seg] = 1;
						found++;
					}
				} else {
					fp++;
				}
				i++;
			}
			{
				double f = f1(tp, fp, (double)npos - tp);
				double p = tp / (tp + fp), r = nseg ? found / (double)nseg : 0;
				double ef = p + r > 0 ? 2 * p * r / (p + r) : 0;
				if (f > m.point_f1) {
					m.point_f1 = f;
					m.point_p = p;
					m.point_r = tp / (double)(npos ? npos : 1);
				}
				if (ef > m.event_f1)
					m.event_f1 = ef;
			}
		}
		free(hit);
	}

	/* PA%K: a segment becomes wholly positive at the threshold of its
	 * ceil(K% of its length)-th highest score (at least one point). */
	for (int K = 0; K <= 100; K++) {
		size_t ne = 0;
		double tp = 0, fp = 0, best = 0;
		char *act = xcalloc(nseg + 1, 1);
		size_t *flag = xcalloc(nseg + 1, sizeof(size_t));
		for (size_t i = 0; i < n; i++)
			ev[ne++] = (struct ev){ sv(score, i), seg[i], 1, 0 };
		for (size_t sgi = 0; sgi < nseg; sgi++) {
			size_t len = slen[sgi], need = (size_t)ceil((double)K * (double)len / 100.0);
			if (need < 1)
				need = 1;
			for (size_t k = 0; k < len; k++)
				tmp[k] = sv(score, sstart[sgi] + k);
			qsort(tmp, len, sizeof(double), cmpd_desc);
			ev[ne++] = (struct ev){ tmp[need - 1], (long)sgi, len, 1 };
		}
		qsort(ev, ne, sizeof(*ev), by_s_desc);
		for (size_t i = 0; i < ne;) {
			double s0 = ev[i].s;
			while (i < ne && ev[i].s == s0) {
				struct ev *e = &ev[i++];
				if (e->seg < 0) {
					fp++;
				} else if (e->act) {
					/* the rest of the segment turns positive */
					tp += (double)(slen[e->seg] - flag[e->seg]);
					flag[e->seg] = slen[e->seg];
					act[e->seg] = 1;
				} else if (!act[e->seg]) {
					tp++;
					flag[e->seg]++;
				}
			}
			if (f1(tp, fp, (double)npos - tp) > best)
				best = f1(tp, fp, (double)npos - tp);
		}
		m.pak_f1[K] = best;
		m.pak_auc += best / 101.0;
		free(act);
		free(flag);
	}
	*out = m;
	free(seg);
	free(slen);
	free(sstart);
	free(ev);
	free(tmp);
}

void mv_f1_at(const double *score, const double *label, size_t n, double theta,
	      double *point_f1, double *event_f1)
{
	double tp = 0, fp = 0, npos = 0, nseg = 0, found = 0, p, r;
	int in = 0, hit = 0;

	for (size_t i = 0; i < n; i++) {
		int flag = sv(score, i) >= theta;
		if (label[i] != 0) {
			if (!in) {
				nseg++;
				in = 1;
				hit = 0;
			}
			npos++;
			if (flag) {
				tp++;
				if (!hit) {
					hit = 1;
					found++;
				}
			}
		} else {
			in = 0;
			if (flag)
				fp++;
		}
	}
	*point_f1 = f1(tp, fp, npos - tp);
	p = tp + fp > 0 ? tp / (tp + fp) : 0;
	r = nseg > 0 ? found / nseg : 0;
	*event_f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
}
