#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "base/banned.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level min_level = LOG_INFO;
static int to_stderr = 1;
static FILE *log_file;
static char *log_path;
static size_t log_max;
static size_t log_size;

/* Components whose lines go to a file of their own (log_route). */
#define LOG_ROUTES 4
static struct route {
	char component[32];
	FILE *f;
	char *path;
	size_t max, size;
} routes[LOG_ROUTES];

int log_level_parse(const char *s, enum log_level *out)
{
	static const struct { const char *name; enum log_level lvl; } t[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warn", LOG_WARN },
		{ "warning", LOG_WARN }, { "error", LOG_ERROR }, { "off", LOG_OFF },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (s && strcmp(s, t[i].name) == 0) {
			*out = t[i].lvl;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

void log_set_stderr(int enabled)
{
	to_stderr = enabled;
}

/* fopen(path, "a"), but a new file is 0600: log lines quote event text from the cluster. */
static FILE *open_log(const char *path)
{
	int fd = file_open_append(path, 0);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}

int log_open(const char *path, size_t max_bytes)
{
	FILE *f = open_log(path);
	struct stat st;

	if (!f)
		return -errno;
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	free(log_path);
	log_file = f;
	log_path = xstrdup(path);
	log_max = max_bytes;
	log_size = fstat(fileno(f), &st) == 0 ? (size_t)st.st_size : 0;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int log_route(const char *component, const char *path, size_t max_bytes)
{
	FILE *f;
	struct stat st;
	int slot = -1;

	if (strlen(component) >= sizeof(routes[0].component))
		return -EINVAL;
	f = open_log(path);
	if (!f)
		return -errno;
	pthread_mutex_lock(&log_lock);
	for (int i = 0; i < LOG_ROUTES && slot < 0; i++)
		if (!routes[i].f || !strcmp(routes[i].component, component))
			slot = i;
	if (slot < 0) {
		pthread_mutex_unlock(&log_lock);
		fclose(f);
		return -ENOSPC;
	}
	if (routes[slot].f)
		fclose(routes[slot].f);
	free(routes[slot].path);
	snprintf(routes[slot].component, sizeof(routes[slot].component), "%s", component);
	routes[slot].f = f;
	routes[slot].path = xstrdup(path);
	routes[slot].max = max_bytes;
	routes[slot].size = fstat(fileno(f), &st) == 0 ? (size_t)st.st_size : 0;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
	for (int i = 0; i < LOG_ROUTES; i++) {
		if (routes[i].f)
			fclose(routes[i].f);
		free(routes[i].path);
		memset(&routes[i], 0, sizeof(routes[i]));
	}
	pthread_mutex_unlock(&log_lock);
}

static int needs_quote(const char *v)
{
	if (!*v)
		return 1;
	for (; *v; v++)
		if (*v <= ' ' || *v == '"' || *v == '=' || *v == '\\' || *v == 0x7f)
			return 1;
	return 0;
}

void logfmt_pair(struct buf *line, const char *key, const char *value)
{
	if (line->len)
		buf_addch(line, ' ');
	buf_adds(line, key);
	buf_addch(line, '=');
	if (needs_quote(value))
		buf_add_json_str(line, value);
	else
		buf_adds(line, value);
}

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_DEBUG: return "debug";
	case LOG_INFO: return "info";
	case LOG_WARN: return "warn";
	case LOG_ERROR: return "error";
	default: return "off";
	}
}

static void rotate_locked(FILE **file, const char *path, size_t max, size_t *size)
{
	struct buf old = BUF_INIT;

	if (!*file || !max || *size < max)
		return;
	fclose(*file);
	buf_addf(&old, "%s.1", path);
	rename(path, old.data);
	buf_release(&old);
	*file = open_log(path);
	*size = 0;
}

static void write_locked(FILE **file, const char *path, size_t max, size_t *size,
			 const struct buf *line)
{
	if (!*file)
		return;
	fwrite(line->data, 1, line->len, *file);
	fflush(*file);
	*size += line->len;
	rotate_locked(file, path, max, size);
}

void log_kv(enum log_level lvl, const char *component, const char *msg, ...)
{
	struct buf line = BUF_INIT;
	char ts[RFC3339_MAX];
	va_list ap;
	const char *k;

	if (lvl < min_level || lvl >= LOG_OFF)
		return;
	time_rfc3339_ms(time_real_ms(), ts);
	logfmt_pair(&line, "time", ts);
	logfmt_pair(&line, "level", level_name(lvl));
	logfmt_pair(&line, "component", component ? component : "kubemend");
	logfmt_pair(&line, "msg", msg ? msg : "");
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		if (v)
			logfmt_pair(&line, k, v);
	}
	va_end(ap);
	buf_addch(&line, '\n');

	pthread_mutex_lock(&log_lock);
	if (to_stderr)
		fwrite(line.data, 1, line.len, stderr);
	{
		struct route *r = NULL;
		for (int i = 0; i < LOG_ROUTES && !r; i++)
			if (routes[i].f && component && !strcmp(routes[i].component, component))
				r = &routes[i];
		if (r)
			write_locked(&r->f, r->path, r->max, &r->size, &line);
		else
			write_locked(&log_file, log_path, log_max, &log_size, &line);
	}
	pthread_mutex_unlock(&log_lock);
	buf_release(&line);
}
