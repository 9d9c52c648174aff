#ifndef CONF_WATCH_H
#define CONF_WATCH_H
/*
 * Notices that configuration files changed on disk, including a mounted
 * ConfigMap, whose files are symlinks through "..data" that the kubelet
 * swaps atomically (so a file's inode changes even when its mtime does
 * not). struct conf_watch owns a copy of the paths.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONF_WATCH_MAX 8

struct conf_watch {
	size_t n;
	char *path[CONF_WATCH_MAX];
	struct conf_seen {
		bool exists;
		dev_t dev;
		ino_t ino;
		off_t size;
		int64_t mtime_ns;
	} seen[CONF_WATCH_MAX];
};

/* Watches the files agent_config.yaml, model_config.yaml and prometheus.yaml of dir (those that exist or may appear). */
void conf_watch_init(struct conf_watch *w, const char *dir);
void conf_watch_release(struct conf_watch *w);
/* True when a file appeared, vanished or changed since the last call (or init); remembers the new state. */
bool conf_watch_changed(struct conf_watch *w);

#endif
