// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs module-level tests: loading and unloading, the cloning nodes, who may open them,
 * the module parameters that stand for FreeBSD's sysctls, and kmemleak over load cycles.
 *
 * Needs root and TUNTAP_KO, the path of tuntap_rs.ko; the module is expected to be loaded
 * when the tests start, and is left loaded (with default parameters) when they end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include <net/if_tun.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "common.h"

static const char *const nodes[] = { "/dev/tun", "/dev/tap", "/dev/vmnet" };
#define NR_NODES (sizeof(nodes) / sizeof(nodes[0]))


/* Opens `path` read-write; 0 on success, else the errno. */
static int try_open(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int open_as_nobody(const void *path)
{
	if (setgid(65534) || setuid(65534))
		return 255;
	return try_open(path);
}

FIXTURE(module) {};

FIXTURE_SETUP(module)
{
	struct stat st;

	/* Every test starts from the module loaded with its default parameters. */
	if (stat("/dev/tun", &st) != 0)
		ASSERT_EQ(0, module_load(""));
}

FIXTURE_TEARDOWN(module)
{
	ASSERT_EQ(0, module_reload(""));
}

/* The three cloning nodes are char devices, mode 0600, owned by root, listed in /proc/misc. */
TEST_F(module, cloning_nodes)
{
	char line[128], misc[512] = "";
	FILE *f;

	for (size_t i = 0; i < NR_NODES; i++) {
		struct stat st;

		ASSERT_EQ(0, stat(nodes[i], &st)) TH_LOG("%s: %s", nodes[i], strerror(errno));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0600U, st.st_mode & 07777) TH_LOG("%s mode %o", nodes[i], st.st_mode & 07777);
		EXPECT_EQ(0U, st.st_uid);
		EXPECT_EQ(0U, st.st_gid);
	}
	f = fopen("/proc/misc", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		strncat(misc, strchr(line, ' ') ? strchr(line, ' ') : line, sizeof(misc) - strlen(misc) - 1);
	fclose(f);
	/* Named so as not to clash with Linux's own tun ("tun"). */
	EXPECT_NE(NULL, strstr(misc, " tuntap_rs_tun\n"));
	EXPECT_NE(NULL, strstr(misc, " tuntap_rs_tap\n"));
	EXPECT_NE(NULL, strstr(misc, " tuntap_rs_vmnet\n"));
}

/* Unloading removes the nodes; loading again brings them back. */
TEST_F(module, unload_and_load)
{
	struct stat st;

	ASSERT_EQ(0, module_unload());
	for (size_t i = 0; i < NR_NODES; i++) {
		EXPECT_EQ(-1, stat(nodes[i], &st));
		EXPECT_EQ(ENOENT, errno);
	}
	ASSERT_EQ(0, module_load(""));
	for (size_t i = 0; i < NR_NODES; i++) {
		EXPECT_EQ(0, stat(nodes[i], &st)) TH_LOG("%s missing after reload", nodes[i]);
	}
}

/*
 * An open file pins the module: unloading fails until it is closed (a nonblocking
 * delete_module() of a module in use fails with EWOULDBLOCK).
 */
TEST_F(module, open_file_pins_module)
{
	int fd = open("/dev/tun", O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	close(fd);
	EXPECT_EQ(0, module_unload());
}

/* A user who is not root cannot open any node (its mode is 0600, owner root). */
TEST_F(module, unprivileged_user_refused)
{
	for (size_t i = 0; i < NR_NODES; i++) {
		EXPECT_EQ(EACCES, in_child(open_as_nobody, nodes[i])) TH_LOG("%s", nodes[i]);
	}
}

/* Root without CAP_NET_ADMIN cannot clone (EPERM); with it, it can. */
TEST_F(module, cloning_needs_net_admin)
{
	for (size_t i = 0; i < NR_NODES; i++) {
		EXPECT_EQ(EPERM, in_child(open_without_net_admin, nodes[i])) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0, try_open(nodes[i])) TH_LOG("%s", nodes[i]);
	}
}

/* tap_user_open=1 (net.link.tap.user_open) lets tap and vmnet, not tun, open without it. */
TEST_F(module, tap_user_open_param)
{
	ASSERT_EQ(0, module_reload("tap_user_open=1"));
	EXPECT_EQ(EPERM, in_child(open_without_net_admin, "/dev/tun"));
	EXPECT_EQ(0, in_child(open_without_net_admin, "/dev/tap"));
	EXPECT_EQ(0, in_child(open_without_net_admin, "/dev/vmnet"));
	/* The node's own permissions still apply. */
	EXPECT_EQ(EACCES, in_child(open_as_nobody, "/dev/tap"));
}

/* devfs_cloning=0 (net.link.{tun,tap}.devfs_cloning) makes opening the cloning node fail. */
TEST_F(module, devfs_cloning_params)
{
	ASSERT_EQ(0, module_reload("tun_devfs_cloning=0"));
	EXPECT_EQ(ENXIO, try_open("/dev/tun"));
	EXPECT_EQ(0, try_open("/dev/tap"));
	ASSERT_EQ(0, module_reload("tap_devfs_cloning=0"));
	EXPECT_EQ(0, try_open("/dev/tun"));
	EXPECT_EQ(ENXIO, try_open("/dev/tap"));
	EXPECT_EQ(ENXIO, try_open("/dev/vmnet"));
}

/* debug=N (FreeBSD debug.if_tun_debug) is the initial TUNGDEBUG level. */
TEST_F(module, debug_param)
{
	int fd, level = -1;

	ASSERT_EQ(0, module_reload("debug=3"));
	fd = open("/dev/tun", O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ioctl(fd, TUNGDEBUG, &level));
	EXPECT_EQ(3, level);
	close(fd);
}

/* Bad parameter values are refused at load time. */
TEST_F(module, bad_param_refused)
{
	ASSERT_EQ(0, module_unload());
	EXPECT_EQ(-EINVAL, module_load("tap_user_open=maybe"));
	EXPECT_EQ(-ENOENT, module_unload());
}

static int kmemleak(const char *cmd)
{
	int fd = open("/sys/kernel/debug/kmemleak", O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* 100 load/unload cycles, with opens in between, leave nothing for kmemleak to report. */
TEST_F_TIMEOUT(module, load_unload_100_kmemleak, 600)
{
	char report[4096];
	ssize_t n;
	int fd;

	if (kmemleak("scan") == -ENOENT)
		SKIP(return, "kmemleak is not available");
	/* Forget what was already there (boot-time reports), then count only what follows. */
	ASSERT_EQ(0, kmemleak("clear"));
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(0, module_reload("")) TH_LOG("cycle %d", i);
		for (size_t j = 0; j < NR_NODES; j++) {
			ASSERT_EQ(0, try_open(nodes[j])) TH_LOG("cycle %d %s", i, nodes[j]);
		}
	}
	ASSERT_EQ(0, module_unload());
	/* kmemleak reports only objects older than 5 s, and wants two scans to be sure. */
	sleep(6);
	ASSERT_EQ(0, kmemleak("scan"));
	ASSERT_EQ(0, kmemleak("scan"));
	fd = open("/sys/kernel/debug/kmemleak", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, report, sizeof(report) - 1);
	close(fd);
	ASSERT_LE(0, n);
	report[n < 0 ? 0 : n] = 0;
	EXPECT_EQ(0, n) TH_LOG("kmemleak:\n%s", report);
}

TEST_HARNESS_MAIN
