/* Fuzz target for the CSV series reader (detect/series.c) and the detector
 * fed with whatever it parsed. */
#include <stdint.h>
#include <stdlib.h>
#include "detect/series.h"
#include "detect/uni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct series s;
	char err[256];

	if (series_parse((const char *)data, size, &s, err, sizeof(err)) == 0) {
		double *sc = malloc((s.n ? s.n : 1) * sizeof(double));
		uni_score_series(s.ts_ms, s.value, s.n, sc, NULL);
		for (size_t i = 0; i < s.n; i++)
			if (!(sc[i] >= 0 && sc[i] <= 1))
				abort();
		free(sc);
		series_release(&s);
	}
	return 0;
}
