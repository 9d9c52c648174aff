#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "base/buf.h"
#include "base/file.h"
#include "eval/nabio.h"
#include "base/banned.h"

#define SCORE_FMT "%.6f"

void nabio_round_scores(double *score, size_t n)
{
	char t[64];

	for (size_t i = 0; i < n; i++) {
		double v = score[i];
		if (!(v >= 0))          /* NaN and negatives */
			v = 0;
		if (v > 1)
			v = 1;
		snprintf(t, sizeof(t), SCORE_FMT, v);
		score[i] = strtod(t, NULL);
	}
}

int nabio_write_scores(const char *path, const struct series *s,
		       const double *score)
{
	struct buf b = BUF_INIT;
	int rc = buf_adds(&b, "timestamp,value,anomaly_score\n");

	for (size_t i = 0; rc == 0 && i < s->n; i++) {
		double v = score[i];
		if (!(v >= 0))
			v = 0;
		if (v > 1)
			v = 1;
		if (isfinite(s->value[i]))
			rc = buf_addf(&b, "%s,%.15g," SCORE_FMT "\n", s->ts_text[i],
				      s->value[i], v);
		else
			rc = buf_addf(&b, "%s,," SCORE_FMT "\n", s->ts_text[i], v);
	}
	if (rc == 0)
		rc = file_write_atomic(path, b.data, b.len);
	buf_release(&b);
	return rc;
}
