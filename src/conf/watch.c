#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "conf/watch.h"
#include "base/mem.h"
#include "base/banned.h"

static const char *const files[] = { "agent_config.yaml", "model_config.yaml", "prometheus.yaml" };

static void look(const char *path, struct conf_seen *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) != 0)       /* follows the ConfigMap's symlinks */
		return;
	s->exists = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

void conf_watch_init(struct conf_watch *w, const char *dir)
{
	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && w->n < CONF_WATCH_MAX; i++) {
		size_t len = strlen(dir ? dir : ".") + strlen(files[i]) + 2;

		w->path[w->n] = xmalloc(len);
		snprintf(w->path[w->n], len, "%s/%s", dir ? dir : ".", files[i]);
		look(w->path[w->n], &w->seen[w->n]);
		w->n++;
	}
}

void conf_watch_release(struct conf_watch *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->path[i]);
	memset(w, 0, sizeof(*w));
}

bool conf_watch_changed(struct conf_watch *w)
{
	bool changed = false;

	for (size_t i = 0; i < w->n; i++) {
		struct conf_seen now;

		look(w->path[i], &now);
		if (now.exists != w->seen[i].exists || now.dev != w->seen[i].dev || now.ino != w->seen[i].ino ||
		    now.size != w->seen[i].size || now.mtime_ns != w->seen[i].mtime_ns) {
			w->seen[i] = now;
			changed = true;
		}
	}
	return changed;
}
