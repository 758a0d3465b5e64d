// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs lifecycle tests: every way a unit comes and goes, for tun, tap and vmnet.
 *
 * - Creation by name without opening (FreeBSD `ifconfig tun5 create`): rtnetlink's
 *   `ip link add tun5 type bsdtun` (bsdtap, bsdvmnet): the node appears with the interface,
 *   EEXIST, EINVAL and ENOSPC as FreeBSD's if_clone gives them, the lowest free unit for a
 *   bare prefix.
 * - Destruction (FreeBSD `ifconfig tun5 destroy`): `ip link del` with the unit's file open,
 *   blocked readers and epoll waiters woken, ENXIO afterwards, POLLHUP, no node, the number
 *   free again; closing, deleting and unloading in every order; rmmod refused while a file is
 *   open.
 * - Renaming, network namespaces (creation, moving, deleting the namespace under an open file),
 *   user namespaces without CAP_NET_ADMIN over the network namespace, and a unit's file passed to
 *   another process with SCM_RIGHTS (FreeBSD's controlling-process rules).
 *
 * Needs root, the module loaded (TUNTAP_KO for the tests that reload it), CONFIG_USER_NS and
 * CONFIG_NET_NS. Interfaces a test configures use 10.77.<net>.0/24 with <net> from 120 up.
 */
#define _GNU_SOURCE
#include <net/if_tun.h>
#include <net/if_tap.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>

#include "kselftest_harness.h"
#include "common.h"
#include "netlink.h"

#define WAIT_MS		3000
/* Namespace teardown runs from a workqueue, slowly under TCG. */
#define NETNS_GONE_MS	30000

/* ---- Helpers ------------------------------------------------------------------------------ */

/* link_index() (see netlink.h), as an int. */
static int ifindex(const char *name)
{
	return (int)link_index(name);
}

/* Waits up to `ms` for interface `name` to exist (`want`) or not in this namespace. */
static bool wait_ifindex(const char *name, bool want, int ms)
{
	unsigned long long deadline = now_ms() + ms;

	do {
		if ((ifindex(name) != 0) == want)
			return true;
		usleep(20000);
	} while (ms_left(deadline) > 0);
	return false;
}

/* Waits up to `ms` for /dev/NAME to exist (`want`) or not. */
static bool wait_node(const char *name, bool want, int ms)
{
	unsigned long long deadline = now_ms() + ms;

	do {
		if (node_exists(name) == want)
			return true;
		usleep(20000);
	} while (ms_left(deadline) > 0);
	return false;
}

/* How many interfaces this network namespace has. */
static int count_links(void)
{
	struct if_nameindex *list = if_nameindex(), *i;
	int n = 0;

	if (!list)
		return -1;
	for (i = list; i->if_index; i++)
		n++;
	if_freenameindex(list);
	return n;
}

/* A blocked reader for the destroy tests: reads once, records what happened. */
struct blocked {
	int fd;
	int epoll;			/* >= 0: wait in epoll_wait instead of read */
	volatile bool started;
	ssize_t ret;
	int err;
	unsigned int events;
	unsigned long long woke_ms;
};

static void *blocked_thread(void *arg)
{
	struct blocked *b = arg;
	char buf[2048];

	b->started = true;
	if (b->epoll >= 0) {
		struct epoll_event ev = { 0 };

		b->ret = epoll_wait(b->epoll, &ev, 1, 20000);
		b->err = errno;
		b->events = ev.events;
	} else {
		b->ret = read(b->fd, buf, sizeof(buf));
		b->err = errno;
	}
	b->woke_ms = now_ms();
	return NULL;
}

/* ---- Fixture: one variant per driver ------------------------------------------------------- */

FIXTURE(life) {
	char names[8][IFNAMSIZ];	/* links the test created, deleted by the teardown */
	int fds[8];
};

FIXTURE_VARIANT(life) {
	const char *prefix;		/* node and interface prefix */
	const char *kind;		/* rtnetlink kind */
	const char *other;		/* another driver's prefix */
	bool l2;
};

FIXTURE_VARIANT_ADD(life, tun) {
	.prefix = "tun", .kind = "bsdtun", .other = "tap", .l2 = false,
};

FIXTURE_VARIANT_ADD(life, tap) {
	.prefix = "tap", .kind = "bsdtap", .other = "tun", .l2 = true,
};

FIXTURE_VARIANT_ADD(life, vmnet) {
	.prefix = "vmnet", .kind = "bsdvmnet", .other = "tap", .l2 = true,
};

FIXTURE_SETUP(life)
{
	for (int i = 0; i < 8; i++)
		self->fds[i] = -1;
}

FIXTURE_TEARDOWN(life)
{
	for (int i = 0; i < 8; i++) {
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	}
	for (int i = 0; i < 8; i++) {
		if (self->names[i][0])
			link_del(self->names[i]);
	}
}

/* Records `name` for the teardown to delete. */
static void track(FIXTURE_DATA(life) *self, const char *name)
{
	for (int i = 0; i < 8; i++) {
		if (!self->names[i][0]) {
			snprintf(self->names[i], IFNAMSIZ, "%s", name);
			return;
		}
	}
}

/* Records `fd` for the teardown to close. */
static int track_fd(FIXTURE_DATA(life) *self, int fd)
{
	for (int i = 0; i < 8 && fd >= 0; i++) {
		if (self->fds[i] < 0) {
			self->fds[i] = fd;
			break;
		}
	}
	return fd;
}

/* A name for a fresh unit of the variant: "<prefix>N" with N free, from `from` up. */
static void fresh_name(const FIXTURE_VARIANT(life) *variant, int from, char name[IFNAMSIZ])
{
	snprintf(name, IFNAMSIZ, "%s%d", variant->prefix, free_unit_from(variant->prefix, from));
}

/* ---- Creation by name ---------------------------------------------------------------------- */

/* `ip link add tunN type bsdtun` creates unit N, interface and node, without opening it. */
TEST_F(life, create_by_name)
{
	char name[IFNAMSIZ], got[IFNAMSIZ];
	int fd;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind)) TH_LOG("ip link add %s", name);
	track(self, name);
	EXPECT_NE(0, ifindex(name));
	ASSERT_TRUE(node_exists(name)) TH_LOG("/dev/%s missing", name);
	/* Created down and closed, like FreeBSD's `ifconfig tunN create`. */
	EXPECT_EQ(0, if_flags(name) & IFF_UP);
	fd = track_fd(self, open_node(name, 0));
	ASSERT_LE(0, fd) TH_LOG("open /dev/%s: %s", name, strerror(-fd));
	ASSERT_EQ(0, fd_name(fd, got));
	EXPECT_STREQ(name, got);
	/* A second open of an open unit is EBUSY, as for cloned units. */
	EXPECT_EQ(-EBUSY, open_node(name, 0));
}

/*
 * A unit created by name has no carrier until it is first opened, even when brought up: no
 * route leads into a tunnel that nobody serves. The close takes the carrier again. vmnet keeps
 * its carrier throughout, to queue output for its next opener.
 */
TEST_F(life, carrier_until_open)
{
	char name[IFNAMSIZ];
	int fd, want_closed = variant->l2 && !strcmp(variant->prefix, "vmnet");

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind)) TH_LOG("ip link add %s", name);
	track(self, name);
	ASSERT_EQ(0, link_set_up(name, 1));
	EXPECT_EQ(want_closed, sys_val(name, "carrier")) TH_LOG("never opened");
	fd = open_node(name, 0);
	ASSERT_LE(0, fd) TH_LOG("open /dev/%s: %s", name, strerror(-fd));
	EXPECT_EQ(1, sys_val(name, "carrier")) TH_LOG("open");
	close(fd);
	if (want_closed) {
		EXPECT_EQ(1, sys_val(name, "carrier")) TH_LOG("closed");
	} else {
		/* Down after the close; up again by hand, still no carrier. */
		EXPECT_EQ(0, if_flags(name) & IFF_UP);
		ASSERT_EQ(0, link_set_up(name, 1));
		EXPECT_EQ(0, sys_val(name, "carrier")) TH_LOG("closed");
	}
}

/* ---- The unit's state in `ip -d link` ----------------------------------------------------- */

/* The unit's state as `ip -d -j link show` prints it with the plugin (selftests/ip). */
struct link_state {
	long unit, pid, vnet_hdr;
	int open, transient;		/* 1, 0, or -1 if missing */
	char mode[16];
};

static int json_bool(const char *obj, const char *key)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(obj, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	return !strncmp(p, "true", 4) ? 1 : !strncmp(p, "false", 5) ? 0 : -1;
}

/* Fills `st` from `ip -d -j link show dev NAME`; 0, or -1 if there was no info_data. */
static int link_state(const char *name, struct link_state *st)
{
	char exe[PATH_MAX], out[8192], *data, *q;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	/* Built, the plugin is in ip/ next to the program; installed, next to it (kselftest's
	 * install copies TEST_GEN_FILES into one directory). */
	strncat(exe, "/ip", sizeof(exe) - strlen(exe) - 1);
	snprintf(out, sizeof(out), "%s/link_bsdtun.so", exe);
	if (access(out, R_OK))
		*strrchr(exe, '/') = 0;
	if (cmd_output(out, sizeof(out), "IP_LIB_DIR=%s ip -d -j link show dev %s", exe, name))
		return -1;
	data = strstr(out, "\"info_data\":{");
	if (!data)
		return -1;
	q = strchr(data, '}');
	if (q)
		*q = 0;
	st->unit = json_long(data, "unit");
	st->pid = json_long(data, "pid");
	st->vnet_hdr = json_long(data, "vnet_hdr");
	st->open = json_bool(data, "open");
	st->transient = json_bool(data, "transient");
	st->mode[0] = 0;
	q = strstr(data, "\"mode\":\"");
	if (q)
		sscanf(q + strlen("\"mode\":\""), "%15[a-z]", st->mode);
	return 0;
}

/*
 * `ip -d link show` (with tools/iproute2's plugin) prints the unit's BSD state, as FreeBSD's
 * `ifconfig tun0` prints "Opened by PID N": unit number, framing, open, the controlling pid,
 * transient, virtio-net header length; each follows what the file does.
 */
TEST_F(life, link_info)
{
	const char *closed_mode = variant->l2 ? "ethernet" : "plain";
	char name[IFNAMSIZ];
	struct link_state st;
	int fd, unit, one = 1, zero = 0, ten = 10;

	unit = free_unit_from(variant->prefix, 100);
	snprintf(name, sizeof(name), "%s%d", variant->prefix, unit);
	ASSERT_EQ(0, link_add(name, variant->kind)) TH_LOG("ip link add %s", name);
	track(self, name);
	ASSERT_EQ(0, link_state(name, &st)) TH_LOG("no info_data for %s", name);
	EXPECT_EQ(unit, st.unit);
	EXPECT_STREQ(closed_mode, st.mode);
	EXPECT_EQ(0, st.open);
	EXPECT_EQ(0, st.pid);
	EXPECT_EQ(0, st.transient);
	EXPECT_EQ(0, st.vnet_hdr);

	fd = track_fd(self, open_node(name, 0));
	ASSERT_LE(0, fd) TH_LOG("open /dev/%s: %s", name, strerror(-fd));
	ASSERT_EQ(0, ioctl(fd, TUNSTRANSIENT, &one));
	if (variant->l2) {
		ASSERT_EQ(0, ioctl(fd, TAPSVNETHDR, &ten));
	} else {
		ASSERT_EQ(0, ioctl(fd, TUNSIFHEAD, &one));
	}
	ASSERT_EQ(0, link_state(name, &st));
	EXPECT_EQ(1, st.open);
	EXPECT_EQ(getpid(), st.pid);
	EXPECT_EQ(1, st.transient);
	EXPECT_STREQ(variant->l2 ? "ethernet" : "ifhead", st.mode);
	EXPECT_EQ(variant->l2 ? 10 : 0, st.vnet_hdr);
	if (!variant->l2) {
		ASSERT_EQ(0, ioctl(fd, TUNSLMODE, &one));
		ASSERT_EQ(0, link_state(name, &st));
		EXPECT_STREQ("lmode", st.mode);
	}
	ASSERT_EQ(0, ioctl(fd, TUNSTRANSIENT, &zero));
	close(fd);
	for (int i = 0; i < 8; i++) {
		if (self->fds[i] == fd)
			self->fds[i] = -1;
	}
	ASSERT_EQ(0, link_state(name, &st));
	EXPECT_EQ(0, st.open);
	EXPECT_EQ(0, st.pid);
	EXPECT_EQ(0, st.vnet_hdr);
}

/* Creating an existing unit is EEXIST, whether it was created by name or by cloning. */
TEST_F(life, create_existing)
{
	char name[IFNAMSIZ], cloned[IFNAMSIZ], path[32];
	int fd, one = 1;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	track(self, name);
	EXPECT_EQ(-EEXIST, link_add(name, variant->kind));

	snprintf(path, sizeof(path), "/dev/%s", variant->prefix);
	fd = track_fd(self, open(path, O_RDWR | O_CLOEXEC));
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ioctl(fd, TUNSTRANSIENT, &one));
	ASSERT_EQ(0, fd_name(fd, cloned));
	EXPECT_EQ(-EEXIST, link_add(cloned, variant->kind));
}

/* A name already used by another interface (not ours) is EEXIST too. */
TEST_F(life, create_name_taken)
{
	char name[IFNAMSIZ];

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, ip_quiet("link add %s type veth peer name lifepeer0", name));
	EXPECT_EQ(-EEXIST, link_add(name, variant->kind));
	EXPECT_FALSE(node_exists(name));
	ip_quiet("link del %s", name);
}

/* A bare prefix, "<prefix>%d", or no name at all: the lowest free unit. */
TEST_F(life, create_lowest_free)
{
	const char *requests[] = { variant->prefix, NULL, "%d" };

	for (int i = 0; i < 3; i++) {
		char req[IFNAMSIZ], name[IFNAMSIZ];
		int n = lowest_free_unit(variant->prefix);

		ASSERT_LE(0, n);
		snprintf(name, sizeof(name), "%s%d", variant->prefix, n);
		if (requests[i] && !strcmp(requests[i], "%d"))
			snprintf(req, sizeof(req), "%s%%d", variant->prefix);
		else if (requests[i])
			snprintf(req, sizeof(req), "%s", requests[i]);
		ASSERT_EQ(0, link_add(requests[i] ? req : NULL, variant->kind))
			TH_LOG("request %d", i);
		track(self, name);
		EXPECT_NE(0, ifindex(name)) TH_LOG("request %d: no %s", i, name);
		EXPECT_TRUE(node_exists(name)) TH_LOG("request %d: no /dev/%s", i, name);
	}
}

/*
 * Many units: each nameless creation gets the lowest free unit, also past the first 64
 * numbers (a word of the driver's bitmap of numbers in use), and freed numbers, low and high,
 * are taken again lowest first.
 */
TEST_F_TIMEOUT(life, create_lowest_free_many, 600)
{
	enum { MANY = 70 };
	int nums[MANY], made = 0, freed[2], ok = 1;
	char name[IFNAMSIZ];

	for (made = 0; made < MANY && ok; made++) {
		nums[made] = lowest_free_unit(variant->prefix);
		snprintf(name, sizeof(name), "%s%d", variant->prefix, nums[made]);
		ok = nums[made] >= 0 && link_add(NULL, variant->kind) == 0 && ifindex(name) != 0;
		EXPECT_TRUE(ok) TH_LOG("creation %d: no %s", made, name);
	}
	if (ok) {
		EXPECT_LE(MANY - 1, nums[MANY - 1]);
		/* Free one low and the highest number; they come back lowest first. */
		freed[0] = nums[3];
		freed[1] = nums[MANY - 1];
		for (int i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "%s%d", variant->prefix, freed[i]);
			EXPECT_EQ(0, link_del(name));
			EXPECT_TRUE(wait_node(name, false, WAIT_MS));
		}
		for (int i = 0; i < 2; i++) {
			int want = lowest_free_unit(variant->prefix);

			EXPECT_EQ(freed[i], want);
			snprintf(name, sizeof(name), "%s%d", variant->prefix, want);
			EXPECT_EQ(0, link_add(NULL, variant->kind));
			EXPECT_NE(0, ifindex(name)) TH_LOG("no %s", name);
			EXPECT_TRUE(node_exists(name)) TH_LOG("no /dev/%s", name);
		}
	}
	for (int i = 0; i < made; i++) {
		snprintf(name, sizeof(name), "%s%d", variant->prefix, nums[i]);
		link_del(name);
	}
}

/* Names that do not parse for the kind are EINVAL; units above IF_MAXUNIT are ENOSPC. */
TEST_F(life, create_bad_names)
{
	struct {
		const char *suffix;
		int err;
	} cases[] = {
		{ "05", -EINVAL }, { "x", -EINVAL }, { "-1", -EINVAL }, { "1x", -EINVAL },
		{ "%s", -EINVAL }, { "32768", -ENOSPC }, { "4294967296", -ENOSPC },
	};
	char name[IFNAMSIZ];
	int before = count_links(), ret;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", variant->prefix, cases[i].suffix);
		ret = link_add(name, variant->kind);
		EXPECT_EQ(cases[i].err, ret) TH_LOG("%s: %s", name, strerror(-ret));
		if (!ret)
			link_del(name);
	}
	snprintf(name, sizeof(name), "%s7", variant->other);
	EXPECT_EQ(-EINVAL, link_add(name, variant->kind)) TH_LOG("%s as %s", name, variant->kind);
	EXPECT_EQ(-EINVAL, link_add("foo0", variant->kind));
	EXPECT_EQ(before, count_links());

	/* FreeBSD's IF_MAXUNIT itself is fine. */
	snprintf(name, sizeof(name), "%s32767", variant->prefix);
	ASSERT_EQ(0, link_add(name, variant->kind));
	track(self, name);
	EXPECT_TRUE(node_exists(name));
}

/* Linux's own tun keeps the kind "tun": ours never answer to it. */
TEST(kind_tun_is_not_ours)
{
	int ret = link_add("tun4242", "tun");

	/* tun.c's rtnl_link_ops reject creation (or the module is absent: no such kind). */
	EXPECT_NE(0, ret);
	EXPECT_FALSE(node_exists("tun4242"));
	if (!ret)
		link_del("tun4242");
}

/* ---- Destruction ----------------------------------------------------------------------------- */

/* `ip link del` on a closed unit: interface and node go, the number is free again. */
TEST_F(life, delete_closed)
{
	char name[IFNAMSIZ];

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	ASSERT_EQ(0, link_del(name));
	EXPECT_EQ(0, ifindex(name));
	EXPECT_FALSE(node_exists(name));
	EXPECT_EQ(-ENODEV, link_del(name));
	/* Same number again. */
	ASSERT_EQ(0, link_add(name, variant->kind));
	track(self, name);
}

/*
 * `ip link del` with the unit's file open returns at once; the file then gets ENXIO for read,
 * write and ioctl, poll says POLLHUP|POLLERR, and the last close frees what is left.
 */
TEST_F(life, delete_open)
{
	char name[IFNAMSIZ], buf[64] = { 0 };
	unsigned long long t0;
	struct pollfd pfd;
	int fd, ret;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	fd = track_fd(self, open_node(name, 0));
	ASSERT_LE(0, fd);
	t0 = now_ms();
	ASSERT_EQ(0, link_del(name));
	EXPECT_GT(WAIT_MS, (int)(now_ms() - t0)) TH_LOG("ip link del took %llu ms", now_ms() - t0);
	EXPECT_EQ(0, ifindex(name));
	EXPECT_FALSE(node_exists(name));

	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-ENXIO, fd_name(fd, buf));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	ret = poll(&pfd, 1, 0);
	EXPECT_EQ(1, ret);
	EXPECT_TRUE(pfd.revents & POLLHUP) TH_LOG("revents %#x", pfd.revents);
	EXPECT_TRUE(pfd.revents & POLLERR) TH_LOG("revents %#x", pfd.revents);
	EXPECT_FALSE(pfd.revents & POLLIN) TH_LOG("revents %#x", pfd.revents);

	/* The name and number are free while the dead file is still open. */
	EXPECT_EQ(0, link_add(name, variant->kind));
	track(self, name);
	/* And the new unit is a different one: opening its node works. */
	ret = track_fd(self, open_node(name, 0));
	EXPECT_LE(0, ret) TH_LOG("open the new %s: %s", name, strerror(-ret));
}

/* A reader blocked in read() at the moment of destruction wakes up with ENXIO. */
TEST_F(life, delete_wakes_reader)
{
	struct blocked b = { .epoll = -1 };
	char name[IFNAMSIZ];
	unsigned long long t0;
	pthread_t thread;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	b.fd = track_fd(self, open_node(name, 0));
	ASSERT_LE(0, b.fd);
	ASSERT_EQ(0, pthread_create(&thread, NULL, blocked_thread, &b));
	while (!b.started)
		usleep(1000);
	usleep(200000);
	t0 = now_ms();
	ASSERT_EQ(0, link_del(name));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(-1, b.ret);
	EXPECT_EQ(ENXIO, b.err) TH_LOG("read woke with %s", strerror(b.err));
	EXPECT_GT(WAIT_MS, (int)(b.woke_ms - t0));
}

/* An epoll waiter at the moment of destruction gets EPOLLHUP. */
TEST_F(life, delete_wakes_epoll)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct blocked b = { 0 };
	char name[IFNAMSIZ];
	unsigned long long t0;
	pthread_t thread;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	b.fd = track_fd(self, open_node(name, 0));
	ASSERT_LE(0, b.fd);
	b.epoll = track_fd(self, epoll_create1(EPOLL_CLOEXEC));
	ASSERT_LE(0, b.epoll);
	ASSERT_EQ(0, epoll_ctl(b.epoll, EPOLL_CTL_ADD, b.fd, &ev));
	ASSERT_EQ(0, pthread_create(&thread, NULL, blocked_thread, &b));
	while (!b.started)
		usleep(1000);
	usleep(200000);
	t0 = now_ms();
	ASSERT_EQ(0, link_del(name));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(1, b.ret) TH_LOG("epoll_wait: %zd (%s)", b.ret, strerror(b.err));
	EXPECT_TRUE(!!(b.events & EPOLLHUP)) TH_LOG("events %#x", b.events);
	EXPECT_GT(WAIT_MS, (int)(b.woke_ms - t0));
}

/* Opening a destroyed unit's minor (through a node of our own) is ENXIO. */
TEST_F(life, open_destroyed_minor)
{
	const char *path = "/dev/tuntap_rs_lifecycle_node";
	char name[IFNAMSIZ], devpath[64];
	struct stat st;
	int fd;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	snprintf(devpath, sizeof(devpath), "/dev/%s", name);
	ASSERT_EQ(0, stat(devpath, &st));
	ASSERT_EQ(0, link_del(name));
	unlink(path);
	ASSERT_EQ(0, mknod(path, S_IFCHR | 0600, st.st_rdev)) TH_LOG("mknod: %s", strerror(errno));
	fd = open(path, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ENXIO, errno);
	if (fd >= 0)
		close(fd);
	unlink(path);
}

/* A transient unit goes with its last close; a persistent one stays for `ip link del`. */
TEST_F(life, transient_and_persistent)
{
	char name[IFNAMSIZ];
	int fd, one = 1;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	fd = open_node(name, 0);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_NE(0, ifindex(name)) TH_LOG("a created unit outlives its close");
	fd = open_node(name, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TUNSTRANSIENT, &one));
	close(fd);
	EXPECT_TRUE(wait_ifindex(name, false, WAIT_MS)) TH_LOG("transient %s still there", name);
	EXPECT_FALSE(node_exists(name));
}

/* ---- Module unload in every order ------------------------------------------------------------ */

/* close → del → rmmod; del → close → rmmod; rmmod refused while a file (even a dead one) is open. */
TEST_F_TIMEOUT(life, unload_orders, 180)
{
	char name[IFNAMSIZ];
	int fd;

	if (!getenv("TUNTAP_KO"))
		SKIP(return, "TUNTAP_KO not set");

	/* close → del → rmmod */
	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	fd = open_node(name, 0);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, link_del(name));
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load(""));

	/* del → close → rmmod: the dead file still pins the module. */
	ASSERT_EQ(0, link_add(name, variant->kind));
	fd = open_node(name, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, link_del(name));
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	close(fd);
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load(""));

	/* open → rmmod refused → close → rmmod destroys the persistent unit. */
	ASSERT_EQ(0, link_add(name, variant->kind));
	fd = open_node(name, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, module_unload());
	EXPECT_NE(0, ifindex(name));
	close(fd);
	ASSERT_EQ(0, module_unload());
	EXPECT_EQ(0, ifindex(name));
	EXPECT_FALSE(node_exists(name));
	ASSERT_EQ(0, module_load(""));
}

/* ---- Renaming ------------------------------------------------------------------------------- */

/*
 * `ip link set tunN name foo`: TUNGIFNAME says foo, packets still flow both ways, /dev/tunN keeps
 * its name and still reaches the unit, and unit N stays taken.
 */
TEST_F(life, rename)
{
	char name[IFNAMSIZ], got[IFNAMSIZ], buf[2048];
	const char *new_name = "bsdrenamed0";
	in_addr_t local = ip4(10, 77, 120, 1), peer = ip4(10, 77, 120, 2);
	uint8_t pkt[128];
	size_t len;
	ssize_t n;
	int fd, fd2, one = 1;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	fd = open_node(name, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, link_rename(name, new_name));
	track(self, new_name);
	ASSERT_EQ(0, fd_name(fd, got));
	EXPECT_STREQ(new_name, got);
	EXPECT_TRUE(node_exists(name)) TH_LOG("/dev/%s follows the unit, not its name", name);
	EXPECT_EQ(-EEXIST, link_add(name, variant->kind));

	/* Out: a datagram routed to the peer comes out of the renamed unit's file. */
	ASSERT_EQ(0, no_ipv6(new_name));
	if (variant->l2) {
		ASSERT_EQ(0, ip("addr add 10.77.120.1/24 dev %s", new_name));
		ASSERT_EQ(0, ip("link set %s up", new_name));
		ASSERT_EQ(0, ip("neigh add 10.77.120.2 lladdr 02:00:00:00:77:02 dev %s", new_name));
	} else {
		ASSERT_EQ(0, ip("addr add 10.77.120.1 peer 10.77.120.2 dev %s", new_name));
		ASSERT_EQ(0, ip("link set %s up", new_name));
	}
	ASSERT_EQ(0, send_udp4(peer, 7120, "renamed", 7));
	for (;;) {
		n = read_pkt(fd, buf, sizeof(buf), WAIT_MS);
		ASSERT_LT(0, n) TH_LOG("nothing read from the renamed unit");
		if (variant->l2) {
			if (eth_type((uint8_t *)buf, n) == ETHERTYPE_IP &&
			    is_udp4_to((uint8_t *)buf + ETH_HLEN, n - ETH_HLEN, peer, 7120))
				break;
		} else if (is_udp4_to((uint8_t *)buf, n, peer, 7120)) {
			break;
		}
	}

	/* In: a packet written to the file reaches a local socket. */
	{
		int s = udp_listen(AF_INET, 7121);
		uint8_t mac[ETH_ALEN], peer_mac[ETH_ALEN] = { 2, 0, 0, 0, 0x77, 2 };

		ASSERT_LE(0, s);
		if (variant->l2) {
			ASSERT_EQ(0, if_mac(new_name, mac));
			len = build_udp4_frame(pkt, mac, peer_mac, peer, local, 7000, 7121, "in", 2);
		} else {
			len = build_udp4(pkt, peer, local, 7000, 7121, "in", 2);
		}
		EXPECT_EQ((ssize_t)len, write(fd, pkt, len));
		EXPECT_EQ(2, read_pkt(s, buf, sizeof(buf), WAIT_MS));
		close(s);
	}

	/* The old node still opens this unit (once the file is closed). */
	close(fd);
	fd2 = open_node(name, 0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fd_name(fd2, got));
	EXPECT_STREQ(new_name, got);
	ASSERT_EQ(0, ioctl(fd2, TUNSTRANSIENT, &one));
	close(fd2);
	EXPECT_TRUE(wait_ifindex(new_name, false, WAIT_MS));
	EXPECT_FALSE(node_exists(name));
}

/* ---- Network namespaces ------------------------------------------------------------------------ */

/* What a child in a new namespace saw, reported over a pipe. */
struct ns_report {
	int unshare_err;	/* errno of unshare(), 0 if it worked */
	int open_err;		/* errno of open(/dev/<prefix>), 0 if it worked */
	int add_err;		/* -errno of link_add(), 0 if it worked */
	char cloned[IFNAMSIZ];	/* the cloned unit's name */
	char added[IFNAMSIZ];	/* the created unit's name */
	bool cloned_here;	/* the cloned interface is in the child's namespace */
	bool added_here;
};

/*
 * In a child: unshare `flags`, clone a unit (persistent) and create one by name, report, then
 * wait for a byte on `go` before exiting (which drops the namespaces).
 */
static void ns_child(const FIXTURE_VARIANT(life) *variant, int flags, int report, int go,
		     const char *add_name)
{
	struct ns_report r = { 0 };
	char path[32], c;
	int fd;

	if (unshare(flags)) {
		/* Reported as such: the parent must not wait for a report that never comes. */
		r.unshare_err = errno;
		if (write(report, &r, sizeof(r)) != sizeof(r))
			_exit(101);
		_exit(100);
	}
	snprintf(path, sizeof(path), "/dev/%s", variant->prefix);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r.open_err = errno;
	} else {
		fd_name(fd, r.cloned);
		r.cloned_here = ifindex(r.cloned) != 0;
	}
	r.add_err = link_add(add_name, variant->kind);
	if (!r.add_err) {
		snprintf(r.added, sizeof(r.added), "%s", add_name);
		r.added_here = ifindex(add_name) != 0;
	}
	if (write(report, &r, sizeof(r)) != sizeof(r))
		_exit(101);
	if (read(go, &c, 1) < 0)
		_exit(102);
	_exit(0);
}

/*
 * Units are created in the creator's network namespace, by cloning and by name; deleting that
 * namespace destroys them.
 */
TEST_F_TIMEOUT(life, netns_create_and_teardown, 180)
{
	int report[2], go[2], status;
	struct ns_report r;
	char add_name[IFNAMSIZ];
	pid_t pid;

	fresh_name(variant, 200, add_name);
	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		ns_child(variant, CLONE_NEWNET, report[1], go[0], add_name);
	ASSERT_EQ((ssize_t)sizeof(r), read(report[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.unshare_err) TH_LOG("unshare(CLONE_NEWNET): %s", strerror(r.unshare_err));
	EXPECT_EQ(0, r.open_err);
	EXPECT_EQ(0, r.add_err);
	EXPECT_TRUE(r.cloned_here);
	EXPECT_TRUE(r.added_here);
	/* Not here, but their nodes are (device nodes are not per namespace). */
	EXPECT_EQ(0, ifindex(r.cloned));
	EXPECT_EQ(0, ifindex(r.added));
	EXPECT_TRUE(node_exists(r.cloned));
	EXPECT_TRUE(node_exists(r.added));

	/* The child exits: its namespace goes, and the units with it. */
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(wait_node(r.cloned, false, NETNS_GONE_MS)) TH_LOG("/dev/%s stays", r.cloned);
	EXPECT_TRUE(wait_node(r.added, false, NETNS_GONE_MS)) TH_LOG("/dev/%s stays", r.added);
	close(report[0]);
	close(report[1]);
	close(go[0]);
	close(go[1]);
}

/*
 * `ip link set tunN netns X` moves the interface; the file keeps working; deleting X with the file
 * still open destroys the unit, and the file sees ENXIO and POLLHUP.
 */
TEST_F_TIMEOUT(life, netns_move_then_delete, 180)
{
	char name[IFNAMSIZ], got[IFNAMSIZ], path[64];
	struct pollfd pfd;
	int fd, nsfd, go[2], status;
	pid_t pid;

	fresh_name(variant, 100, name);
	ASSERT_EQ(0, link_add(name, variant->kind));
	fd = track_fd(self, open_node(name, 0));
	ASSERT_LE(0, fd);

	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		if (unshare(CLONE_NEWNET))
			_exit(1);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	/*
	 * Wait until the child is in its namespace (seconds on a busy TCG host), and take the
	 * namespace from a file opened after that: one opened before would be ours.
	 */
	for (int i = 0;; i++) {
		struct stat a, b;

		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, nsfd);
		if (fstat(nsfd, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 && a.st_ino != b.st_ino)
			break;
		close(nsfd);
		ASSERT_GT(1000, i) TH_LOG("the child never entered its own network namespace");
		usleep(20000);
	}
	ASSERT_EQ(0, link_set_netns(name, nsfd));
	EXPECT_EQ(0, ifindex(name));
	ASSERT_EQ(0, fd_name(fd, got));
	EXPECT_STREQ(name, got);
	EXPECT_TRUE(node_exists(name));

	/* The namespace goes (child exits, last reference dropped) with the file open. */
	close(nsfd);
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, NETNS_GONE_MS));
	EXPECT_TRUE(pfd.revents & POLLHUP) TH_LOG("revents %#x", pfd.revents);
	EXPECT_EQ(-ENXIO, fd_name(fd, got));
	EXPECT_TRUE(wait_node(name, false, WAIT_MS));
	close(go[0]);
	close(go[1]);
}

/*
 * A process in another user namespace, without CAP_NET_ADMIN over the network namespace, cannot
 * create units (EPERM by cloning, by rtnetlink); with a network namespace of its own, it can, there.
 */
TEST_F_TIMEOUT(life, userns, 180)
{
	int report[2], go[2], status;
	struct ns_report r;
	char add_name[IFNAMSIZ];
	pid_t pid;

	fresh_name(variant, 300, add_name);
	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(go));

	/* New user namespace only: no privilege over our network namespace. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		ns_child(variant, CLONE_NEWUSER, report[1], go[0], add_name);
	ASSERT_EQ((ssize_t)sizeof(r), read(report[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.unshare_err) TH_LOG("unshare(CLONE_NEWUSER): %s", strerror(r.unshare_err));
	EXPECT_EQ(EPERM, r.open_err) TH_LOG("clone in a user namespace: %s", strerror(r.open_err));
	EXPECT_EQ(-EPERM, r.add_err) TH_LOG("link add in a user namespace: %s", strerror(-r.add_err));
	EXPECT_EQ(0, ifindex(add_name));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	/* New user and network namespaces: CAP_NET_ADMIN over its own network namespace. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		ns_child(variant, CLONE_NEWUSER | CLONE_NEWNET, report[1], go[0], add_name);
	ASSERT_EQ((ssize_t)sizeof(r), read(report[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.unshare_err) TH_LOG("unshare(CLONE_NEWUSER | CLONE_NEWNET): %s",
					   strerror(r.unshare_err));
	EXPECT_EQ(0, r.open_err);
	EXPECT_EQ(0, r.add_err);
	EXPECT_TRUE(r.cloned_here);
	EXPECT_TRUE(r.added_here);
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (r.cloned[0])
		EXPECT_TRUE(wait_node(r.cloned, false, NETNS_GONE_MS));
	if (r.added[0])
		EXPECT_TRUE(wait_node(r.added, false, NETNS_GONE_MS));
	close(report[0]);
	close(report[1]);
	close(go[0]);
	close(go[1]);
}

/* ---- A file passed to another process ----------------------------------------------------------- */

/*
 * A process that received the file (SCM_RIGHTS) can use it after the opener is gone, and its
 * close is the last one: it tears the interface down (FreeBSD 13's destructor runs on the last
 * close, whoever makes it), except a vmnet's. TUNSIFPID (tun only) changes the pid reported,
 * not what the close does.
 */
TEST_F(life, scm_rights)
{
	char name[IFNAMSIZ], got[IFNAMSIZ], byte;
	int sv[2], fd, status;
	ssize_t n;
	pid_t pid;

	for (int take_control = 0; take_control < 2; take_control++) {
		if (take_control && variant->l2)
			break;
		fresh_name(variant, 100, name);
		ASSERT_EQ(0, link_add(name, variant->kind));
		track(self, name);
		ASSERT_EQ(0, no_ipv6(name));
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* The controlling process: opens, brings it up, hands the file over, exits. */
			int ufd = open_node(name, 0);

			if (ufd < 0 || link_set_up(name, 1) || send_fd(sv[1], ufd, "F", 1))
				_exit(1);
			_exit(0);
		}
		n = recv_fd(sv[0], &fd, &byte, 1, -1);
		ASSERT_LE(0, fd) TH_LOG("recv_fd: %s", n < 0 ? strerror(-n) : "no file");
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, WEXITSTATUS(status));
		/* The opener is gone, its file lives on here. */
		EXPECT_EQ(-EBUSY, open_node(name, 0));
		ASSERT_EQ(0, fd_name(fd, got));
		EXPECT_STREQ(name, got);
		EXPECT_TRUE(if_flags(name) & IFF_UP);
		if (take_control)
			ASSERT_EQ(0, ioctl(fd, TUNSIFPID, 0));
		close(fd);
		/* The last close takes the interface down, TUNSIFPID or not; vmnet's never does. */
		if (!strcmp(variant->prefix, "vmnet")) {
			EXPECT_EQ(IFF_UP, if_flags(name) & IFF_UP) TH_LOG("a vmnet went down");
		} else {
			EXPECT_EQ(0, if_flags(name) & IFF_UP)
				TH_LOG("the receiver's last close left it up (TUNSIFPID: %d)",
				       take_control);
		}
		/* Closed: it opens again. */
		fd = open_node(name, 0);
		EXPECT_LE(0, fd);
		if (fd >= 0)
			close(fd);
		close(sv[0]);
		close(sv[1]);
	}
}

TEST_HARNESS_MAIN
