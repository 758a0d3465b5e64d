// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs fault injection: every fault site an operation reaches is made to fail in turn,
 * one per run, with the kernel's fail-nth (Documentation/fault-injection/fault-injection.rst).
 * Writing N to /proc/thread-self/fail-nth makes the N-th fault site this thread reaches fail
 * (a slab or page allocation, or a copy from or to user memory); reading it back gives 0 if
 * that happened, and what is left of N if the thread never got that far. Each operation runs
 * once with N = 1, 2, 3, ... armed, until it completes without reaching the N-th site. After
 * each run, with fail-nth reset to 0, the test checks that the operation either succeeded or
 * failed with one of the clean errnos for it, and that nothing is left half-done: the unit
 * still works, or it is gone without a trace (no interface, no node, its number free again).
 *
 * Operations, for tun, tap and vmnet (the fixture's variants):
 * - clone: opening the cloning node. The unit it gives is then named (TUNGIFNAME), made
 *   transient and closed, and must be gone; a failed open leaves no interface and no node.
 * - write: one packet (tun) or frame (tap, vmnet) from the far end, written to an up unit with
 *   an address, for a local UDP socket. Errnos: ENOBUFS (the skb), ENOMEM, EFAULT (the copy).
 * - write_vnet: the same with a 10-byte virtio-net header asking for the UDP checksum (the
 *   header's path, virtio_net_hdr_to_skb()); the unit has TUNSVNETHDR and TUNSOFFLOAD on.
 * - read: one packet or frame queued by a datagram sent to the far end. EFAULT only: the copy
 *   to user memory is the one fault site, and the packet is queued, so EAGAIN would mean it was
 *   lost.
 * - ioctls: TUNSIFINFO (an MTU change: EFAULT, or ENOMEM/ENOBUFS from the MTU notifiers),
 *   TUNGIFNAME, FIONREAD (EFAULT), TAPSVNETHDR and TUNSOFFLOAD (EFAULT, or ENOMEM/ENOBUFS
 *   from the feature update); tun: TUNSIFMODE, TUNSIFHEAD (EFAULT); tap and vmnet:
 *   SIOCSIFADDR on the file (the remote MAC: EFAULT). Afterwards the setting is the old or the new value, and setting it
 *   again without faults works.
 * - link_add: rtnetlink's `ip link add tunN type bsdtun` (bsdtap, bsdvmnet). rtnetlink handles
 *   the request within the sender's sendmsg(), so fail-nth reaches it; the socket is opened and
 *   bound before arming. Errnos: ENOMEM, ENOBUFS (also a lost acknowledgement), EFAULT. A
 *   failure reported by send() or in the acknowledgement leaves no unit; one from recv() (the
 *   answer lost) may leave it, complete: it must then work, and is deleted.
 * Open is ENOMEM, ENOBUFS or EFAULT too (the path name, the file, the net_device, its sysfs
 * and sysctl entries, the node). Never clean: EIO, ENOSPC, EEXIST (a number or name left taken
 * by an earlier failure), ENXIO (a unit left dying), EAGAIN. EINVAL is clean for clone and
 * link_add only, and it is the kernel's: netdev_register_kobject() ignores a failure of
 * dev_set_name() (the copy of the interface's name), and device_add() then refuses the nameless
 * device with EINVAL, which register_netdevice() returns. Linux's tun passes it on as we do.
 *
 * Each sweep prints "faults: <kind> <op>: N sites injected, M failed cleanly, K succeeded
 * anyway", and the errnos it saw.
 *
 * Set-up, per test and restored by the teardown: debugfs mounted if it is not; `verbose` 0 for
 * every fail* capability (an injected failure would otherwise print a stack trace, and the
 * console must show none); `probability` 0 for failslab, fail_page_alloc and fail_usercopy
 * (fail-nth overrides probability, interval and times, and needs none of them); failslab and
 * fail_page_alloc `ignore-gfp-wait` N (sleeping allocations are fault sites too), failslab
 * `cache-filter` N, fail_page_alloc `min-order` 0 and `ignore-gfp-highmem` N.
 *
 * Environment: FAULTS_MAX_NTH (default 4000): a sweep still reaching fault sites at that N
 * fails. FAULTS_STRIDE (default 1): past the first 16 sites, try only every k-th, for a quicker
 * run; FAULTS_OFFSET (default 0) shifts which ones, so that k runs with offsets 0..k-1 together
 * try every site (`make check` rotates it daily; `make soak` tries every site).
 * FAULTS_BUDGET_MS (default 0, no limit): after a sweep has run that long, try every fourth
 * site only, after as long again every 16th, and so on.
 * FAULTS_IGNORE_HIGHMEM=1: leave __GFP_HIGHMEM page allocations alone (percpu and vmalloc pages,
 * whose failure the kernel reports with a stack trace of its own).
 *
 * Needs root, the module loaded, CONFIG_FAULT_INJECTION with FAULT_INJECTION_DEBUG_FS (skipped
 * otherwise), iproute2's `ip`. Addresses: 10.86.<net>.0/24.
 */
#define _GNU_SOURCE
#include <net/if_tun.h>
#include <net/if_tap.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <net/if.h>

#include <linux/virtio_net.h>

#include "kselftest_harness.h"
/* This program's addresses: 10.86.0.0/16 (common.h's v4()). */
#define SUBNET		86
#include "common.h"
#include "netlink.h"

#define DEBUGFS		"/sys/kernel/debug"
#define DEBUGFS_MAGIC	0x64626720
#define FAIL_NTH	"/proc/thread-self/fail-nth"

/* The N at which a sweep that still reaches fault sites fails (FAULTS_MAX_NTH). */
#define MAX_NTH		4000
/* How long a packet that should come may take (the VM is slow). */
#define WAIT_MS		2000
#define PKT_MAX		2048
/* The UDP payload of every test packet: long enough that no frame needs padding. */
#define PAYLOAD		64
/* debugfs settings a test may change. */
#define MAX_KNOBS	48
/* link_add creates units from this number up. */
#define LINK_UNIT	800
/* Errnos counted per sweep. */
#define ERRNO_MAX	160

/* The made-up far end of a tap or vmnet. */
static const uint8_t mac_peer[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* ---- Small helpers ------------------------------------------------------------------------ */

static const char *errno_name(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "?";
}

static bool errno_in(const int *set, int err)
{
	for (; *set; set++) {
		if (*set == err)
			return true;
	}
	return false;
}

static unsigned int env_uint(const char *name, unsigned int def)
{
	const char *s = getenv(name);

	return s && *s ? (unsigned int)strtoul(s, NULL, 0) : def;
}

/* Reads a small file into buf, without its trailing newline; 0 or -errno. */
static int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return 0;
}

/* Writes `val` to a file; 0 or -errno. */
static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t len = strlen(val);

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

/* How many entries of `dir` are named <prefix>N: the interfaces or nodes of a kind. */
static int count_units(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (unit_of(prefix, e->d_name) >= 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Reads (and so drops) whatever `fd`, non-blocking, has to read. */
static void drain(int fd)
{
	uint8_t buf[PKT_MAX];

	for (int i = 0; i < 256; i++) {
		if (read(fd, buf, sizeof(buf)) < 0)
			break;
	}
}

/* ---- fail-nth ----------------------------------------------------------------------------- */

/* Arms fail-nth: the n-th fault site this thread reaches from now on fails. 0 or -errno. */
static int nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Disarms fail-nth and says whether the armed fault was injected: 1 if it was, 0 if the thread
 * never reached the n-th site, -errno if fail-nth misbehaves.
 */
static int nth_disarm(int fd)
{
	char buf[16];
	ssize_t len;
	int hit;

	/*
	 * The value is taken before it is copied out, and that copy is a fault site itself: if
	 * it took the last count (the value was 1), the read fails with EFAULT.
	 */
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	if (len < 0 && errno != EFAULT)
		return -errno;
	if (len < 0) {
		hit = 0;
	} else {
		buf[len] = 0;
		hit = strtoul(buf, NULL, 10) == 0;
	}
	/*
	 * One write of 0 disarms, whatever was left: its copy-in may be the site that fails
	 * (EFAULT), which leaves 0 as well.
	 */
	if (pwrite(fd, "0", 1, 0) != 1 && errno != EFAULT)
		return -errno;
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	if (len <= 0)
		return len < 0 ? -errno : -EIO;
	buf[len] = 0;
	if (strtoul(buf, NULL, 10) != 0)
		return -EBUSY;
	return hit;
}

/* ---- Fixture: one variant per driver ------------------------------------------------------- */

struct knob {
	char path[128];
	char old[32];
};

FIXTURE(faults) {
	int nth;			/* /proc/thread-self/fail-nth, or -1 */
	bool mounted;			/* we mounted debugfs */
	struct knob knobs[MAX_KNOBS];	/* debugfs settings changed, with their old values */
	int nknobs;
	int links, nodes;		/* the variant's interfaces and nodes before the test */
	unsigned int max_nth, stride, offset;
	int fd;				/* the unit the test works on (transient), or -1 */
	char name[IFNAMSIZ];		/* its interface */
	uint8_t mac[ETH_ALEN];		/* its MAC (tap, vmnet) */
	int sock;			/* the UDP socket the write test delivers to, or -1 */
	char link[IFNAMSIZ];		/* a unit link_add may have created, or "" */
	bool udev_stopped;		/* udevd stopped for the test (common.h) */
};

FIXTURE_VARIANT(faults) {
	const char *prefix;		/* cloning node and unit names */
	const char *kind;		/* rtnetlink kind */
	bool l2;			/* Ethernet */
	int net;			/* 10.86.<net>.0/24 for write, <net>+1 for read */
};

FIXTURE_VARIANT_ADD(faults, tun) {
	.prefix = "tun", .kind = "bsdtun", .l2 = false, .net = 1,
};

FIXTURE_VARIANT_ADD(faults, tap) {
	.prefix = "tap", .kind = "bsdtap", .l2 = true, .net = 3,
};

FIXTURE_VARIANT_ADD(faults, vmnet) {
	.prefix = "vmnet", .kind = "bsdvmnet", .l2 = true, .net = 5,
};

/*
 * Sets DEBUGFS/DIR/FILE to `val` and remembers the old value for knobs_restore(). -ENOENT if
 * the file does not exist (that capability or attribute is not built in).
 */
static int knob_set(FIXTURE_DATA(faults) *self, const char *dir, const char *file,
		    const char *val)
{
	struct knob *k = &self->knobs[self->nknobs];
	int ret;

	if (self->nknobs == MAX_KNOBS)
		return -ENOSPC;
	snprintf(k->path, sizeof(k->path), DEBUGFS "/%s/%s", dir, file);
	ret = read_str(k->path, k->old, sizeof(k->old));
	if (ret)
		return ret;
	ret = write_str(k->path, val);
	if (ret)
		return ret;
	self->nknobs++;
	return 0;
}

static void knobs_restore(FIXTURE_DATA(faults) *self)
{
	while (self->nknobs > 0) {
		struct knob *k = &self->knobs[--self->nknobs];

		write_str(k->path, k->old);
	}
}

/*
 * What fail-nth needs of the fault capabilities (see the top of the file). 0, -ENOENT if none
 * of failslab, fail_page_alloc and fail_usercopy is in debugfs, or another -errno, with what
 * failed in `what`.
 */
static int knobs_setup(FIXTURE_DATA(faults) *self, char *what, size_t size)
{
	const char *highmem = env_uint("FAULTS_IGNORE_HIGHMEM", 0) ? "Y" : "N";
	const struct { const char *dir, *file, *val; } knobs[] = {
		{ "failslab", "probability", "0" },
		{ "failslab", "ignore-gfp-wait", "N" },
		{ "failslab", "cache-filter", "N" },
		{ "fail_page_alloc", "probability", "0" },
		{ "fail_page_alloc", "ignore-gfp-wait", "N" },
		{ "fail_page_alloc", "ignore-gfp-highmem", highmem },
		{ "fail_page_alloc", "min-order", "0" },
		{ "fail_usercopy", "probability", "0" },
	};
	static const char *const caps[] = { "failslab", "fail_page_alloc", "fail_usercopy" };
	struct dirent *e;
	char path[PATH_MAX];
	int found = 0, ret = 0;
	DIR *d;

	/* Quiet first: every capability fail-nth may hit prints its failures otherwise. */
	d = opendir(DEBUGFS);
	if (!d) {
		snprintf(what, size, "opendir %s", DEBUGFS);
		return -errno;
	}
	while (!ret && (e = readdir(d))) {
		if (strncmp(e->d_name, "fail", 4))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s/verbose", e->d_name);
		if (access(path, F_OK))
			continue;
		ret = knob_set(self, e->d_name, "verbose", "0");
		if (ret)
			snprintf(what, size, "%s", path);
	}
	closedir(d);
	if (ret)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
		snprintf(path, sizeof(path), DEBUGFS "/%s", caps[i]);
		if (!access(path, F_OK))
			found++;
	}
	if (!found) {
		snprintf(what, size, "no failslab, fail_page_alloc or fail_usercopy in " DEBUGFS);
		return -ENOENT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		ret = knob_set(self, knobs[i].dir, knobs[i].file, knobs[i].val);
		if (ret == -ENOENT)
			continue;
		if (ret) {
			snprintf(what, size, DEBUGFS "/%s/%s", knobs[i].dir, knobs[i].file);
			return ret;
		}
	}
	return 0;
}

/* Undoes what the set-up did to debugfs. */
static void debugfs_restore(FIXTURE_DATA(faults) *self)
{
	knobs_restore(self);
	if (self->mounted)
		umount2(DEBUGFS, MNT_DETACH);
	self->mounted = false;
}

FIXTURE_SETUP(faults)
{
	struct statfs sfs;
	char what[PATH_MAX];
	int ret;

	self->nth = -1;
	self->fd = -1;
	self->sock = -1;
	self->max_nth = env_uint("FAULTS_MAX_NTH", MAX_NTH);
	self->stride = env_uint("FAULTS_STRIDE", 1);
	if (!self->stride)
		self->stride = 1;
	self->offset = env_uint("FAULTS_OFFSET", 0) % self->stride;
	self->links = count_units("/sys/class/net", variant->prefix);
	self->nodes = count_units("/dev", variant->prefix);
	ASSERT_LE(0, self->links);
	ASSERT_LE(0, self->nodes);
	if (access(FAIL_NTH, F_OK))
		SKIP(return, "no %s: a kernel without CONFIG_FAULT_INJECTION", FAIL_NTH);
	if (statfs(DEBUGFS, &sfs) || sfs.f_type != DEBUGFS_MAGIC) {
		if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL))
			SKIP(return, "cannot mount debugfs on %s: %s", DEBUGFS, strerror(errno));
		self->mounted = true;
	}
	what[0] = 0;
	ret = knobs_setup(self, what, sizeof(what));
	if (ret) {
		/* The teardown does not run after a failed set-up. */
		debugfs_restore(self);
		if (ret == -ENOENT)
			SKIP(return, "%s: no fault injection to configure", what);
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", what, strerror(-ret));
	}
	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (self->nth < 0) {
		ret = -errno;
		debugfs_restore(self);
		ASSERT_EQ(0, ret) TH_LOG("open %s: %s", FAIL_NTH, strerror(-ret));
	}
}

FIXTURE_TEARDOWN(faults)
{
	write_file("/sys/kernel/rcu_expedited", "0");
	if (self->udev_stopped)
		udev_start();
	if (self->nth >= 0) {
		/* Never left armed; but nothing below may run with a fault pending. */
		nth_disarm(self->nth);
		close(self->nth);
	}
	if (self->sock >= 0)
		close(self->sock);
	if (self->fd >= 0)
		close(self->fd);
	/* A unit left persistent by a failure half-way. */
	if (self->name[0])
		destroy_unit(self->name);
	if (self->link[0])
		link_del(self->link);
	debugfs_restore(self);
}

/* Clones a unit of the variant's kind for the test, transient; 0 or -errno. */
static int clone_unit(FIXTURE_DATA(faults) *self, const FIXTURE_VARIANT(faults) *variant)
{
	char path[32];
	int one = 1;

	snprintf(path, sizeof(path), "/dev/%s", variant->prefix);
	self->fd = open(path, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		return -errno;
	if (ioctl(self->fd, TUNSTRANSIENT, &one))
		return -errno;
	if (fd_name(self->fd, self->name))
		return -errno;
	if (variant->l2) {
		udev_settle();
		return if_mac(self->name, self->mac);
	}
	return 0;
}

/*
 * IPv4 only (no IPv6 packets in the queue), up: tun 10.86.NET.1 peer 10.86.NET.2; tap and
 * vmnet 10.86.NET.1/24 with the far end 10.86.NET.2 a permanent neighbour at mac_peer (no ARP).
 * Returns 0 on success.
 */
static int configure(FIXTURE_DATA(faults) *self, const FIXTURE_VARIANT(faults) *variant, int net)
{
	if (no_ipv6(self->name))
		return -1;
	if (!variant->l2) {
		if (ip("addr add 10.86.%d.1 peer 10.86.%d.2 dev %s", net, net, self->name))
			return -1;
		return ip("link set %s up", self->name);
	}
	if (ip("addr add 10.86.%d.1/24 dev %s", net, self->name))
		return -1;
	if (ip("link set %s up", self->name))
		return -1;
	return ip("neigh add 10.86.%d.2 lladdr 02:00:00:00:00:02 nud permanent dev %s", net,
		  self->name);
}

/* ---- The sweep ---------------------------------------------------------------------------- */

/* Where link_add's exchange got to. */
enum nl_stage { NL_SEND, NL_RECV, NL_ANSWER };

union ioarg {
	int i;
	struct tuninfo ti;
	struct ifreq ifr;
	uint8_t mac[32];
};

/* What an operation works with. */
struct ctx {
	FIXTURE_DATA(faults) *self;
	const FIXTURE_VARIANT(faults) *variant;
	char why[256];			/* what prepare() or check() found wrong */
	char path[32];			/* clone: the cloning node */
	int expect_unit;		/* clone: the number the open should give */
	int net;			/* write, read: the subnet */
	uint16_t port;			/* write: our UDP port; read: the far end's */
	size_t len;			/* write: the packet's length */
	int vnet;			/* write_vnet: the virtio-net header's length */
	size_t qlen;			/* read: the queued packet's length */
	unsigned long req;		/* ioctls: the request */
	union ioarg arg, old, want;	/* its argument; the setting before, and asked for */
	uint8_t ifmac[ETH_ALEN];	/* SIOCSIFADDR: the interface's own MAC */
	struct nl_req nl;		/* link_add: the request */
	int nlsock;
	enum nl_stage stage;
	char target[IFNAMSIZ];		/* the unit it asks for */
	uint8_t pkt[PKT_MAX];
	uint8_t buf[PKT_MAX];
	char nlbuf[4096] __attribute__((aligned(8)));
};

/*
 * An operation: prepare() gets run number n ready (without faults), run() is the operation
 * itself and nothing more (it runs armed), check() looks at the state afterwards (without
 * faults) and returns NULL or what is wrong.
 */
struct op {
	const char *name;
	const int *errs;		/* the errnos of a clean failure, 0-terminated */
	int (*prepare)(struct ctx *c, unsigned int n);
	long (*run)(struct ctx *c);
	const char *(*check)(struct ctx *c, unsigned int n, long ret);
};

static void ctx_init(struct ctx *c, FIXTURE_DATA(faults) *self,
		     const FIXTURE_VARIANT(faults) *variant)
{
	/* Also touches every page of it: no page fault while armed. */
	memset(c, 0, sizeof(*c));
	c->self = self;
	c->variant = variant;
	c->nlsock = -1;
}

static const char * __attribute__((format(printf, 2, 3))) why(struct ctx *c, const char *fmt,
							      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return c->why;
}

static void print_errnos(const char *op, const unsigned int *hist)
{
	char line[512];
	size_t len = 0;

	line[0] = 0;
	for (int e = 1; e < ERRNO_MAX && len < sizeof(line); e++) {
		if (hist[e])
			len += snprintf(line + len, sizeof(line) - len, "%s%s %u", len ? ", " : "",
					errno_name(e), hist[e]);
	}
	if (len)
		ksft_print_msg("faults: %s: errnos: %s\n", op, line);
}

/* Sites 1 to FULL_SITES are always tried, whatever the stride: the driver's own allocations come
 * first, and the small operations have fewer sites than that. */
#define FULL_SITES	16

/* The site after n: every one up to FULL_SITES, then FULL_SITES + 1 + offset, then every
 * stride-th. */
static unsigned int next_site(unsigned int n, unsigned int stride, unsigned int offset)
{
	if (n < FULL_SITES || stride == 1)
		return n + 1;
	if (n == FULL_SITES)
		return n + 1 + offset % stride;
	return n + stride;
}

/* Runs `op` with its fault sites failed in turn (next_site()), until it gets through without. */
static void sweep(struct __test_metadata *_metadata, struct ctx *c, const struct op *op)
{
	FIXTURE_DATA(faults) *self = c->self;
	unsigned int n, injected = 0, clean = 0, anyway = 0, hist[ERRNO_MAX] = { 0 };
	unsigned int stride = self->stride, full_until = 0;
	unsigned long long budget = env_uint("FAULTS_BUDGET_MS", 0), lap = now_ms();
	const char *bad;
	char how[96];
	long ret;
	int hit, err;

	/*
	 * Every site; with a FAULTS_BUDGET_MS, every site until the sweep has run that long, then
	 * every fourth, every 16th after the next budget, and so on: the sites nearest the
	 * operation's start (the driver's own allocations come first) are all tried, the long tail
	 * of the kernel's registration is sampled, and the run stays bounded.
	 */
	for (n = 1;; n = next_site(n, stride, self->offset)) {
		if (budget && now_ms() - lap > budget) {
			if (!full_until)
				full_until = n;
			stride *= 4;
			lap = now_ms();
		}
		ASSERT_GE(self->max_nth, n)
			TH_LOG("%s: still reaching fault sites at n=%u (FAULTS_MAX_NTH)", op->name, n);
		c->why[0] = 0;
		if (op->prepare) {
			err = op->prepare(c, n);
			ASSERT_EQ(0, err)
				TH_LOG("%s: n=%u: getting ready: %s", op->name, n, c->why);
		}
		err = nth_arm(self->nth, n);
		ASSERT_EQ(0, err) TH_LOG("arming %s: %s", FAIL_NTH, strerror(-err));
		ret = op->run(c);
		hit = nth_disarm(self->nth);
		ASSERT_LE(0, hit) TH_LOG("disarming %s: %s", FAIL_NTH, strerror(-hit));
		if (hit) {
			injected++;
			if (ret >= 0) {
				anyway++;
			} else {
				bool ok;

				err = (int)-ret;
				ok = errno_in(op->errs, err);
				if (err < ERRNO_MAX)
					hist[err]++;
				if (ok)
					clean++;
				EXPECT_TRUE(ok)
					TH_LOG("%s: n=%u: failed with %s (%d), not a clean errno",
					       op->name, n, errno_name(err), err);
			}
		} else {
			ASSERT_LE(0, ret) TH_LOG("%s: n=%u: failed with no fault injected: %s",
						 op->name, n, strerror((int)-ret));
		}
		bad = op->check(c, n, ret);
		ASSERT_TRUE(bad == NULL)
			TH_LOG("%s: n=%u (%s): %s", op->name, n,
			       ret < 0 ? errno_name((int)-ret) : "succeeded", bad);
		if (!hit)
			break;
	}
	if (self->stride == 1 && !full_until)
		snprintf(how, sizeof(how), "every one tried");
	else if (self->stride == 1)
		snprintf(how, sizeof(how), "every one up to %u tried, then every %u-th", full_until,
			 stride);
	else
		snprintf(how, sizeof(how), "every one up to %u tried, then every %u-th from %u",
			 FULL_SITES, stride, FULL_SITES + 1 + self->offset);
	ksft_print_msg("faults: %s: %u sites injected, %u failed cleanly, %u succeeded anyway; "
		       "%u sites in all, %s\n", op->name, injected, clean, anyway, n, how);
	print_errnos(op->name, hist);
	EXPECT_LT(0U, injected) TH_LOG("%s: no fault site reached: does fail-nth work?", op->name);
}

/* Are the variant's interfaces and nodes as many as before the test? */
static const char *units_as_before(struct ctx *c)
{
	const char *prefix = c->variant->prefix;
	int links = count_units("/sys/class/net", prefix);
	int nodes = count_units("/dev", prefix);

	if (links != c->self->links)
		return why(c, "%d %sN interfaces, %d before", links, prefix, c->self->links);
	if (nodes != c->self->nodes)
		return why(c, "%d /dev/%sN nodes, %d before", nodes, prefix, c->self->nodes);
	return NULL;
}

/*
 * Sweeps that register and unregister a unit per fault site: udevd stopped and expedited RCU
 * (see common.h; the teardown restores both).
 */
static void registration_sweep_setup(FIXTURE_DATA(faults) *self)
{
	self->udev_stopped = udev_stop();
	write_file("/sys/kernel/rcu_expedited", "1");
}

/* ---- Cloning ------------------------------------------------------------------------------ */

static int clone_prepare(struct ctx *c, unsigned int n)
{
	(void)n;
	c->expect_unit = lowest_free_unit(c->variant->prefix);
	if (c->expect_unit < 0) {
		why(c, "no free %s unit", c->variant->prefix);
		return -ENOSPC;
	}
	return 0;
}

static long clone_run(struct ctx *c)
{
	int fd = open(c->path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * An open that worked gave the lowest free unit (no number was left taken by an earlier
 * failure), with interface and node; made transient and closed, it is gone. Either way, as
 * many units as before are left.
 */
static const char *clone_check(struct ctx *c, unsigned int n, long ret)
{
	const char *prefix = c->variant->prefix, *bad = NULL;
	char name[IFNAMSIZ] = "";
	int fd = (int)ret, one = 1, err;

	(void)n;
	if (ret >= 0) {
		err = fd_name(fd, name);
		if (err)
			bad = why(c, "TUNGIFNAME: %s", strerror(-err));
		else if (unit_of(prefix, name) != c->expect_unit)
			bad = why(c, "got %s, %s%d was free", name, prefix, c->expect_unit);
		else if (!link_index(name))
			bad = why(c, "no interface %s", name);
		else if (!node_exists(name))
			bad = why(c, "no node /dev/%s", name);
		if (ioctl(fd, TUNSTRANSIENT, &one) && !bad)
			bad = why(c, "TUNSTRANSIENT: %s", strerror(errno));
		close(fd);
		if (bad) {
			destroy_unit(name);
			return bad;
		}
		if (link_index(name) || node_exists(name))
			return why(c, "%s still there after the close of the transient unit", name);
	}
	return units_as_before(c);
}

/* open("/dev/tun") and friends: a new unit. */
TEST_F_TIMEOUT(faults, clone, 1200)
{
	/* EINVAL: the kernel's, when the copy of the name fails (see the top of the file). */
	static const int errs[] = { ENOMEM, ENOBUFS, EFAULT, EINVAL, 0 };
	char name[32];
	struct op op = {
		.name = name, .errs = errs,
		.prepare = clone_prepare, .run = clone_run, .check = clone_check,
	};
	struct ctx c;

	ctx_init(&c, self, variant);
	snprintf(c.path, sizeof(c.path), "/dev/%s", variant->prefix);
	snprintf(name, sizeof(name), "%s clone", variant->prefix);
	registration_sweep_setup(self);
	sweep(_metadata, &c, &op);
}

/* ---- Opening a unit's node ------------------------------------------------------------- */

/* The unit closed and down (a vmnet stays up after its close). */
static int open_prepare(struct ctx *c, unsigned int n)
{
	(void)n;
	if (link_set_up(c->self->name, 0)) {
		why(c, "ip link set %s down", c->self->name);
		return -EIO;
	}
	return 0;
}

static long open_run(struct ctx *c)
{
	return open_node(c->self->name, 0);
}

/*
 * An open is all or nothing. One that worked bound the unit (a tap or vmnet is up, with
 * tap_up_on_open=1) and its close brings the interface down; one that failed left the unit
 * closed and down, and it opens again at once (before, a failed up-on-open left it busy, and
 * every later open got EBUSY).
 */
static const char *open_check(struct ctx *c, unsigned int n, long ret)
{
	const char *name = c->self->name;
	int fd = (int)ret, flags;

	(void)n;
	if (ret < 0) {
		flags = if_flags(name);
		if (flags < 0)
			return why(c, "%s: %s", name, strerror(-flags));
		if (flags & IFF_UP)
			return why(c, "%s is up after a failed open", name);
		fd = open_node(name, 0);
		if (fd < 0)
			return why(c, "the next open: %s", strerror(-fd));
	} else if (c->variant->l2 && !(if_flags(name) & IFF_UP)) {
		close(fd);
		return why(c, "%s is down after the open (tap_up_on_open=1)", name);
	}
	close(fd);
	flags = if_flags(name);
	if (flags < 0 || (!strcmp(c->variant->prefix, "vmnet") != !!(flags & IFF_UP)))
		return why(c, "%s is %s after the close", name, flags & IFF_UP ? "up" : "down");
	return NULL;
}

/* open("/dev/tapN") of an existing closed unit, with tap_up_on_open=1. */
TEST_F_TIMEOUT(faults, open_unit, 600)
{
	/* EFAULT: the kernel's, when the copy of the path fails. */
	static const int errs[] = { ENOMEM, ENOBUFS, ENFILE, EFAULT, 0 };
	char name[32];
	struct op op = { .name = name, .errs = errs, .prepare = open_prepare, .run = open_run,
			 .check = open_check };
	struct ctx c;
	int fd, ret;

	ret = module_reload("tap_up_on_open=1");
	ASSERT_EQ(0, ret) TH_LOG("reloading with tap_up_on_open=1: %s", strerror(-ret));
	/* A closed persistent unit: cloned, then closed. */
	fd = open_node(variant->prefix, 0);
	ASSERT_LE(0, fd) TH_LOG("open /dev/%s: %s", variant->prefix, strerror(-fd));
	ret = fd_name(fd, self->name);
	close(fd);
	ASSERT_EQ(0, ret);
	ctx_init(&c, self, variant);
	snprintf(name, sizeof(name), "%s open", variant->prefix);
	sweep(_metadata, &c, &op);
	self->name[0] = 0;
	ret = module_reload("");
	ASSERT_EQ(0, ret) TH_LOG("reloading with the defaults: %s", strerror(-ret));
}

/* ---- The packet path ---------------------------------------------------------------------- */

/* The payload of test packet `tag` `n`. */
static void payload(char p[PAYLOAD], const char *tag, unsigned int n)
{
	memset(p, '.', PAYLOAD);
	snprintf(p, PAYLOAD, "%s %u", tag, n);
}

/*
 * A packet (tun) or frame (tap, vmnet) from the far end to our port; its length. With a
 * virtio-net header (write_vnet), the header first, asking for the UDP checksum (NEEDS_CSUM,
 * the field holding the pseudo-header sum).
 */
static size_t build_in(struct ctx *c, uint8_t *buf, const char *tag, unsigned int n)
{
	const size_t h = (size_t)c->vnet, l2 = c->variant->l2 ? ETH_HLEN : 0;
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	char p[PAYLOAD];
	uint16_t field;
	size_t len;

	payload(p, tag, n);
	if (c->variant->l2)
		len = build_udp4_frame(buf + h, c->self->mac, mac_peer, v4(c->net, 2),
				       v4(c->net, 1), c->port + 1, c->port, p, PAYLOAD);
	else
		len = build_udp4(buf + h, v4(c->net, 2), v4(c->net, 1), c->port + 1, c->port, p,
				 PAYLOAD);
	if (!h)
		return len;
	field = csum_partial_pseudo4(v4(c->net, 2), v4(c->net, 1), IPPROTO_UDP, 8 + PAYLOAD);
	memcpy(buf + h + l2 + 20 + offsetof(struct udphdr, check), &field, 2);
	vh.csum_start = htole16((uint16_t)(l2 + 20));
	vh.csum_offset = htole16(offsetof(struct udphdr, check));
	memset(buf, 0, h);
	memcpy(buf, &vh, sizeof(vh));
	return h + len;
}

/* Is p[0..len) the packet or frame to the far end's port carrying `tag` `n`? */
static bool is_out(struct ctx *c, const uint8_t *p, size_t len, const char *tag, unsigned int n)
{
	char want[PAYLOAD];

	if (c->variant->l2) {
		if (eth_type(p, len) != ETHERTYPE_IP)
			return false;
		p += ETH_HLEN;
		len -= ETH_HLEN;
	}
	if (len != 28 + PAYLOAD || !is_udp4_to(p, len, v4(c->net, 2), c->port))
		return false;
	payload(want, tag, n);
	return !memcmp(udp4_payload(p), want, PAYLOAD);
}

static int write_prepare(struct ctx *c, unsigned int n)
{
	c->len = build_in(c, c->pkt, "fault", n);
	return 0;
}

static long write_run(struct ctx *c)
{
	ssize_t r = write(c->self->fd, c->pkt, c->len);

	return r < 0 ? -errno : r;
}

/* A write is whole or nothing, and the unit still delivers: a probe reaches the socket. */
static const char *write_check(struct ctx *c, unsigned int n, long ret)
{
	char want[PAYLOAD];
	size_t len;
	ssize_t r;

	if (ret >= 0 && (size_t)ret != c->len)
		return why(c, "wrote %ld of %zu bytes", ret, c->len);
	drain(c->self->sock);
	len = build_in(c, c->pkt, "probe", n);
	r = write(c->self->fd, c->pkt, len);
	if (r != (ssize_t)len)
		return why(c, "the probe's write: %s", r < 0 ? strerror(errno) : "short");
	/* A late copy of the packet written under injection may come first. */
	payload(want, "probe", n);
	for (int i = 0; i < 8; i++) {
		r = read_pkt(c->self->sock, c->buf, sizeof(c->buf), WAIT_MS);
		if (r < 0)
			return why(c, "the probe did not arrive: %s", strerror((int)-r));
		if (r == PAYLOAD && !memcmp(c->buf, want, PAYLOAD))
			return NULL;
	}
	return why(c, "the probe did not arrive");
}

/*
 * The write sweep on net `net`: a packet or frame for a local socket, with a `vnet`-byte
 * virtio-net header (and every offload) if `vnet` is not 0.
 */
static void write_sweep(struct __test_metadata *_metadata, FIXTURE_DATA(faults) *self,
			const FIXTURE_VARIANT(faults) *variant, int net, int vnet)
{
	static const int errs[] = { ENOBUFS, ENOMEM, EFAULT, 0 };
	char name[40];
	struct op op = {
		.name = name, .errs = errs,
		.prepare = write_prepare, .run = write_run, .check = write_check,
	};
	struct ctx c;
	int ret;

	ctx_init(&c, self, variant);
	c.net = net;
	c.port = (uint16_t)(8600 + c.net);
	c.vnet = vnet;
	ret = clone_unit(self, variant);
	ASSERT_EQ(0, ret) TH_LOG("cloning a %s unit: %s", variant->prefix, strerror(-ret));
	if (vnet) {
		ASSERT_EQ(0, set_int(self->fd, TUNSVNETHDR, vnet));
		ASSERT_EQ(0, set_int(self->fd, TUNSOFFLOAD, 0x6f));
	}
	ASSERT_EQ(0, configure(self, variant, c.net));
	self->sock = udp_listen(AF_INET, c.port);
	ASSERT_LE(0, self->sock) TH_LOG("bind 0.0.0.0:%u: %s", c.port, strerror(-self->sock));
	ASSERT_EQ(0, set_nonblock(self->sock));
	snprintf(name, sizeof(name), "%s write%s", variant->prefix, vnet ? " with a header" : "");
	sweep(_metadata, &c, &op);
}

/* A packet or frame written to an up unit, for a local socket. */
TEST_F_TIMEOUT(faults, write, 300)
{
	write_sweep(_metadata, self, variant, variant->net, 0);
}

/*
 * write with a virtio-net header (TUNSVNETHDR 10, the offloads on): the header's path, into
 * virtio_net_hdr_to_skb(), under faults. Nets 11, 13, 15.
 */
TEST_F_TIMEOUT(faults, write_vnet, 300)
{
	write_sweep(_metadata, self, variant, variant->net + 10, 10);
}

static int read_prepare(struct ctx *c, unsigned int n)
{
	char p[PAYLOAD];
	int err;

	drain(c->self->fd);
	payload(p, "fault", n);
	err = send_udp4(v4(c->net, 2), c->port, p, PAYLOAD);
	if (err) {
		why(c, "sendto: %s", strerror(-err));
		return err;
	}
	if (!wait_readable(c->self->fd, WAIT_MS)) {
		why(c, "the datagram was not queued");
		return -ETIMEDOUT;
	}
	c->qlen = (c->variant->l2 ? ETH_HLEN : 0) + 28 + PAYLOAD;
	memset(c->buf, 0, sizeof(c->buf));
	return 0;
}

static long read_run(struct ctx *c)
{
	ssize_t r = read(c->self->fd, c->buf, sizeof(c->buf));

	return r < 0 ? -errno : r;
}

/*
 * A read gets the whole packet, or nothing: then the packet is either dropped (as FreeBSD's
 * tunread drops it) or still queued whole. The unit still reads: a probe comes out.
 */
static const char *read_check(struct ctx *c, unsigned int n, long ret)
{
	char p[PAYLOAD];
	int avail = -1, err;
	ssize_t r;

	if (ret >= 0 && !is_out(c, c->buf, ret, "fault", n))
		return why(c, "read %ld bytes that are not the queued datagram", ret);
	if (ioctl(c->self->fd, FIONREAD, &avail))
		return why(c, "FIONREAD: %s", strerror(errno));
	if (avail != 0 && (ret >= 0 || avail != (int)c->qlen))
		return why(c, "FIONREAD %d after the read, the packet was %zu bytes", avail, c->qlen);
	drain(c->self->fd);
	payload(p, "probe", n);
	err = send_udp4(v4(c->net, 2), c->port, p, PAYLOAD);
	if (err)
		return why(c, "sendto: %s", strerror(-err));
	for (int i = 0; i < 8; i++) {
		r = read_pkt(c->self->fd, c->buf, sizeof(c->buf), WAIT_MS);
		if (r < 0)
			return why(c, "the probe was not read: %s", strerror((int)-r));
		if (is_out(c, c->buf, r, "probe", n))
			return NULL;
	}
	return why(c, "the probe was not read");
}

/* A packet or frame routed out of an up unit, read from its file. */
TEST_F_TIMEOUT(faults, read, 300)
{
	static const int errs[] = { EFAULT, 0 };
	char name[32];
	struct op op = {
		.name = name, .errs = errs,
		.prepare = read_prepare, .run = read_run, .check = read_check,
	};
	struct ctx c;
	int ret;

	ctx_init(&c, self, variant);
	c.net = variant->net + 1;
	c.port = (uint16_t)(8600 + c.net);
	ret = clone_unit(self, variant);
	ASSERT_EQ(0, ret) TH_LOG("cloning a %s unit: %s", variant->prefix, strerror(-ret));
	ASSERT_EQ(0, configure(self, variant, c.net));
	ASSERT_EQ(0, set_nonblock(self->fd));
	snprintf(name, sizeof(name), "%s read", variant->prefix);
	sweep(_metadata, &c, &op);
}

/* ---- ioctls ------------------------------------------------------------------------------- */

static long ioctl_run(struct ctx *c)
{
	return ioctl(c->self->fd, c->req, &c->arg) ? -errno : 0;
}

/* Saves -errno, records what failed, returns the saved value. */
static int prep_fail(struct ctx *c, const char *what)
{
	int err = -errno;

	why(c, "%s: %s", what, strerror(-err));
	return err;
}

/* TUNSIFINFO: the MTU 1400 and 1500 in turn (the kernel's MTU path), the baud rate n. */
static int sifinfo_prepare(struct ctx *c, unsigned int n)
{
	memset(&c->old, 0, sizeof(c->old));
	if (ioctl(c->self->fd, TUNGIFINFO, &c->old.ti))
		return prep_fail(c, "TUNGIFINFO");
	c->want = c->old;
	c->want.ti.mtu = c->old.ti.mtu == 1400 ? 1500 : 1400;
	c->want.ti.baudrate = (int)n;
	c->arg = c->want;
	return 0;
}

static const char *sifinfo_check(struct ctx *c, unsigned int n, long ret)
{
	struct tuninfo ti;
	long long mtu;

	(void)n;
	memset(&ti, 0, sizeof(ti));
	if (ioctl(c->self->fd, TUNGIFINFO, &ti))
		return why(c, "TUNGIFINFO: %s", strerror(errno));
	mtu = sys_val(c->self->name, "mtu");
	if (ti.mtu != mtu)
		return why(c, "TUNGIFINFO gives MTU %u, the interface has %lld", ti.mtu, mtu);
	if (ti.mtu != c->want.ti.mtu && (ret == 0 || ti.mtu != c->old.ti.mtu))
		return why(c, "MTU %u after a change from %u to %u", ti.mtu, c->old.ti.mtu,
			   c->want.ti.mtu);
	if (ioctl(c->self->fd, TUNSIFINFO, &c->want.ti))
		return why(c, "TUNSIFINFO again: %s", strerror(errno));
	mtu = sys_val(c->self->name, "mtu");
	if (mtu != c->want.ti.mtu)
		return why(c, "MTU %lld after TUNSIFINFO again to %u", mtu, c->want.ti.mtu);
	return NULL;
}

#define MODE_FLAGS	(IFF_BROADCAST | IFF_POINTOPOINT | IFF_MULTICAST)

/* TUNSIFMODE: broadcast and point-to-point in turn (the unit is down). */
static int sifmode_prepare(struct ctx *c, unsigned int n)
{
	int flags = if_flags(c->self->name);

	(void)n;
	if (flags < 0) {
		errno = -flags;
		return prep_fail(c, "SIOCGIFFLAGS");
	}
	c->old.i = flags & MODE_FLAGS;
	c->want.i = (flags & IFF_BROADCAST ? IFF_POINTOPOINT : IFF_BROADCAST) | IFF_MULTICAST;
	c->arg = c->want;
	return 0;
}

static const char *sifmode_check(struct ctx *c, unsigned int n, long ret)
{
	int flags = if_flags(c->self->name), err;

	(void)n;
	if (flags < 0)
		return why(c, "SIOCGIFFLAGS: %s", strerror(-flags));
	if ((flags & MODE_FLAGS) != c->want.i && (ret == 0 || (flags & MODE_FLAGS) != c->old.i))
		return why(c, "flags %#x after a change from %#x to %#x", flags & MODE_FLAGS,
			   c->old.i, c->want.i);
	err = set_int(c->self->fd, TUNSIFMODE, c->want.i);
	if (err)
		return why(c, "TUNSIFMODE again: %s", strerror(-err));
	flags = if_flags(c->self->name);
	if (flags < 0 || (flags & MODE_FLAGS) != c->want.i)
		return why(c, "flags %#x after TUNSIFMODE again to %#x", flags, c->want.i);
	return NULL;
}

static int gifname_prepare(struct ctx *c, unsigned int n)
{
	(void)n;
	memset(&c->arg, 0, sizeof(c->arg));
	return 0;
}

static const char *gifname_check(struct ctx *c, unsigned int n, long ret)
{
	char name[IFNAMSIZ];
	int err;

	(void)n;
	if (ret == 0 && strncmp(c->arg.ifr.ifr_name, c->self->name, IFNAMSIZ))
		return why(c, "TUNGIFNAME gave '%.*s'", IFNAMSIZ, c->arg.ifr.ifr_name);
	err = fd_name(c->self->fd, name);
	if (err)
		return why(c, "TUNGIFNAME again: %s", strerror(-err));
	if (strcmp(name, c->self->name))
		return why(c, "TUNGIFNAME again gave '%s'", name);
	return NULL;
}

/* The ioctl that reads back the int setting the ioctl `req` sets. */
static unsigned long getter_of(unsigned long req)
{
	switch (req) {
	case TUNSIFHEAD:
		return TUNGIFHEAD;
	case TAPSVNETHDR:
		return TAPGVNETHDR;
	case TUNSOFFLOAD:
		return TUNGOFFLOAD;
	default:
		return 0;
	}
}

/* TUNSIFHEAD on and off in turn; TAPSVNETHDR 0, 10, 12 in turn; TUNSOFFLOAD 0, TCP, all. */
static int setting_prepare(struct ctx *c, unsigned int n)
{
	int old = get_int(c->self->fd, getter_of(c->req));

	(void)n;
	if (old == INT_MIN)
		return prep_fail(c, "reading the setting");
	c->old.i = old;
	if (c->req == TUNSIFHEAD)
		c->want.i = !old;
	else if (c->req == TUNSOFFLOAD)
		c->want.i = old == 0 ? 0x07 : old == 0x07 ? 0x6f : 0;
	else
		c->want.i = old == 0 ? 10 : old == 10 ? 12 : 0;
	c->arg = c->want;
	return 0;
}

static const char *setting_check(struct ctx *c, unsigned int n, long ret)
{
	unsigned long get = getter_of(c->req);
	int now = get_int(c->self->fd, get), err;

	(void)n;
	if (now == INT_MIN)
		return why(c, "reading the setting: %s", strerror(errno));
	if (now != c->want.i && (ret == 0 || now != c->old.i))
		return why(c, "%d after a change from %d to %d", now, c->old.i, c->want.i);
	err = set_int(c->self->fd, c->req, c->want.i);
	if (err)
		return why(c, "setting it again: %s", strerror(-err));
	now = get_int(c->self->fd, get);
	if (now != c->want.i)
		return why(c, "%d after setting it again to %d", now, c->want.i);
	return NULL;
}

/* FIONREAD: 0, the unit being down. */
static int fionread_prepare(struct ctx *c, unsigned int n)
{
	(void)n;
	c->arg.i = -1;
	return 0;
}

static const char *fionread_check(struct ctx *c, unsigned int n, long ret)
{
	int avail = -1;

	(void)n;
	if (ret == 0 && c->arg.i != 0)
		return why(c, "FIONREAD gave %d, nothing is queued", c->arg.i);
	if (ioctl(c->self->fd, FIONREAD, &avail))
		return why(c, "FIONREAD again: %s", strerror(errno));
	if (avail != 0)
		return why(c, "FIONREAD again gave %d", avail);
	return NULL;
}

/* SIOCSIFADDR on the file: a new remote MAC each time; the interface's own MAC stays. */
static int sifaddr_prepare(struct ctx *c, unsigned int n)
{
	int err;

	memset(&c->old, 0, sizeof(c->old));
	if (ioctl(c->self->fd, SIOCGIFADDR, c->old.mac))
		return prep_fail(c, "SIOCGIFADDR");
	err = if_mac(c->self->name, c->ifmac);
	if (err) {
		errno = -err;
		return prep_fail(c, "SIOCGIFHWADDR");
	}
	memset(&c->want, 0xee, sizeof(c->want));
	c->want.mac[0] = 0x02;
	c->want.mac[1] = 0xfa;
	c->want.mac[2] = (uint8_t)(n >> 16);
	c->want.mac[3] = (uint8_t)(n >> 8);
	c->want.mac[4] = (uint8_t)n;
	c->want.mac[5] = (uint8_t)(c->old.mac[5] + 1);
	c->arg = c->want;
	return 0;
}

static const char *sifaddr_check(struct ctx *c, unsigned int n, long ret)
{
	uint8_t now[32], ifmac[ETH_ALEN];
	int err;

	(void)n;
	memset(now, 0, sizeof(now));
	if (ioctl(c->self->fd, SIOCGIFADDR, now))
		return why(c, "SIOCGIFADDR: %s", strerror(errno));
	if (memcmp(now, c->want.mac, ETH_ALEN) &&
	    (ret == 0 || memcmp(now, c->old.mac, ETH_ALEN)))
		return why(c, "the remote MAC is neither the old nor the new one");
	if (ioctl(c->self->fd, SIOCSIFADDR, c->want.mac))
		return why(c, "SIOCSIFADDR again: %s", strerror(errno));
	memset(now, 0, sizeof(now));
	if (ioctl(c->self->fd, SIOCGIFADDR, now) || memcmp(now, c->want.mac, ETH_ALEN))
		return why(c, "SIOCSIFADDR again did not set the remote MAC");
	err = if_mac(c->self->name, ifmac);
	if (err)
		return why(c, "SIOCGIFHWADDR: %s", strerror(-err));
	if (memcmp(ifmac, c->ifmac, ETH_ALEN))
		return why(c, "the interface's own MAC changed");
	return NULL;
}

static const int errs_copy[] = { EFAULT, 0 };
/* The ioctls that go through the kernel's notifiers (MTU, features) may also lack memory. */
static const int errs_copy_alloc[] = { EFAULT, ENOMEM, ENOBUFS, 0 };

static const struct ioctl_op {
	const char *name;
	unsigned long req;
	bool l3, l2;			/* for tun; for tap and vmnet */
	const int *errs;
	int (*prepare)(struct ctx *c, unsigned int n);
	const char *(*check)(struct ctx *c, unsigned int n, long ret);
} ioctl_ops[] = {
	{ "TUNSIFINFO", TUNSIFINFO, true, true, errs_copy_alloc, sifinfo_prepare, sifinfo_check },
	{ "TUNSIFMODE", TUNSIFMODE, true, false, errs_copy, sifmode_prepare, sifmode_check },
	{ "TUNGIFNAME", TUNGIFNAME, true, true, errs_copy, gifname_prepare, gifname_check },
	{ "TUNSIFHEAD", TUNSIFHEAD, true, false, errs_copy, setting_prepare, setting_check },
	{ "TAPSVNETHDR", TAPSVNETHDR, true, true, errs_copy_alloc, setting_prepare,
	  setting_check },
	{ "TUNSOFFLOAD", TUNSOFFLOAD, true, true, errs_copy_alloc, setting_prepare,
	  setting_check },
	{ "FIONREAD", FIONREAD, true, true, errs_copy, fionread_prepare, fionread_check },
	{ "SIOCSIFADDR", SIOCSIFADDR, false, true, errs_copy, sifaddr_prepare, sifaddr_check },
};

/* The ioctls that change or report a unit, on a unit that is down. */
TEST_F_TIMEOUT(faults, ioctls, 600)
{
	char name[48];
	struct op op = { .name = name, .run = ioctl_run };
	struct ctx c;
	int ret;

	ctx_init(&c, self, variant);
	ret = clone_unit(self, variant);
	ASSERT_EQ(0, ret) TH_LOG("cloning a %s unit: %s", variant->prefix, strerror(-ret));
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_ops); i++) {
		const struct ioctl_op *io = &ioctl_ops[i];

		if (variant->l2 ? !io->l2 : !io->l3)
			continue;
		snprintf(name, sizeof(name), "%s %s", variant->prefix, io->name);
		c.req = io->req;
		op.errs = io->errs;
		op.prepare = io->prepare;
		op.check = io->check;
		sweep(_metadata, &c, &op);
	}
}

/* ---- rtnetlink ---------------------------------------------------------------------------- */

/* The request for a fresh unit, and a bound socket to send it on. */
static int link_prepare(struct ctx *c, unsigned int n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	const char *kind = c->variant->kind;
	struct rtattr *info;
	int unit;

	(void)n;
	unit = free_unit_from(c->variant->prefix, LINK_UNIT);
	if (unit < 0) {
		why(c, "no free %s unit", c->variant->prefix);
		return -ENOSPC;
	}
	snprintf(c->target, sizeof(c->target), "%s%d", c->variant->prefix, unit);
	/* For the teardown, should the test stop half-way. */
	memcpy(c->self->link, c->target, IFNAMSIZ);
	nl_init(&c->nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	nl_put(&c->nl, IFLA_IFNAME, c->target, strlen(c->target) + 1);
	info = nl_nest(&c->nl, IFLA_LINKINFO);
	nl_put(&c->nl, IFLA_INFO_KIND, kind, strlen(kind));
	nl_nest_end(&c->nl, info);
	/* Bound now: the exchange under injection is the request alone. */
	c->nlsock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (c->nlsock < 0)
		return prep_fail(c, "socket(AF_NETLINK)");
	if (bind(c->nlsock, (struct sockaddr *)&sa, sizeof(sa)))
		return prep_fail(c, "bind(AF_NETLINK)");
	memset(c->nlbuf, 0, sizeof(c->nlbuf));
	return 0;
}

/*
 * Sends the request and takes the answer: 0 or -errno. The kernel handles the request within
 * send(), so the answer (or the socket error that replaces a lost one) is there at once.
 */
static long link_run(struct ctx *c)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)c->nlbuf;
	ssize_t n;

	c->stage = NL_SEND;
	if (send(c->nlsock, &c->nl, c->nl.nh.nlmsg_len, 0) < 0)
		return -errno;
	c->stage = NL_RECV;
	n = recv(c->nlsock, c->nlbuf, sizeof(c->nlbuf), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	c->stage = NL_ANSWER;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || nh->nlmsg_type != NLMSG_ERROR)
		return -EBADMSG;
	return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
}

/*
 * Acknowledged: the unit exists. Refused, or the request not sent: no unit. The answer lost
 * (recv failed): either. A unit that exists is complete (interface and node), opens, has its
 * name, and is deleted; in the end as many units as before are left.
 */
static const char *link_check(struct ctx *c, unsigned int n, long ret)
{
	static const char *const stage[] = { "send", "recv", "the answer" };
	const char *name = c->target;
	char got[IFNAMSIZ];
	bool exists, node;
	int fd, err;

	(void)n;
	close(c->nlsock);
	c->nlsock = -1;
	exists = link_index(name) != 0;
	node = node_exists(name);
	if (ret == 0 && !exists)
		return why(c, "acknowledged, but there is no interface %s", name);
	if (ret < 0 && c->stage != NL_RECV && (exists || node))
		return why(c, "failed in %s, but %s %s exists", stage[c->stage],
			   exists ? "the interface" : "the node of", name);
	if (exists != node)
		return why(c, "%s: interface %s, node %s", name, exists ? "there" : "missing",
			   node ? "there" : "missing");
	if (exists) {
		fd = open_node(name, 0);
		if (fd < 0)
			return why(c, "open /dev/%s: %s", name, strerror(-fd));
		err = fd_name(fd, got);
		close(fd);
		if (err)
			return why(c, "TUNGIFNAME on /dev/%s: %s", name, strerror(-err));
		if (strcmp(got, name))
			return why(c, "/dev/%s is unit %s", name, got);
		err = link_del(name);
		if (err)
			return why(c, "ip link del %s: %s", name, strerror(-err));
		if (link_index(name) || node_exists(name))
			return why(c, "%s still there after ip link del", name);
	}
	c->self->link[0] = 0;
	return units_as_before(c);
}

/* `ip link add <prefix>N type bsd<prefix>`. */
TEST_F_TIMEOUT(faults, link_add, 1200)
{
	/* EINVAL: the kernel's, when the copy of the name fails (see the top of the file). */
	static const int errs[] = { ENOMEM, ENOBUFS, EFAULT, EINVAL, 0 };
	char name[32];
	struct op op = {
		.name = name, .errs = errs,
		.prepare = link_prepare, .run = link_run, .check = link_check,
	};
	struct ctx c;

	ctx_init(&c, self, variant);
	snprintf(name, sizeof(name), "%s link_add", variant->prefix);
	registration_sweep_setup(self);
	sweep(_metadata, &c, &op);
	if (c.nlsock >= 0)
		close(c.nlsock);
}

TEST_HARNESS_MAIN
