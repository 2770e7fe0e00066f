// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/xshm<N> as user space sees it, checked against the guest's device
 * tree: attributes, ioctl, uevent, permissions, read/write/llseek bounds
 * and mmap (shared only, parts by offset, nothing past the end, cacheable).
 * Runs on any tree; every well-formed node must have its device.  The mmap
 * tests take the regions mmap reaches whole (dt_shm_mappable); the others,
 * on kernels with pages larger than Xen's, are xshm_pagesize_test's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/xshm.h>

#include "kselftest_harness.h"
#include "xshm_dt.h"
#include "xshm_pattern.h"
#include "xshm_sys.h"

#define NOBODY		65534

FIXTURE(tree)
{
	struct dt_shm dt[DT_SHM_MAX];
	int n;		/* compatible nodes */
	int good;	/* of which well-formed */
};

FIXTURE_SETUP(tree)
{
	const char *order = getenv("XSHM_DT_ORDER");
	int i;

	self->n = dt_shm_load(self->dt, DT_SHM_MAX,
			      order ? order : "/etc/xshm/dt-order");
	ASSERT_LT(0, self->n);
	self->good = 0;
	for (i = 0; i < self->n; i++)
		self->good += !self->dt[i].bad;
	ASSERT_LT(0, self->good);
}

FIXTURE_TEARDOWN(tree)
{
}

static struct dt_shm *first_good(struct dt_shm *dt, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!dt[i].bad)
			return &dt[i];
	return NULL;
}

/* The first region mmap reaches whole (all of them with 4 KiB pages). */
static struct dt_shm *first_mappable(struct dt_shm *dt, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (dt_shm_mappable(&dt[i]))
			return &dt[i];
	return NULL;
}

static int open_dev(const struct dt_shm *s, int flags)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/xshm%d", s->order);
	return open(path, flags);
}

static unsigned int expected_flags(const struct dt_shm *s)
{
	return (s->has_id ? XSHM_INFO_HAS_ID : 0) |
	       (s->has_offset ? XSHM_INFO_HAS_OFFSET : 0) |
	       (s->no_map ? XSHM_INFO_NO_MAP : 0);
}

/* Each well-formed node is xshm<its DT position>, described as in the DT. */
TEST_F(tree, sysfs_matches_tree)
{
	struct xshm_sysdev d;
	struct dt_shm *s;
	char path[128];
	uint64_t flags;

	ASSERT_EQ(self->good, xshm_sysdev_count());
	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		ASSERT_TRUE(s->reg_ok);
		ASSERT_TRUE(xshm_sysdev_load(s->order, &d))
			TH_LOG("%s: no /sys/class/xshm/xshm%d", s->node,
			       s->order);
		EXPECT_STREQ(s->has_id ? s->id : "", d.name);
		EXPECT_EQ(s->base, d.phys);
		EXPECT_EQ(s->size, d.size);
		EXPECT_EQ(s->has_offset ? s->offset : 0, d.offset);
		snprintf(path, sizeof(path), XSHM_CLASS "/xshm%d/flags",
			 s->order);
		if (sys_read_u64(path, &flags))
			EXPECT_EQ(expected_flags(s), flags);
	}
}

TEST_F(tree, dev_node_root_only)
{
	unsigned int maj, min;
	int n;
	struct dt_shm *s;
	char path[64], buf[32];
	struct stat st;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		snprintf(path, sizeof(path), "/dev/xshm%d", s->order);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %m", path);
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0600, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
		EXPECT_EQ(0, st.st_gid);
		snprintf(path, sizeof(path), XSHM_CLASS "/xshm%d/dev",
			 s->order);
		ASSERT_EQ(0, sys_read_str(path, buf, sizeof(buf)));
		n = sscanf(buf, "%u:%u", &maj, &min);
		ASSERT_EQ(2, n);
		EXPECT_EQ(maj, major(st.st_rdev));
		EXPECT_EQ(min, minor(st.st_rdev));
	}
}

/* Where another domain's memory lies is for root only; the rest is 0444. */
TEST_F(tree, sysfs_modes)
{
	static const struct {
		const char *attr;
		unsigned int mode;
	} want[] = {
		{ "name", 0444 }, { "size", 0444 }, { "offset", 0444 },
		{ "flags", 0444 }, { "phys_addr", 0400 },
	};
	struct dt_shm *s = first_good(self->dt, self->n);
	char path[128];
	struct stat st;
	size_t i;

	ASSERT_NE(NULL, s);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		snprintf(path, sizeof(path), XSHM_CLASS "/xshm%d/%s", s->order,
			 want[i].attr);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %m", path);
		EXPECT_EQ(want[i].mode, st.st_mode & 07777) TH_LOG("%s", path);
	}
}

/* A user without privileges cannot open, even read-only. */
TEST_F(tree, nonroot_cannot_open)
{
	struct dt_shm *s;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(10);
		/* The user can open what is open to all, so EACCES means 0600. */
		if (open("/dev/null", O_RDWR) < 0)
			_exit(14);
		for (s = self->dt; s < self->dt + self->n; s++) {
			if (s->bad)
				continue;
			int fd = open_dev(s, O_RDONLY);

			if (fd >= 0)
				_exit(11);
			if (errno != EACCES)
				_exit(12);
			fd = open_dev(s, O_RDWR);
			if (fd >= 0 || errno != EACCES)
				_exit(13);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(tree, uevent_has_name)
{
	char path[128], buf[4096], want[600];
	struct dt_shm *s;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		snprintf(path, sizeof(path), XSHM_CLASS "/xshm%d/uevent",
			 s->order);
		ASSERT_EQ(0, sys_read_str(path, buf, sizeof(buf)));
		snprintf(want, sizeof(want), "DEVNAME=xshm%d\n", s->order);
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
		if (s->has_id) {
			snprintf(want, sizeof(want), "XSHM_NAME=%s", s->id);
			EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
		} else {
			EXPECT_EQ(NULL, strstr(buf, "XSHM_NAME="));
		}
	}
}

TEST_F(tree, ioctl_info)
{
	struct xshm_region_info info;
	struct dt_shm *s;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		memset(&info, 0xa5, sizeof(info));
		info.argsz = sizeof(info);
		ASSERT_EQ(0, ioctl(fd, XSHM_IOC_INFO, &info));
		EXPECT_EQ(sizeof(info), info.argsz);
		EXPECT_EQ(expected_flags(s), info.flags);
		EXPECT_EQ(s->size, info.size);
		EXPECT_EQ(s->base, info.phys_addr);
		EXPECT_EQ(s->has_offset ? s->offset : 0, info.offset);
		EXPECT_EQ(s->order, info.index);
		EXPECT_EQ(0, info.reserved);
		EXPECT_STREQ(s->has_id ? s->id : "", info.name);
		close(fd);
	}
}

/* Old callers (small argsz) are refused; newer ones get only what exists. */
TEST_F(tree, ioctl_info_argsz)
{
	struct {
		struct xshm_region_info info;
		unsigned char tail[64];
	} big;
	struct xshm_region_info info;
	struct dt_shm *s = first_good(self->dt, self->n);
	size_t i;
	int fd;

	ASSERT_NE(NULL, s);
	fd = open_dev(s, O_RDWR);
	ASSERT_LE(0, fd);

	memset(&info, 0, sizeof(info));
	info.argsz = XSHM_REGION_INFO_SIZE_VER0 - 1;
	EXPECT_EQ(-1, ioctl(fd, XSHM_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, info.size);

	memset(&big, 0x5a, sizeof(big));
	big.info.argsz = sizeof(big);
	ASSERT_EQ(0, ioctl(fd, XSHM_IOC_INFO, &big));
	EXPECT_EQ(sizeof(struct xshm_region_info), big.info.argsz);
	EXPECT_EQ(s->size, big.info.size);
	for (i = 0; i < sizeof(big.tail); i++)
		ASSERT_EQ(0x5a, big.tail[i]) TH_LOG("tail byte %zu written", i);

	EXPECT_EQ(-1, ioctl(fd, XSHM_IOC_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, XSHM_IOC_INFO_OLD, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(XSHM_IOC_MAGIC, 0x7f), &info));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

/*
 * XSHM_IOC_INFO is _IOWR; binaries built with the old _IO number (0xB900)
 * get the same answer.
 */
TEST_F(tree, ioctl_info_old_number)
{
	struct xshm_region_info new_info, old_info;
	struct dt_shm *s = first_good(self->dt, self->n);
	int fd;

	ASSERT_NE(NULL, s);
	EXPECT_EQ(0xB900u, (unsigned int)XSHM_IOC_INFO_OLD);
	EXPECT_EQ((unsigned int)_IOC_READ | _IOC_WRITE,
		  (unsigned int)_IOC_DIR(XSHM_IOC_INFO));
	EXPECT_EQ(XSHM_REGION_INFO_SIZE_VER0, _IOC_SIZE(XSHM_IOC_INFO));
	fd = open_dev(s, O_RDWR);
	ASSERT_LE(0, fd);
	memset(&new_info, 0, sizeof(new_info));
	memset(&old_info, 0xa5, sizeof(old_info));
	new_info.argsz = old_info.argsz = sizeof(new_info);
	ASSERT_EQ(0, ioctl(fd, XSHM_IOC_INFO, &new_info));
	ASSERT_EQ(0, ioctl(fd, XSHM_IOC_INFO_OLD, &old_info));
	EXPECT_EQ(0, memcmp(&new_info, &old_info, sizeof(new_info)));
	EXPECT_EQ(s->base, old_info.phys_addr);
	close(fd);
}

/*
 * A debugger reads and writes a mapped region: PTRACE_PEEKDATA and
 * PTRACE_POKEDATA from a tracer, and /proc/PID/mem, reach the mapping.
 */
TEST_F(tree, debugger_reads_mapping)
{
	struct dt_shm *s = first_mappable(self->dt, self->n);
	unsigned long *map, word = 0x0123456789abcdefUL;
	int fd, mem, status;
	long peek;
	pid_t pid;

	ASSERT_NE(NULL, s);
	fd = open_dev(s, O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[1] = word;

	/* /proc/self/mem goes through the same ->access as ptrace. */
	mem = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, mem);
	peek = 0;
	EXPECT_EQ((ssize_t)sizeof(peek),
		  pread(mem, &peek, sizeof(peek), (off_t)(uintptr_t)&map[1]))
		TH_LOG("/proc/self/mem: %m");
	EXPECT_EQ((long)word, peek);
	close(mem);

	/* The child stops; the parent, its tracer, peeks and pokes. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		_exit(map[2] == ~word ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status));
	errno = 0;
	peek = ptrace(PTRACE_PEEKDATA, pid, &map[1], NULL);
	EXPECT_EQ(0, errno) TH_LOG("PTRACE_PEEKDATA: %m");
	EXPECT_EQ((long)word, peek);
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, &map[2], (void *)~word))
		TH_LOG("PTRACE_POKEDATA: %m");
	EXPECT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(~word, map[2]);
	munmap(map, PAGE);
	close(fd);
}

/* Writes through the mapping are what read() returns, and vice versa. */
TEST_F(tree, mmap_shared_read_write)
{
	struct dt_shm *s;
	unsigned char *map, *buf;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map) TH_LOG("%s: %m", s->node);
		buf = malloc(s->size);
		ASSERT_NE(NULL, buf);

		pattern_fill(map, s->size, 1000 + s->order, 0);
		ASSERT_EQ((ssize_t)s->size, pread(fd, buf, s->size, 0));
		EXPECT_EQ(s->size, pattern_check(buf, s->size,
						 1000 + s->order, 0));

		pattern_fill(buf, s->size, 2000 + s->order, 0);
		ASSERT_EQ((ssize_t)s->size, pwrite(fd, buf, s->size, 0));
		EXPECT_EQ(s->size, pattern_check(map, s->size,
						 2000 + s->order, 0));
		free(buf);
		munmap(map, s->size);
		close(fd);
	}
}

/* A page-aligned part maps exactly that part of the region. */
TEST_F(tree, mmap_part_by_offset)
{
	unsigned char page[PAGE];
	struct dt_shm *s;
	uint64_t off;
	void *map;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		/* The last page, and the middle one. */
		for (off = s->size - PAGE;; off = (s->size / PAGE / 2) * PAGE) {
			pattern_fill(page, PAGE, 3000 + off, 0);
			ASSERT_EQ((ssize_t)PAGE, pwrite(fd, page, PAGE, off));
			map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, off);
			ASSERT_NE(MAP_FAILED, map);
			EXPECT_EQ(PAGE, pattern_check(map, PAGE, 3000 + off, 0))
				TH_LOG("%s at 0x%llx", s->node,
				       (unsigned long long)off);
			pattern_fill(map, PAGE, 4000 + off, 0);
			ASSERT_EQ((ssize_t)PAGE, pread(fd, page, PAGE, off));
			EXPECT_EQ(PAGE, pattern_check(page, PAGE, 4000 + off, 0));
			munmap(map, PAGE);
			if (off == (s->size / PAGE / 2) * PAGE)
				break;
		}
		close(fd);
	}
}

static void expect_mmap_refused(struct __test_metadata *_metadata, int fd,
				size_t len, off_t off, int flags)
{
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	EXPECT_EQ(MAP_FAILED, map)
		TH_LOG("len 0x%zx off 0x%llx flags 0x%x was mapped", len,
		       (unsigned long long)off, flags);
	if (map != MAP_FAILED)
		munmap(map, len);
	else
		EXPECT_TRUE(errno == EINVAL || errno == ENXIO ||
			    errno == EOVERFLOW) TH_LOG("errno %d", errno);
}

TEST_F(tree, mmap_past_end_refused)
{
	struct dt_shm *s;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		expect_mmap_refused(_metadata, fd, s->size + PAGE, 0, MAP_SHARED);
		expect_mmap_refused(_metadata, fd, PAGE, s->size, MAP_SHARED);
		expect_mmap_refused(_metadata, fd, 2 * PAGE, s->size - PAGE,
				    MAP_SHARED);
		expect_mmap_refused(_metadata, fd, PAGE, 1L << 40, MAP_SHARED);
		close(fd);
	}
}

TEST_F(tree, mmap_private_refused)
{
	struct dt_shm *s;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		expect_mmap_refused(_metadata, fd, s->size, 0, MAP_PRIVATE);
		expect_mmap_refused(_metadata, fd, PAGE, 0, MAP_PRIVATE);
		close(fd);
	}
}

/* Growing a mapping would reach past the region. */
TEST_F(tree, mremap_grow_refused)
{
	struct dt_shm *s;
	void *map, *big;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		big = mremap(map, s->size, s->size + PAGE, MREMAP_MAYMOVE);
		EXPECT_EQ(MAP_FAILED, big);
		munmap(big == MAP_FAILED ? map : big,
		       big == MAP_FAILED ? s->size : s->size + PAGE);
		close(fd);
	}
}

/* A read-only open cannot make a writable shared mapping. */
TEST_F(tree, readonly_open_maps_readonly)
{
	struct dt_shm *s;
	void *map;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDONLY);
		ASSERT_LE(0, fd);
		map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		EXPECT_EQ(MAP_FAILED, map);
		EXPECT_EQ(EACCES, errno);
		map = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		munmap(map, PAGE);
		EXPECT_EQ(-1, write(fd, "x", 1));
		EXPECT_EQ(EBADF, errno);
		close(fd);
	}
}

TEST_F(tree, read_write_bounded)
{
	unsigned char buf[64], back[64];
	struct dt_shm *s;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		pattern_fill(buf, sizeof(buf), 5000 + s->order, 0);
		/* Short at the end, nothing (read) or ENOSPC (write) past it. */
		EXPECT_EQ(16, pwrite(fd, buf, sizeof(buf), s->size - 16));
		EXPECT_EQ(16, pread(fd, back, sizeof(back), s->size - 16));
		EXPECT_EQ(0, memcmp(buf, back, 16));
		EXPECT_EQ(0, pread(fd, back, sizeof(back), s->size));
		EXPECT_EQ(0, pread(fd, back, sizeof(back), s->size + PAGE));
		EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), s->size));
		EXPECT_EQ(ENOSPC, errno);
		EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), s->size + PAGE));
		EXPECT_EQ(ENOSPC, errno);
		EXPECT_EQ(0, pwrite(fd, buf, 0, s->size));
		close(fd);
	}
}

TEST_F(tree, read_write_seek)
{
	unsigned char buf[100], back[100];
	struct dt_shm *s;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (s->bad)
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		EXPECT_EQ((off_t)s->size, lseek(fd, 0, SEEK_END));
		EXPECT_EQ((off_t)s->size - 10, lseek(fd, -10, SEEK_END));
		EXPECT_EQ(-1, lseek(fd, 1, SEEK_END));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, lseek(fd, -1, SEEK_SET));
		EXPECT_EQ(EINVAL, errno);

		/* Sequential I/O advances the file position. */
		pattern_fill(buf, sizeof(buf), 6000, 0);
		ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
		EXPECT_EQ(50, write(fd, buf, 50));
		EXPECT_EQ(50, write(fd, buf + 50, 50));
		EXPECT_EQ(100, lseek(fd, 0, SEEK_CUR));
		EXPECT_EQ(1, lseek(fd, 1, SEEK_SET));
		EXPECT_EQ(99, read(fd, back, 99));
		EXPECT_EQ(0, memcmp(buf + 1, back, 99));
		EXPECT_EQ(100, lseek(fd, 0, SEEK_CUR));
		close(fd);
	}
}

/* A second process's own mapping sees the same memory. */
TEST_F(tree, mmap_shared_between_processes)
{
	struct dt_shm *s;
	unsigned char *map;
	int fd, status;
	pid_t pid;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		memset(map, 0, s->size);

		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int cfd = open_dev(s, O_RDWR);
			void *cmap;

			if (cfd < 0)
				_exit(10);
			cmap = mmap(NULL, s->size, PROT_READ | PROT_WRITE,
				    MAP_SHARED, cfd, 0);
			if (cmap == MAP_FAILED)
				_exit(11);
			pattern_fill(cmap, s->size, 7000 + s->order, 0);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
		EXPECT_EQ(s->size, pattern_check(map, s->size,
						 7000 + s->order, 0));
		munmap(map, s->size);
		close(fd);
	}
}

/* Closing the file keeps the mapping; reopening sees what it wrote. */
TEST_F(tree, mapping_outlives_fd)
{
	unsigned char page[PAGE];
	struct dt_shm *s;
	unsigned char *map;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		close(fd);
		pattern_fill(map, PAGE, 8000 + s->order, 0);
		fd = open_dev(s, O_RDONLY);
		ASSERT_LE(0, fd);
		ASSERT_EQ((ssize_t)PAGE, pread(fd, page, PAGE, 0));
		EXPECT_EQ(PAGE, pattern_check(page, PAGE, 8000 + s->order, 0));
		close(fd);
		munmap(map, s->size);
	}
}

#ifdef __aarch64__
/* Zero one DC ZVA block at @p, if the CPU allows DC ZVA at all. */
static bool dc_zva(void *p)
{
	unsigned long dczid;

	asm volatile("mrs %0, dczid_el0" : "=r"(dczid));
	if (dczid & 16)		/* DZP: prohibited */
		return false;
	asm volatile("dc zva, %0" : : "r"(p) : "memory");
	return true;
}
#else
static bool dc_zva(void *p)
{
	(void)p;
	return false;
}
#endif

/*
 * Normal memory takes unaligned accesses and DC ZVA (which memset uses);
 * on hardware a Device mapping faults on both with SIGBUS.  QEMU's TCG
 * does not model that, hence also mapping_is_write_back below.
 */
TEST_F(tree, mapping_is_normal_memory)
{
	struct dt_shm *s;
	unsigned char *map;
	volatile uint64_t *u;
	size_t i;
	int fd;

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		memset(map, 0xff, s->size);
		if (dc_zva(map))
			EXPECT_EQ(0, map[0]);
		memset(map, 0, s->size);
		for (i = 0; i < s->size; i++)
			if (map[i])
				break;
		EXPECT_EQ(s->size, i);
		u = (volatile uint64_t *)(map + 3);
		*u = 0x1122334455667788ULL;
		EXPECT_EQ(0x1122334455667788ULL, *u);
		EXPECT_EQ(0x88, map[3]);
		munmap(map, s->size);
		close(fd);
	}
}

#define PTE_PROBE "/sys/kernel/debug/xshm_pte_probe"

/* Ask the test module how @addr is mapped in this process. */
static int pte_probe(const void *addr, unsigned long long *pfn, char *attr)
{
	char buf[128];
	ssize_t n;
	int fd;

	fd = open(PTE_PROBE, O_RDWR);
	if (fd < 0)
		return -1;
	n = dprintf(fd, "%p", addr);
	if (n > 0 && lseek(fd, 0, SEEK_SET) == 0)
		n = read(fd, buf, sizeof(buf) - 1);
	else
		n = -1;
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return sscanf(buf, "pfn=%llx attr=%31s", pfn, attr) == 2 ? 0 : -1;
}

static bool write_back(const char *attr)
{
	return !strcmp(attr, "normal") || !strcmp(attr, "normal-tagged");
}

/*
 * The page tables say it: user mappings are normal write-back memory (as
 * the other domain maps the pages), over the region's own pages.  Under
 * TCG an uncached mapping behaves like RAM, so this is the only proof.
 * Needs xshm_pte_probe.ko (selftests/driver/pte-probe), which run.sh loads.
 */
TEST_F(tree, mapping_is_write_back)
{
	unsigned long long pfn, want;
	volatile unsigned char *map;
	struct dt_shm *s;
	uint64_t page, pages;
	char attr[32];
	int fd;

	ASSERT_EQ(0, access(PTE_PROBE, F_OK)) TH_LOG("load xshm_pte_probe.ko");
	/* The probe itself: anonymous memory is normal write-back. */
	map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 1;
	ASSERT_EQ(0, pte_probe((const void *)map, &pfn, attr));
	ASSERT_STREQ("normal", attr);
	munmap((void *)map, PAGE);

	for (s = self->dt; s < self->dt + self->n; s++) {
		if (!dt_shm_mappable(s))
			continue;
		fd = open_dev(s, O_RDWR);
		ASSERT_LE(0, fd);
		pages = s->size / PAGE;
		map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		/* First, middle and next to last pages. */
		for (page = 0; page < pages; page += pages > 4 ? pages / 2 - 1 : 1) {
			(void)map[page * PAGE];
			ASSERT_EQ(0, pte_probe((const void *)(map + page * PAGE),
					       &pfn, attr));
			want = s->base / PAGE + page;
			EXPECT_EQ(want, pfn) TH_LOG("%s page %llu", s->node,
						    (unsigned long long)page);
			EXPECT_TRUE(write_back(attr))
				TH_LOG("%s page %llu is %s", s->node,
				       (unsigned long long)page, attr);
		}
		munmap((void *)map, s->size);

		/* A part mapped by offset starts at that page of the region. */
		map = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd,
			   (off_t)(s->size - PAGE));
		ASSERT_NE(MAP_FAILED, map);
		(void)map[0];
		ASSERT_EQ(0, pte_probe((const void *)map, &pfn, attr));
		EXPECT_EQ(s->base / PAGE + pages - 1, pfn);
		EXPECT_TRUE(write_back(attr)) TH_LOG("%s", attr);
		munmap((void *)map, PAGE);
		close(fd);
	}
}

TEST_HARNESS_MAIN
