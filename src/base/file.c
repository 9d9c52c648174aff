#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/file.h"
#include "base/mem.h"
#include "base/banned.h"

int file_write_fd(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd, err = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
	} else {
		if (fsync(fd) < 0 && errno != EINVAL)
			err = -errno;
		close(fd);
	}
	free(copy);
	return err;
}

int file_open_append(const char *path, int extra_flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra_flags, 0600);

	return fd < 0 ? -errno : fd;
}

int file_write_atomic(const char *path, const void *data, size_t len)
{
	return file_write_atomic_mode(path, data, len, 0600);
}

int file_write_atomic_mode(const char *path, const void *data, size_t len, unsigned mode)
{
	struct buf tmp = BUF_INIT;
	int fd, err;

	/*
	 * A random name created with O_EXCL (mkostemp, mode 0600): in a shared
	 * directory nobody can have put a file or a symlink there for us to
	 * write through, and nobody can read it before it is whole.
	 */
	buf_addf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = fchmod(fd, (mode_t)mode) < 0 ? -errno : 0;
	if (!err)
		err = file_write_fd(fd, data, len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp.data, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp.data);
	else
		err = fsync_dir_of(path);
out:
	buf_release(&tmp);
	return err;
}

int file_read_all(const char *path, size_t max, struct buf *out)
{
	struct buf b;
	char chunk[65536];
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf_init(&b, max);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		if ((err = buf_add(&b, chunk, (size_t)n)) != 0)
			break;
	}
	close(fd);
	if (err) {
		buf_release(&b);
		return err;
	}
	buf_add(&b, "", 0); /* a readable empty string for an empty file */
	buf_release(out);
	*out = b;
	return 0;
}

int file_mkdirs(const char *path)
{
	char *p = xstrdup(path);
	int err = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				err = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return err;
}
