// SPDX-License-Identifier: GPL-2.0
/*
 * Unbind, rebind, rmmod and insmod while regions are open or mapped: the
 * kernel stays healthy, refused operations fail cleanly, and devices come
 * back with the same N and the same memory.  Changes global state: run it
 * after the other driver tests, with the module in $XSHM_MODULE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/userfaultfd.h>
#include <linux/xshm.h>

#include "kselftest_harness.h"
#include "xshm_pattern.h"
#include "xshm_sys.h"

#define MAX_DEVS	32

struct snapshot {
	int n;
	struct xshm_sysdev d[MAX_DEVS];
};

static void snap(struct snapshot *s)
{
	int i;

	s->n = 0;
	for (i = 0; i < 256 && s->n < MAX_DEVS; i++)
		if (xshm_sysdev_load(i, &s->d[s->n]))
			s->n++;
}

static bool same_devices(const struct snapshot *a, const struct snapshot *b)
{
	int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->d[i].index != b->d[i].index ||
		    strcmp(a->d[i].name, b->d[i].name) ||
		    a->d[i].phys != b->d[i].phys ||
		    a->d[i].size != b->d[i].size ||
		    a->d[i].offset != b->d[i].offset)
			return false;
	return true;
}

/* basename of the symlink at @path, into @out. */
static int link_name(const char *path, char *out, size_t len)
{
	char target[512];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return -1;
	target[n] = '\0';
	snprintf(out, len, "%s", basename(target));
	return 0;
}

static int delete_module(const char *name)
{
	return (int)syscall(SYS_delete_module, name, O_NONBLOCK);
}

static int load_module(void)
{
	const char *path = getenv("XSHM_MODULE");
	int fd, ret;

	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = (int)syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Touch @len bytes at @map in a child: it either sees @seed's pattern and
 * can write, or dies of SIGBUS/SIGSEGV.  Anything else is a failure.
 * Returns the child's status.
 */
static int touch_in_child(unsigned char *map, size_t len, uint64_t seed)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (pattern_check(map, len, seed, 0) != len)
			_exit(20);
		map[0] ^= 0xff;
		map[0] ^= 0xff;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool touch_ok(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 0;
	return WIFSIGNALED(status) &&
	       (WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGSEGV);
}

FIXTURE(mod)
{
	struct snapshot before;
	char pdev[64];		/* platform device of xshm0 */
	char driver[256];	/* its driver's sysfs directory */
	char module[64];	/* module name, for delete_module */
	uint64_t size;
};

FIXTURE_SETUP(mod)
{
	char drv[64];

	snap(&self->before);
	ASSERT_LT(0, self->before.n) TH_LOG("no xshm devices");
	ASSERT_EQ(0, self->before.d[0].index);
	self->size = self->before.d[0].size;
	ASSERT_EQ(0, link_name(XSHM_CLASS "/xshm0/device", self->pdev,
			       sizeof(self->pdev)));
	ASSERT_EQ(0, link_name(XSHM_CLASS "/xshm0/device/driver", drv,
			       sizeof(drv)));
	snprintf(self->driver, sizeof(self->driver),
		 "/sys/bus/platform/drivers/%s", drv);
	ASSERT_EQ(0, link_name(XSHM_CLASS "/xshm0/device/driver/module",
			       self->module, sizeof(self->module)));
	ASSERT_NE(NULL, getenv("XSHM_MODULE"));
}

FIXTURE_TEARDOWN(mod)
{
}

/* Unbinding while open and mapped: fd calls fail, the kernel survives. */
TEST_F(mod, unbind_while_open_and_mapped)
{
	struct xshm_region_info info = { .argsz = sizeof(info) };
	struct snapshot after;
	char path[512], buf[16];
	unsigned char *map;
	int fd, status;

	fd = open("/dev/xshm0", O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	pattern_fill(map, self->size, 11, 0);

	snprintf(path, sizeof(path), "%s/unbind", self->driver);
	ASSERT_EQ(0, sys_write(path, self->pdev));
	EXPECT_NE(0, access(XSHM_CLASS "/xshm0", F_OK));
	EXPECT_NE(0, access("/dev/xshm0", F_OK));

	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, ioctl(fd, XSHM_IOC_INFO, &info));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0));
	status = touch_in_child(map, self->size, 11);
	EXPECT_TRUE(touch_ok(status)) TH_LOG("child status 0x%x", status);
	munmap(map, self->size);
	close(fd);

	/* Bind again: same N, same memory (nothing scrubs it). */
	snprintf(path, sizeof(path), "%s/bind", self->driver);
	ASSERT_EQ(0, sys_write(path, self->pdev));
	snap(&after);
	EXPECT_TRUE(same_devices(&self->before, &after));
	fd = open("/dev/xshm0", O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(self->size, pattern_check(map, self->size, 11, 0));
	munmap(map, self->size);
	close(fd);
}

/* An open file pins the module: rmmod fails cleanly, or unloads safely. */
TEST_F(mod, rmmod_with_open_fd)
{
	char buf[16];
	int fd, ret;

	fd = open("/dev/xshm0", O_RDWR);
	ASSERT_LE(0, fd);
	ret = delete_module(self->module);
	if (ret == 0) {
		/* Unloaded under us: the file must fail, not crash. */
		EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), 0));
		close(fd);
		ASSERT_EQ(0, load_module());
	} else {
		EXPECT_TRUE(errno == EBUSY || errno == EAGAIN)
			TH_LOG("errno %d", errno);
		EXPECT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), 0));
		close(fd);
	}
	EXPECT_EQ(0, access("/dev/xshm0", F_OK));
}

/*
 * A mapping without its file descriptor: rmmod fails or succeeds, the
 * mapping stays safe, and after munmap the module unloads and reloads
 * with the same devices over the same memory.
 */
TEST_F(mod, rmmod_with_mapping_then_reload)
{
	struct snapshot after;
	unsigned char *map;
	int fd, ret, status;

	fd = open("/dev/xshm0", O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(fd);
	pattern_fill(map, self->size, 12, 0);

	ret = delete_module(self->module);
	if (ret)
		EXPECT_TRUE(errno == EBUSY || errno == EAGAIN)
			TH_LOG("errno %d", errno);
	status = touch_in_child(map, self->size, 12);
	EXPECT_TRUE(touch_ok(status)) TH_LOG("child status 0x%x", status);
	munmap(map, self->size);

	if (ret)
		ASSERT_EQ(0, delete_module(self->module)) TH_LOG("%m");
	EXPECT_NE(0, access(XSHM_CLASS, F_OK));
	EXPECT_NE(0, access("/dev/xshm0", F_OK));

	ASSERT_EQ(0, load_module());
	snap(&after);
	EXPECT_TRUE(same_devices(&self->before, &after));
	fd = open("/dev/xshm0", O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(self->size, pattern_check(map, self->size, 12, 0));
	munmap(map, self->size);
	close(fd);
}

TEST_F(mod, reload_keeps_numbers)
{
	struct snapshot after;
	int round;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, delete_module(self->module)) TH_LOG("%m");
		EXPECT_EQ(0, xshm_sysdev_count());
		ASSERT_EQ(0, load_module());
		snap(&after);
		ASSERT_TRUE(same_devices(&self->before, &after))
			TH_LOG("round %d: %d devices", round, after.n);
	}
}

/* Unbind every device, then rmmod: the order of teardown is free. */
TEST_F(mod, unbind_all_then_rmmod)
{
	struct snapshot after;
	char path[512], pdev[64], dev[64];
	int i;

	snprintf(path, sizeof(path), "%s/unbind", self->driver);
	for (i = 0; i < self->before.n; i++) {
		snprintf(dev, sizeof(dev), XSHM_CLASS "/xshm%d/device",
			 self->before.d[i].index);
		ASSERT_EQ(0, link_name(dev, pdev, sizeof(pdev)));
		ASSERT_EQ(0, sys_write(path, pdev));
	}
	EXPECT_EQ(0, xshm_sysdev_count());
	ASSERT_EQ(0, delete_module(self->module)) TH_LOG("%m");
	ASSERT_EQ(0, load_module());
	snap(&after);
	EXPECT_TRUE(same_devices(&self->before, &after));
}

/* Unbind, then rmmod, with only a mapping left: teardown in another order. */
TEST_F(mod, unbind_then_rmmod_while_mapped)
{
	struct snapshot after;
	char path[512];
	unsigned char *map;
	int fd, ret, status;

	fd = open("/dev/xshm0", O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(fd);
	pattern_fill(map, self->size, 13, 0);

	snprintf(path, sizeof(path), "%s/unbind", self->driver);
	ASSERT_EQ(0, sys_write(path, self->pdev));
	ret = delete_module(self->module);
	if (ret)
		EXPECT_TRUE(errno == EBUSY || errno == EAGAIN)
			TH_LOG("errno %d", errno);
	status = touch_in_child(map, self->size, 13);
	EXPECT_TRUE(touch_ok(status)) TH_LOG("child status 0x%x", status);
	munmap(map, self->size);
	if (ret)
		ASSERT_EQ(0, delete_module(self->module)) TH_LOG("%m");

	ASSERT_EQ(0, load_module());
	snap(&after);
	EXPECT_TRUE(same_devices(&self->before, &after));
}

/*
 * Unbind and bind again and again while another process reads, writes,
 * maps and queries the region: every call either works or fails with
 * ENODEV, and the kernel log stays clean (checked by the guest script).
 */
TEST_F(mod, unbind_rebind_under_load)
{
	char unbind[512], bind[512], buf[256];
	struct snapshot after;
	volatile int *rounds;
	int i, status;
	pid_t pid;

	snprintf(unbind, sizeof(unbind), "%s/unbind", self->driver);
	snprintf(bind, sizeof(bind), "%s/bind", self->driver);
	/* The child counts its rounds here, for the parent to see. */
	rounds = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rounds);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct xshm_region_info info;
		void *map;
		int fd = -1;

		for (i = 0; i < 200000; i++) {
			*rounds = i + 1;
			if (fd < 0) {
				fd = open("/dev/xshm0", O_RDWR);
				if (fd < 0)
					continue;	/* unbound just now */
			}
			info.argsz = sizeof(info);
			if ((pread(fd, buf, sizeof(buf), i % 4096) < 0 ||
			     pwrite(fd, buf, sizeof(buf), i % 4096) < 0 ||
			     ioctl(fd, XSHM_IOC_INFO, &info) < 0) &&
			    errno != ENODEV)
				_exit(10);
			map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
			if (map != MAP_FAILED)
				munmap(map, PAGE);
			else if (errno != ENODEV)
				_exit(11);
			if (i % 64 == 0) {
				close(fd);
				fd = -1;
			}
		}
		_exit(0);
	}
	while (!*rounds)
		usleep(1000);	/* start once the child is busy */
	for (i = 0; i < 30; i++) {
		if (sys_write(unbind, self->pdev) || sys_write(bind, self->pdev))
			break;
		usleep(2000);
	}
	EXPECT_EQ(30, i);
	TH_LOG("the other process did %d rounds of calls", *rounds);
	kill(pid, SIGTERM);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) || WTERMSIG(status) == SIGTERM)
		TH_LOG("status 0x%x", status);
	if (WIFEXITED(status))
		EXPECT_EQ(0, WEXITSTATUS(status));
	munmap((void *)rounds, PAGE);
	snap(&after);
	EXPECT_TRUE(same_devices(&self->before, &after));
}

/* A read() or write() whose user buffer faults into a userfaultfd. */
struct stalled {
	int fd;			/* the region */
	void *buf;		/* registered, never resolved until the end */
	bool write;
	ssize_t ret;
	int err;
};

static void *stalled_copy(void *arg)
{
	struct stalled *st = arg;

	st->ret = st->write ? pwrite(st->fd, st->buf, PAGE, 0) :
			      pread(st->fd, st->buf, PAGE, 0);
	st->err = errno;
	return NULL;
}

/* Wait up to @secs seconds for @pid: true if it exited with status 0. */
static bool child_done(pid_t pid, int secs)
{
	int status, i;

	for (i = 0; i < secs * 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status);
		usleep(100000);
	}
	return false;	/* left stuck in the kernel: the test failed */
}

/* Write @value to @path in a child: true if done within @secs seconds. */
static bool finishes(const char *path, const char *value, int secs)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(sys_write(path, value) ? 1 : 0);
	return child_done(pid, secs);
}

/* rmmod in a child: true if it returns within @secs seconds, refused. */
static bool rmmod_refused_at_once(const char *module, int secs)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(delete_module(module) && (errno == EBUSY ||
						 errno == EAGAIN) ? 0 : 1);
	return child_done(pid, secs);
}

/*
 * read() and write() whose user buffer stalls (a userfaultfd page no one
 * serves) hold nothing: another reader, unbind and bind go on meanwhile,
 * rmmod is refused at once (the file is open), and works after.
 */
static void stalled_user_copy(struct __test_metadata *_metadata,
			      FIXTURE_DATA(mod) *self, bool write)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_api api = { .api = UFFD_API };
	struct stalled st = { .write = write };
	char path[512], other[PAGE];
	struct snapshot after;
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t thread;
	int uffd, fd2;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %m");
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	st.buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st.buf);
	reg.range.start = (unsigned long)st.buf;
	reg.range.len = PAGE;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	st.fd = open("/dev/xshm0", O_RDWR);
	ASSERT_LE(0, st.fd);
	ASSERT_EQ(0, pthread_create(&thread, NULL, stalled_copy, &st));

	/* Wait until the copy is stuck on the page. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000)) TH_LOG("the copy did not fault");
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	EXPECT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* Others use the region meanwhile. */
	fd2 = open("/dev/xshm0", O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ((ssize_t)PAGE, pread(fd2, other, PAGE, 0));
	EXPECT_EQ((ssize_t)PAGE, pwrite(fd2, other, PAGE, 0));
	close(fd2);

	/* Unbind and bind do not wait for the stalled copy. */
	snprintf(path, sizeof(path), "%s/unbind", self->driver);
	EXPECT_TRUE(finishes(path, self->pdev, 10)) TH_LOG("unbind hung");
	snprintf(path, sizeof(path), "%s/bind", self->driver);
	EXPECT_TRUE(finishes(path, self->pdev, 10)) TH_LOG("bind hung");
	/* The open file holds the module: rmmod says so, and does not wait. */
	EXPECT_TRUE(rmmod_refused_at_once(self->module, 10))
		TH_LOG("rmmod hung or unloaded with a file open");

	/* Closing the userfaultfd lets the fault complete normally. */
	close(uffd);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ((ssize_t)PAGE, st.ret) TH_LOG("errno %d", st.err);
	close(st.fd);
	munmap(st.buf, PAGE);

	/* Afterwards the module unloads and comes back as before. */
	ASSERT_EQ(0, delete_module(self->module)) TH_LOG("rmmod: %m");
	ASSERT_EQ(0, load_module());
	snap(&after);
	EXPECT_TRUE(same_devices(&self->before, &after));
}

TEST_F(mod, stalled_read_blocks_nothing)
{
	stalled_user_copy(_metadata, self, false);
}

TEST_F(mod, stalled_write_blocks_nothing)
{
	stalled_user_copy(_metadata, self, true);
}

TEST_HARNESS_MAIN
