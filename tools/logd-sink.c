// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A log file of xshm-logd with its progress file: opening and recovering
 * after a crash, size-based rotation, and rolling back a failed write.
 */
#define _GNU_SOURCE
#include "logd-sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * O_APPEND: after logrotate's copytruncate cut the file to 0, the next
 * write lands at its new end, not at the old offset (which would leave a
 * hole of NUL bytes).  sink_check_size() notices the cut.
 */
static int open_fd(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : fd;
}

static int open_log(struct sink *s)
{
	s->fd = open_fd(s->path);
	return s->fd < 0 ? s->fd : 0;
}

int sink_open(struct sink *s, const char *path, uint64_t max_size,
	      unsigned int keep)
{
	struct stat sb;
	int err;

	memset(s, 0, sizeof(*s));
	s->fd = s->state_fd = -1;
	s->max_size = max_size;
	s->keep = keep;
	s->path = strdup(path);
	if (!s->path || asprintf(&s->state_path, "%s.state", path) < 0) {
		s->state_path = NULL;
		return -ENOMEM;
	}
	s->state_fd = open(s->state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->state_fd < 0)
		return -errno;
	/* the progress file is ours alone: a second daemon would duplicate */
	if (flock(s->state_fd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	err = logd_state_load(s->state_fd, &s->st);
	if (err == -ENOENT || err == -EBADMSG)
		memset(&s->st, 0, sizeof(s->st));
	else if (err)
		return err;
	s->had_state = !err;
	err = open_log(s);
	if (err)
		return err;
	if (fstat(s->fd, &sb))
		return -errno;
	if (!s->had_state) {
		/* a log without progress: append after what is there */
		s->st.size = (uint64_t)sb.st_size;
	} else if ((uint64_t)sb.st_size > s->st.size) {
		/* a write completed but its progress was not recorded */
		s->discarded = (uint64_t)sb.st_size - s->st.size;
		if (ftruncate(s->fd, (off_t)s->st.size))
			return -errno;
	} else {
		/* rotated (or cut) since: continue at its end */
		s->st.size = (uint64_t)sb.st_size;
	}
	return logd_state_store(s->state_fd, &s->st);
}

bool sink_needs_rotation(const struct sink *s, uint64_t len)
{
	return s->max_size && s->st.size && s->st.size + len > s->max_size;
}

static int rotated_name(char *buf, size_t len, const char *path, unsigned int n)
{
	return snprintf(buf, len, "%s.%u", path, n) < (int)len ? 0 : -ENAMETOOLONG;
}

int sink_check_size(struct sink *s)
{
	struct stat sb;

	if (fstat(s->fd, &sb))
		return -errno;
	if ((uint64_t)sb.st_size >= s->st.size)
		return 0;
	/* cut behind our back (copytruncate): continue at its end */
	s->st.size = (uint64_t)sb.st_size;
	s->truncations++;
	return 1;
}

int sink_rotate(struct sink *s)
{
	char from[4096], to[4096];
	int err, fd;

	if (s->keep == 0) {
		if (unlink(s->path) && errno != ENOENT)
			return -errno;
	} else {
		/*
		 * Shift up by one only what is below the first free slot (or
		 * below path.keep, the oldest, which goes): a rotation that
		 * failed at its last rename left path.1 free, and its retry
		 * must not push older files out again.
		 */
		unsigned int top = s->keep;

		for (unsigned int i = 1; i < s->keep; i++) {
			err = rotated_name(to, sizeof(to), s->path, i);
			if (err)
				return err;
			if (access(to, F_OK) && errno == ENOENT) {
				top = i;
				break;
			}
		}
		for (unsigned int i = top; i >= 1; i--) {
			err = rotated_name(to, sizeof(to), s->path, i);
			if (err)
				return err;
			if (i == 1)
				snprintf(from, sizeof(from), "%s", s->path);
			else if ((err = rotated_name(from, sizeof(from), s->path, i - 1)))
				return err;
			if (rename(from, to) && errno != ENOENT)
				return -errno;
		}
	}
	/* the new file first: if it cannot be made, the old one goes on */
	fd = open_fd(s->path);
	if (fd < 0)
		return fd;
	close(s->fd);
	s->fd = fd;
	s->st.size = 0;
	s->rotations++;
	return logd_state_store(s->state_fd, &s->st);
}

int sink_reopen(struct sink *s)
{
	struct stat sb;
	int err;

	close(s->fd);
	s->fd = -1;
	err = open_log(s);
	if (err)
		return err;
	if (fstat(s->fd, &sb))
		return -errno;
	s->st.size = (uint64_t)sb.st_size;
	return logd_state_store(s->state_fd, &s->st);
}

int sink_rollback(struct sink *s)
{
	if (ftruncate(s->fd, (off_t)s->st.size))
		return -errno;
	return logd_state_store(s->state_fd, &s->st);
}

void sink_close(struct sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->state_fd >= 0)
		close(s->state_fd);
	free(s->path);
	free(s->state_path);
	s->fd = s->state_fd = -1;
	s->path = s->state_path = NULL;
}
