// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening regions: by path (plain and tmpfs files), by spec, by device
 * index and by xen,id name.  The driver is not loaded on a test machine, so
 * every driver lookup must fail cleanly with -ENOENT.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "xshm_test.h"

#define REGION_SIZE (64u * 1024u)

/* Does a write into addr kill a child process with SIGSEGV/SIGBUS? */
static int write_faults(volatile uint8_t *addr)
{
	int status;
	pid_t pid = test_fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* the default action, even under a sanitizer's handler */
		struct sigaction sa = { .sa_handler = SIG_DFL };

		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		*addr = 0x5a;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) &&
	       (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS);
}

TEST(create_sizes_and_names_a_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct stat st;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	ASSERT_NE(NULL, r);
	EXPECT_NE(NULL, xshm_region_base(r));
	EXPECT_EQ((size_t)REGION_SIZE, xshm_region_size(r));
	EXPECT_STREQ(path, xshm_region_name(r));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ((off_t)REGION_SIZE, st.st_size);
	xshm_region_close(r);
	unlink(path);
}

TEST(create_makes_a_missing_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct stat st;

	ASSERT_EQ(0, test_tmp_file(path));
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
					   &r));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ((off_t)REGION_SIZE, st.st_size);
	xshm_region_close(r);
	unlink(path);
}

TEST(open_existing_file_maps_its_size)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	int fd;

	ASSERT_EQ(0, test_tmp_file(path));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 3 * 4096));
	close(fd);
	ASSERT_EQ(0, xshm_region_open_path(path, 0, 0, &r));
	EXPECT_EQ((size_t)3 * 4096, xshm_region_size(r));
	xshm_region_close(r);
	unlink(path);
}

TEST(create_extends_a_short_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct stat st;
	int fd;

	ASSERT_EQ(0, test_tmp_file(path));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4096));
	close(fd);
	ASSERT_EQ(0, xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
					   &r));
	EXPECT_EQ((size_t)REGION_SIZE, xshm_region_size(r));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ((off_t)REGION_SIZE, st.st_size);
	xshm_region_close(r);
	unlink(path);
}

TEST(create_keeps_a_longer_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	struct stat st;
	int fd;

	ASSERT_EQ(0, test_tmp_file(path));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * REGION_SIZE));
	close(fd);
	ASSERT_EQ(0, xshm_region_open_path(path, XSHM_OPEN_CREATE, REGION_SIZE,
					   &r));
	/* never shrunk: that would cut a peer's data off */
	EXPECT_EQ((size_t)2 * REGION_SIZE, xshm_region_size(r));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ((off_t)2 * REGION_SIZE, st.st_size);
	xshm_region_close(r);
	unlink(path);
}

TEST(missing_file_without_create_is_enoent)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;

	ASSERT_EQ(0, test_tmp_file(path));
	ASSERT_EQ(0, unlink(path));
	EXPECT_EQ(-ENOENT, xshm_region_open_path(path, 0, 0, &r));
	EXPECT_EQ(-ENOENT, xshm_region_open(path, 0, 0, &r));
	/* nothing was created behind our back */
	EXPECT_EQ(-1, access(path, F_OK));
}

TEST(create_with_size_zero_is_einval)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;

	ASSERT_EQ(0, test_tmp_file(path));
	EXPECT_EQ(-EINVAL, xshm_region_open_path(path, XSHM_OPEN_CREATE, 0, &r));
	unlink(path);
}

/* An empty file holds no region at all. */
TEST(empty_file_is_enodata)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;

	ASSERT_EQ(0, test_tmp_file(path));
	EXPECT_EQ(-ENODATA, xshm_region_open_path(path, 0, 0, &r));
	EXPECT_EQ(-ENODATA, xshm_region_open(path, 0, 0, &r));
	unlink(path);
}

TEST(bad_arguments_are_einval)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;

	ASSERT_EQ(0, test_tmp_file(path));
	/* size without CREATE, CREATE of a read-only map, unknown flags */
	EXPECT_EQ(-EINVAL, xshm_region_open_path(path, 0, 4096, &r));
	EXPECT_EQ(-EINVAL, xshm_region_open_path(path, XSHM_OPEN_CREATE |
						 XSHM_OPEN_RDONLY, 4096, &r));
	EXPECT_EQ(-EINVAL, xshm_region_open_path(path, 0x80, 0, &r));
	EXPECT_EQ(-EINVAL, xshm_region_open_path(NULL, 0, 0, &r));
	EXPECT_EQ(-EINVAL, xshm_region_open("", 0, 0, &r));
	/* devices and names cannot be created */
	EXPECT_EQ(-EINVAL, xshm_region_open_index(0, XSHM_OPEN_CREATE, &r));
	EXPECT_EQ(-EINVAL, xshm_region_open_name("x", XSHM_OPEN_CREATE, &r));
	EXPECT_EQ(-EINVAL, xshm_region_open_name("", 0, &r));
	unlink(path);
}

TEST(directory_or_fifo_is_not_a_region)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;

	/* a directory cannot even be opened read-write */
	EXPECT_EQ(-EISDIR, xshm_region_open_path(test_tmp_dir(), 0, 0, &r));
	ASSERT_EQ(0, test_tmp_file(path));
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, mkfifo(path, 0600));
	/* O_RDWR on a FIFO does not block on Linux; it is no memory */
	EXPECT_EQ(-ENODEV, xshm_region_open_path(path, 0, 0, &r));
	unlink(path);
}

TEST(spec_with_slash_opens_the_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL, *r2 = NULL;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	ASSERT_EQ(0, xshm_region_open(path, 0, 0, &r2));
	EXPECT_EQ((size_t)REGION_SIZE, xshm_region_size(r2));
	EXPECT_STREQ(path, xshm_region_name(r2));
	xshm_region_close(r2);
	xshm_region_close(r);
	unlink(path);
}

TEST(spec_create_makes_the_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;

	ASSERT_EQ(0, test_tmp_file(path));
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, xshm_region_open(path, XSHM_OPEN_CREATE, REGION_SIZE, &r));
	EXPECT_EQ((size_t)REGION_SIZE, xshm_region_size(r));
	xshm_region_close(r);
	unlink(path);
}

/* Two mappings of one file are the same memory. */
TEST(two_opens_share_memory)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *a = NULL, *b = NULL;
	volatile uint8_t *pa, *pb;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &a));
	ASSERT_EQ(0, xshm_region_open_path(path, 0, 0, &b));
	pa = xshm_region_base(a);
	pb = xshm_region_base(b);
	pa[100] = 0x42;
	pa[REGION_SIZE - 1] = 0x17;
	EXPECT_EQ(0x42, pb[100]);
	EXPECT_EQ(0x17, pb[REGION_SIZE - 1]);
	xshm_region_close(b);
	xshm_region_close(a);
	unlink(path);
}

/* Data written through a mapping is in the file after close. */
TEST(data_persists_in_the_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	uint8_t byte = 0;
	int fd;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	((uint8_t *)xshm_region_base(r))[4097] = 0xa5;
	xshm_region_close(r);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pread(fd, &byte, 1, 4097));
	EXPECT_EQ(0xa5, byte);
	close(fd);
	unlink(path);
}

TEST(rdonly_maps_without_write_access)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *rw = NULL, *ro = NULL;
	volatile uint8_t *p;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &rw));
	((uint8_t *)xshm_region_base(rw))[10] = 0x33;
	ASSERT_EQ(0, xshm_region_open_path(path, XSHM_OPEN_RDONLY, 0, &ro));
	p = xshm_region_base(ro);
	EXPECT_EQ(0x33, p[10]);
	/* the read-write mapping still writes, the read-only one faults */
	EXPECT_EQ(0, write_faults(xshm_region_base(rw)));
	EXPECT_EQ(1, write_faults(p + 10));
	EXPECT_EQ(0x33, p[10]);
	xshm_region_close(ro);
	xshm_region_close(rw);
	unlink(path);
}

TEST(rdonly_opens_a_read_only_file)
{
	char path[TEST_PATH_MAX];
	struct xshm_region *r = NULL;

	ASSERT_EQ(0, test_region_create(path, REGION_SIZE, &r));
	xshm_region_close(r);
	ASSERT_EQ(0, chmod(path, 0444));
	if (geteuid() != 0) {
		/* root ignores file modes; others must not get a writable map */
		EXPECT_EQ(-EACCES, xshm_region_open_path(path, 0, 0, &r));
	}
	ASSERT_EQ(0, xshm_region_open_path(path, XSHM_OPEN_RDONLY, 0, &r));
	EXPECT_EQ((size_t)REGION_SIZE, xshm_region_size(r));
	xshm_region_close(r);
	unlink(path);
}

/* Without the driver no device or xen,id exists: -ENOENT, not a crash. */
TEST(index_without_driver_is_enoent)
{
	struct xshm_region *r = NULL;

	if (access("/dev/xshm0", F_OK) == 0)
		SKIP(return, "xshm driver loaded on this machine");
	EXPECT_EQ(-ENOENT, xshm_region_open_index(0, 0, &r));
	EXPECT_EQ(-ENOENT, xshm_region_open_index(31, XSHM_OPEN_RDONLY, &r));
	EXPECT_EQ(-ENOENT, xshm_region_open("0", 0, 0, &r));
	EXPECT_EQ(-ENOENT, xshm_region_open("7", 0, 0, &r));
	EXPECT_EQ(-ENOENT, xshm_region_open("/dev/xshm0", 0, 0, &r));
}

TEST(name_without_driver_is_enoent)
{
	struct xshm_region *r = NULL;

	EXPECT_EQ(-ENOENT, xshm_region_open_name("xshm-test-no-such", 0, &r));
	EXPECT_EQ(-ENOENT, xshm_region_open("name:xshm-test-no-such", 0, 0,
					    &r));
	EXPECT_EQ(-ENOENT, xshm_region_open("xshm-test-no-such", 0, 0, &r));
}

/*
 * A bare word is a xen,id first; only when the driver knows no such name is
 * it taken as a file in the current directory.
 */
TEST(bare_word_falls_back_to_a_cwd_file)
{
	char dir[TEST_PATH_MAX];
	struct xshm_region *r = NULL;
	int fd;

	snprintf(dir, sizeof(dir), "%s/xshm-test-dir-XXXXXX", test_tmp_dir());
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, chdir(dir));
	EXPECT_EQ(-ENOENT, xshm_region_open("lookalike", 0, 0, &r));
	fd = open("lookalike", O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, REGION_SIZE));
	close(fd);
	ASSERT_EQ(0, xshm_region_open("lookalike", 0, 0, &r));
	EXPECT_EQ((size_t)REGION_SIZE, xshm_region_size(r));
	xshm_region_close(r);
	ASSERT_EQ(0, xshm_region_open("./lookalike", 0, 0, &r));
	xshm_region_close(r);
	/* "name:" never falls back to a file */
	EXPECT_EQ(-ENOENT, xshm_region_open("name:lookalike", 0, 0, &r));
	unlink("lookalike");
	ASSERT_EQ(0, chdir("/"));
	rmdir(dir);
}

/*
 * The way xshm_region_open(3) documents to share a file region with a
 * process that might shrink it: a memfd sealed against shrinking, opened
 * through /proc.  The truncation fails and the ring keeps working.
 */
TEST(sealed_memfd_cannot_be_truncated_under_us)
{
	static const struct xshm_chan_spec c = { "r", XSHM_CHAN_RING_VAR,
						 XSHM_FULL_FAIL, 16, 1024 };
	struct xshm_region *r;
	struct xshm_ring *p, *q;
	char path[64], buf[16];
	int fd = memfd_create("xshm-test", MFD_ALLOW_SEALING);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 65536));
	ASSERT_EQ(0, fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), fd);
	ASSERT_EQ(0, xshm_region_open_path(path, 0, 0, &r));
	ASSERT_EQ(0, xshm_layout_init(r, &c, 1, 0));
	ASSERT_EQ(0, xshm_ring_attach(r, "r", XSHM_PRODUCER, &p));
	ASSERT_EQ(0, xshm_ring_attach(r, "r", XSHM_CONSUMER, &q));
	/* the other process, with its own descriptor, tries to shrink it */
	EXPECT_EQ(-1, truncate(path, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, xshm_ring_send(p, "still here", 10));
	EXPECT_EQ(10, xshm_ring_recv(q, buf, sizeof(buf), NULL));
	xshm_ring_detach(p);
	xshm_ring_detach(q);
	xshm_region_close(r);
	close(fd);
}

TEST(close_null_is_harmless)
{
	xshm_region_close(NULL);
}

TEST_HARNESS_MAIN
