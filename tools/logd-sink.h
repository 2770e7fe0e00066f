/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A log file of xshm-logd with its progress file: opening and recovering
 * after a crash, size-based rotation, and rolling back a failed write.
 */
#ifndef XSHM_TOOLS_LOGD_SINK_H
#define XSHM_TOOLS_LOGD_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "logd-state.h"

struct sink {
	char *path;		/* the log */
	char *state_path;	/* path + ".state" */
	int fd, state_fd;
	uint64_t max_size;	/* rotate before exceeding; 0: never */
	unsigned int keep;	/* rotated files kept: path.1 .. path.keep */
	uint64_t rotations;
	uint64_t truncations;	/* cuts seen (logrotate copytruncate) */
	struct logd_state st;	/* as on disk */
	bool had_state;		/* a progress file existed */
	uint64_t discarded;	/* bytes cut at open: written, not recorded */
};

/*
 * Open (create) path and its progress file, lock them against a second
 * daemon, and make the log agree with the progress file: bytes written
 * after the last recorded write are cut, since their records are still in
 * the ring.  Returns 0 or -errno (-EBUSY: locked by another daemon).
 */
int sink_open(struct sink *s, const char *path, uint64_t max_size,
	      unsigned int keep);
/* would appending len bytes exceed max_size (in a non-empty file)? */
bool sink_needs_rotation(const struct sink *s, uint64_t len);
/*
 * The log shorter than recorded (cut by logrotate's copytruncate): take
 * its size.  1 if it was cut, 0 if not, -errno.
 */
int sink_check_size(struct sink *s);
/*
 * path -> path.1 -> ... -> path.keep, start an empty log; 0 or -errno.
 * On failure the log being written stays open (possibly renamed).
 */
int sink_rotate(struct sink *s);
/* reopen path (moved away by an external log rotation): 0 or -errno */
int sink_reopen(struct sink *s);
/* a write failed: cut the log back to st.size and rewrite the state */
int sink_rollback(struct sink *s);
void sink_close(struct sink *s);

#endif /* XSHM_TOOLS_LOGD_SINK_H */
