// SPDX-License-Identifier: GPL-2.0
/*
 * tuntap_rs workout: model-checked random operation sequences on tun, tap and vmnet units.
 *
 * From a seed it prints, each of WORKOUT_THREADS threads owns a few unit slots (tun, tap, vmnet,
 * tun) and runs a random sequence of operations on them: cloning and by-node opens, closes,
 * `ip link add/del/set up/down/name/netns` (rtnetlink), reads and writes of valid and malformed
 * packets in every framing (plain, TUNSIFHEAD, TUNSLMODE, virtio-net header, Ethernet),
 * packets routed out of the unit by the stack, every ioctl with valid and hostile arguments,
 * poll/epoll readiness and SIGIO (O_ASYNC/FIOASYNC, counted exactly with F_SETSIG). After
 * every operation the unit is checked against the thread's model: errno, bytes, the queue's
 * exact contents (read back byte for byte), FIONREAD, poll, interface flags and name, counters.
 * Unit numbers that cloning hands out are checked across threads (never one another thread
 * holds). A seed runs in epochs; each epoch reloads the module with random parameters
 * (tun_devfs_cloning, tap_devfs_cloning, tap_up_on_open, tap_user_open, debug) when TUNTAP_KO
 * names the module, the first with the defaults.
 *
 * On the first divergence, the failing thread's operations are replayed single-threaded from a
 * clean state (module reloaded with the epoch's parameters, or every unit destroyed) and shrunk
 * by delta debugging until no single operation can be removed; the seed and that shortest
 * sequence are printed.
 *
 * Environment: WORKOUT_SEEDS (comma-separated; default 1,2,3,4), WORKOUT_OPS (operations per
 * seed, all threads together; default 600: about 6 s a seed on the debug kernel under TCG), WORKOUT_SECONDS (0: the fixed seeds only; >0:
 * then random seeds until that many seconds have passed), WORKOUT_THREADS (default 3),
 * WORKOUT_EPOCHS (default 2), WORKOUT_SHRINK_SECONDS (time limit of the shrinker; default 600).
 *
 * Output: TAP, one `ok N seed S: K ops` line per seed. Addresses: 10.87.0.0/16 (an unreachable
 * route covers it while the workout runs, so that nothing leaves through another interface).
 */
#define _GNU_SOURCE
#include <net/if_tun.h>
#include <net/if_tap.h>

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#define SUBNET		87
#include "common.h"

#define NSLOT		4
#define MAXTHREADS	8
#define QMAX		48
#define PKT_MAX		(65536 + 128)
#define PEER_MAC	((const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x02 })
#define OTHER_MAC	((const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x99 })
#define SIG_ASYNC	(SIGRTMIN + 1)
#define BADPTR		((void *)16)

enum { K_TUN, K_TAP, K_VMNET };
static const char *const prefix[] = { "tun", "tap", "vmnet" };
static const char *const kindname[] = { "bsdtun", "bsdtap", "bsdvmnet" };

enum op_kind {
	OP_CLONE, OP_LINKADD, OP_OPEN, OP_CLOSE, OP_DESTROY, OP_UP, OP_DOWN, OP_RENAME, OP_NETNS,
	OP_WRITE, OP_WRITE_BAD, OP_READ, OP_SEND, OP_IOC_FRAMING, OP_IOC_MISC, OP_EPOLL, OP_ASYNC,
	OP_FIONBIO, N_OPS
};
static const char *const opname[N_OPS] = {
	"clone", "linkadd", "open", "close", "destroy", "up", "down", "rename", "netns", "write",
	"write_bad", "read", "send", "ioctl_framing", "ioctl_misc", "epoll", "async", "fionbio",
};
static const int opweight[N_OPS] = {
	[OP_CLONE] = 4, [OP_LINKADD] = 2, [OP_OPEN] = 4, [OP_CLOSE] = 3, [OP_DESTROY] = 2,
	[OP_UP] = 6, [OP_DOWN] = 2, [OP_RENAME] = 2, [OP_NETNS] = 1, [OP_WRITE] = 14,
	[OP_WRITE_BAD] = 8, [OP_READ] = 16, [OP_SEND] = 16, [OP_IOC_FRAMING] = 9,
	[OP_IOC_MISC] = 10, [OP_EPOLL] = 2, [OP_ASYNC] = 2, [OP_FIONBIO] = 1,
};

struct op {
	uint8_t kind;
	uint8_t slot;
	uint32_t r;		/* the operation's random choices */
};

struct pkt {
	size_t len;
	uint8_t *data;		/* tun: framed as queued; tap/vmnet: the frame (header at read) */
};

struct slot {
	int kind;
	bool exists;
	int unit;
	char name[IFNAMSIZ];	/* the interface's current name */
	char node[IFNAMSIZ];	/* /dev/<node> */
	int fd;
	bool up, ifhead, lmode, transient, async;
	int vnet, offload, mtu, baudrate;
	unsigned int modeflags;	/* tun: IFF_POINTOPOINT/BROADCAST/MULTICAST */
	unsigned int vmioflags;	/* tap: IFF_DEBUG/IFF_NOTRAILERS */
	uint8_t mac[6], rmac[6];
	struct pkt q[QMAX];
	int qn;
	long long rx_errors, rx_dropped, rx_packets, tx_packets, tx_dropped;
	int sig_expected, sig_got;
	bool just_gone;
};

struct params {
	bool tun_cloning, tap_cloning, up_on_open, user_open;
	int debug;
};

struct worker {
	int id;
	uint64_t rng;
	bool replay;		/* single-threaded: stricter checks */
	bool trace;		/* print what each op does (the final replay) */
	struct slot slots[NSLOT];
	int udp, raw;
	int zombie;		/* a destroyed unit's file, while op_destroy looks at it */
	uint16_t port;
	struct op *log;
	int nlog, cap;
	int failed_at;		/* index in log, -1 */
	int fail_kind;
	char err[1024];
	unsigned long counts[N_OPS];
	unsigned long executed;
	int nops;
	int debug_level;	/* thread 0 only */
	uint32_t tag;
	uint8_t *buf, *exp;
};

static struct params cur_params, default_params;
static bool can_reload;
static int orig_ns = -1, other_ns = -1;
static int global_debug;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static int owner[3][1024];	/* worker id + 1 owning unit N of kind K, 0 if none */
static bool check_tx_dropped = true;
static int nthreads = 3, nepochs = 2, ops_per_seed = 600, shrink_seconds = 600;

/* ---- Random ------------------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A deterministic stream from an op's r. */
struct rs { uint64_t s; };
static uint32_t rnd(struct rs *r, uint32_t n)
{
	return n ? (uint32_t)(splitmix(&r->s) % n) : 0;
}

/* ---- Failures ------------------------------------------------------------------------------ */

#define FAIL(w, ...) do {							\
	snprintf((w)->err, sizeof((w)->err), __VA_ARGS__);			\
	return false;								\
} while (0)
#define CHECK(w, cond, ...) do {						\
	if (!(cond)) {								\
		int _n = snprintf((w)->err, sizeof((w)->err), "%s:%d: ",	\
				  __func__, __LINE__);				\
		snprintf((w)->err + _n, sizeof((w)->err) - _n, __VA_ARGS__);	\
		return false;							\
	}									\
} while (0)
#define NOTE(w, ...) do {							\
	if ((w)->trace) {							\
		printf("#        ");						\
		printf(__VA_ARGS__);						\
		printf("\n");							\
	}									\
} while (0)
#define ERRNO_EQ(w, what, got, want) \
	CHECK(w, (got) == (want), "%s: got %d (%s), want %d (%s)", what, got, \
	      strerror(-(got)), want, strerror(-(want)))

/* ---- Netlink: addresses and neighbours ----------------------------------------------------- */

static int addr_add(const char *name, in_addr_t local, in_addr_t peer, int plen)
{
	struct nl_req req;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = plen };
	int index = link_index(name);

	if (!index)
		return -ENODEV;
	ifa.ifa_index = index;
	nl_init(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, 0);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifa));
	memcpy(&req.ifi, &ifa, sizeof(ifa));
	nl_put(&req, IFA_LOCAL, &local, 4);
	nl_put(&req, IFA_ADDRESS, &peer, 4);
	return nl_talk(&req);
}

static int neigh_set(const char *name, in_addr_t ip, const uint8_t *mac)
{
	struct nl_req req;
	struct ndmsg nd = { .ndm_family = AF_INET, .ndm_state = NUD_PERMANENT };
	int index = link_index(name);

	if (!index)
		return -ENODEV;
	nd.ndm_ifindex = index;
	nl_init(&req, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, 0);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(nd));
	memcpy(&req.ifi, &nd, sizeof(nd));
	nl_put(&req, NDA_DST, &ip, 4);
	nl_put(&req, NDA_LLADDR, mac, 6);
	return nl_talk(&req);
}

/* ---- Module parameters and clean state ------------------------------------------------------ */

static int read_param(const char *p)
{
	char path[128], buf[16] = { 0 };
	int fd;

	snprintf(path, sizeof(path), "/sys/module/tuntap_rs/parameters/%s", p);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	close(fd);
	if (buf[0] == 'Y')
		return 1;
	if (buf[0] == 'N')
		return 0;
	return atoi(buf);
}

static struct params params_now(void)
{
	struct params d = { .tun_cloning = true, .tap_cloning = true };
	struct params p = {
		.tun_cloning = read_param("tun_devfs_cloning") != 0,
		.tap_cloning = read_param("tap_devfs_cloning") != 0,
		.up_on_open = read_param("tap_up_on_open") == 1,
		.user_open = read_param("tap_user_open") == 1,
		.debug = read_param("debug"),
	};
	if (p.debug < 0)
		p.debug = 0;
	/* Not in sysfs: the defaults, which scripts/vm and the other programs leave. */
	if (access("/sys/module/tuntap_rs/parameters/tap_up_on_open", R_OK))
		return d;
	return p;
}

static void params_str(const struct params *p, char *s, size_t n)
{
	snprintf(s, n, "tun_devfs_cloning=%d tap_devfs_cloning=%d tap_up_on_open=%d "
		 "tap_user_open=%d debug=%d", p->tun_cloning, p->tap_cloning, p->up_on_open,
		 p->user_open, p->debug);
}

/* Destroys every unit there is (the workout's: it runs alone). */
static void destroy_all_units(void)
{
	DIR *d = opendir("/sys/class/tuntap_rs");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char name[IFNAMSIZ];

		if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
			continue;
		memcpy(name, e->d_name, strlen(e->d_name) + 1);
		destroy_unit(name);
	}
	closedir(d);
}

/* A clean state with parameters `p` (the module reloaded if it can be); 0 or -errno. */
static int clean_state(const struct params *p)
{
	char s[200];
	int ret;

	memset(owner, 0, sizeof(owner));
	if (!can_reload) {
		destroy_all_units();
		cur_params = params_now();
		global_debug = -1;	/* unknown: other tests may have set it */
		return 0;
	}
	params_str(p, s, sizeof(s));
	/* A file closed by another thread a moment ago may still hold the module: retry. */
	for (int tries = 0; (ret = module_reload(s)) == -EAGAIN || ret == -EBUSY; tries++) {
		if (tries == 50)
			break;
		usleep(100 * 1000);
	}
	if (ret)
		return ret;
	/* What the module was loaded with (its parameters need not show in sysfs). */
	cur_params = *p;
	global_debug = p->debug;
	return 0;
}

/* ---- Packets ------------------------------------------------------------------------------- */

static in_addr_t local_ip(int net)
{
	return v4(net, 1);
}

static in_addr_t peer_ip(int net)
{
	return v4(net, 2);
}

static int slot_net(const struct worker *w, int i)
{
	return 1 + w->id * NSLOT + i;
}

/* An IPv4/UDP packet with the given ID (the kernel keeps a raw socket's ID and checksum). */
static size_t mk_udp4(uint8_t *b, in_addr_t src, in_addr_t dst, uint16_t dport, uint16_t id,
		      const uint8_t *payload, size_t plen)
{
	size_t n = build_udp4(b, src, dst, 4000, dport, payload, plen);
	struct iphdr *iph = (struct iphdr *)b;

	iph->id = htons(id ? id : 1);
	iph->frag_off = htons(IP_DF);
	ip4_recsum(iph);
	return n;
}

static void fill_payload(struct worker *w, uint8_t *p, size_t n, struct rs *r)
{
	uint32_t tag = ++w->tag;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(r, 256);
	if (n >= 8) {
		memcpy(p, &tag, 4);
		memcpy(p + 4, &w->id, 4);
	}
}

static void vnet_zero(uint8_t *p, int vnet)
{
	memset(p, 0, vnet);
}

/* Writes b[0..n) to fd, in one to three pieces; the result or -errno. */
static ssize_t do_write(int fd, const void *b, size_t n, struct rs *r)
{
	struct iovec iov[3];
	int k = 1 + (int)rnd(r, 3);
	size_t a, c;
	ssize_t ret;

	if (k == 1 || n < 2 || b == BADPTR) {
		ret = write(fd, b, n);
		return ret < 0 ? -errno : ret;
	}
	a = rnd(r, (uint32_t)n);
	c = a + rnd(r, (uint32_t)(n - a));
	iov[0] = (struct iovec){ (void *)b, a };
	iov[1] = (struct iovec){ (uint8_t *)b + a, c - a };
	iov[2] = (struct iovec){ (uint8_t *)b + c, n - c };
	ret = writev(fd, iov, 3);
	return ret < 0 ? -errno : ret;
}

static ssize_t do_read(int fd, void *b, size_t n, struct rs *r)
{
	struct iovec iov[2];
	size_t a;
	ssize_t ret;

	if (rnd(r, 3) || n < 2) {
		ret = read(fd, b, n);
		return ret < 0 ? -errno : ret;
	}
	a = rnd(r, (uint32_t)n);
	iov[0] = (struct iovec){ b, a };
	iov[1] = (struct iovec){ (uint8_t *)b + a, n - a };
	ret = readv(fd, iov, 2);
	return ret < 0 ? -errno : ret;
}

static void hexdump(char *out, size_t size, const uint8_t *p, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && i < 64 && o + 4 < size; i++)
		o += snprintf(out + o, size - o, "%02x", p[i]);
	if (n > 64 && o + 4 < size)
		snprintf(out + o, size - o, "...");
}

/* ---- The model ----------------------------------------------------------------------------- */

static int default_offload(int kind)
{
	return kind == K_TUN ? 0 : 0x6f;
}

static bool is_l2(const struct slot *s)
{
	return s->kind != K_TUN;
}

static void q_push(struct slot *s, const uint8_t *p, size_t n)
{
	struct pkt *k = &s->q[s->qn++];

	k->data = malloc(n);
	memcpy(k->data, p, n);
	k->len = n;
}

static void q_pop(struct slot *s)
{
	free(s->q[0].data);
	memmove(&s->q[0], &s->q[1], (s->qn - 1) * sizeof(s->q[0]));
	s->qn--;
}

static void q_purge(struct slot *s, bool count)
{
	if (count)
		s->tx_dropped += s->qn;
	while (s->qn)
		q_pop(s);
}

/* The head packet's length as a read sees it (FIONREAD). */
static size_t head_len(const struct slot *s)
{
	if (!s->qn)
		return 0;
	return s->q[0].len + (is_l2(s) ? s->vnet : 0);
}

/*
 * Gives up the slot's unit number in the cross-thread table. Called before the operation that
 * may free the number (ip link del, a transient unit's last close): once the kernel has freed
 * it, another thread's clone may get it before this thread has looked at the result.
 */
static void slot_release_number(struct worker *w, struct slot *s)
{
	pthread_mutex_lock(&reg_lock);
	if (s->unit >= 0 && s->unit < 1024 && owner[s->kind][s->unit] == w->id + 1)
		owner[s->kind][s->unit] = 0;
	pthread_mutex_unlock(&reg_lock);
}

static void slot_forget(struct worker *w, struct slot *s)
{
	q_purge(s, false);
	slot_release_number(w, s);
	s->exists = false;
	s->just_gone = true;
	s->async = false;
	s->sig_expected = s->sig_got = 0;
}

/* Drains this thread's pending SIGIO (SIG_ASYNC) signals, counting them per slot. */
static void drain_signals(struct worker *w, int zombie_fd, int *zombie_count)
{
	sigset_t set;
	siginfo_t si;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIG_ASYNC);
	while (sigtimedwait(&set, &si, &zero) == SIG_ASYNC) {
		if (zombie_fd >= 0 && si.si_fd == zombie_fd) {
			(*zombie_count)++;
			continue;
		}
		for (int i = 0; i < NSLOT; i++) {
			if (w->slots[i].fd >= 0 && w->slots[i].fd == si.si_fd)
				w->slots[i].sig_got++;
		}
	}
}

static bool check_counter(struct worker *w, struct slot *s, const char *c, long long want)
{
	long long got = stat_val(s->name, c);

	CHECK(w, got == want, "%s: %s is %lld, the model says %lld", s->name, c, got, want);
	return true;
}

/* Everything observable about slot `s` against the model. */
static bool check_slot(struct worker *w, struct slot *s)
{
	char name[IFNAMSIZ];
	int v, flags;

	if (!s->exists) {
		/* Another thread may clone the number at once: only names no clone takes. */
		if (s->just_gone && (w->replay || nthreads == 1 || s->unit >= 200)) {
			s->just_gone = false;
			CHECK(w, link_index(s->name) == 0, "%s still exists after destruction", s->name);
			CHECK(w, !node_exists(s->node), "/dev/%s still exists after destruction",
			      s->node);
		}
		return true;
	}
	CHECK(w, link_index(s->name) != 0, "interface %s (unit %s) is gone", s->name, s->node);
	CHECK(w, node_exists(s->node), "/dev/%s is gone", s->node);
	flags = if_flags(s->name);
	CHECK(w, flags >= 0, "SIOCGIFFLAGS %s: %s", s->name, strerror(-flags));
	CHECK(w, !!(flags & IFF_UP) == s->up, "%s: IFF_UP is %d, the model says %d", s->name,
	      !!(flags & IFF_UP), s->up);
	CHECK(w, !(flags & IFF_PROMISC), "%s: promiscuous", s->name);
	if (s->kind == K_TUN)
		CHECK(w, (flags & (IFF_POINTOPOINT | IFF_BROADCAST | IFF_MULTICAST)) == (int)s->modeflags,
		      "%s: mode flags 0x%x, the model says 0x%x", s->name,
		      flags & (IFF_POINTOPOINT | IFF_BROADCAST | IFF_MULTICAST), s->modeflags);
	else
		CHECK(w, (flags & (IFF_DEBUG | IFF_NOTRAILERS)) == (int)s->vmioflags,
		      "%s: flags 0x%x, the model says DEBUG/NOTRAILERS 0x%x", s->name, flags,
		      s->vmioflags);
	if (!check_counter(w, s, "rx_errors", s->rx_errors) ||
	    !check_counter(w, s, "rx_dropped", s->rx_dropped) ||
	    !check_counter(w, s, "rx_packets", s->rx_packets) ||
	    !check_counter(w, s, "tx_packets", s->tx_packets))
		return false;
	if (check_tx_dropped && !check_counter(w, s, "tx_dropped", s->tx_dropped))
		return false;
	if (s->fd < 0)
		return true;
	v = fd_name(s->fd, name);
	CHECK(w, v == 0 && !strcmp(name, s->name), "TUNGIFNAME: %d '%s', the model says '%s'", v,
	      v ? "" : name, s->name);
	v = get_int(s->fd, FIONREAD);
	CHECK(w, v == (int)head_len(s), "%s: FIONREAD %d, the model says %zu (%d queued)", s->name,
	      v, head_len(s), s->qn);
	{
		struct pollfd pfd = { .fd = s->fd,
				      .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM };
		int want = POLLOUT | POLLWRNORM | (s->qn ? POLLIN | POLLRDNORM : 0);

		CHECK(w, poll(&pfd, 1, 0) == 1 && pfd.revents == want,
		      "%s: poll revents 0x%x, the model says 0x%x", s->name, pfd.revents, want);
	}
	v = get_int(s->fd, TUNGTRANSIENT);
	CHECK(w, v == s->transient, "%s: TUNGTRANSIENT %d, model %d", s->name, v, s->transient);
	v = get_int(s->fd, TAPGVNETHDR);
	CHECK(w, v == s->vnet, "%s: TAPGVNETHDR %d, model %d", s->name, v, s->vnet);
	v = get_int(s->fd, TUNGOFFLOAD);
	CHECK(w, v == s->offload, "%s: TUNGOFFLOAD 0x%x, model 0x%x", s->name, v, s->offload);
	if (s->kind == K_TUN) {
		v = get_int(s->fd, TUNGIFHEAD);
		CHECK(w, v == s->ifhead, "%s: TUNGIFHEAD %d, model %d", s->name, v, s->ifhead);
	}
	drain_signals(w, -1, NULL);
	CHECK(w, s->sig_got == s->sig_expected, "%s: %d SIGIO signals, the model says %d", s->name,
	      s->sig_got, s->sig_expected);
	return true;
}

/* A new unit in slot s (named `name`, opened as `fd` or not): the model's initial state. */
static bool slot_created(struct worker *w, int i, const char *name, int fd, bool up)
{
	struct slot *s = &w->slots[i];
	int net = slot_net(w, i), ret, unit;

	memset(s->q, 0, sizeof(s->q));
	s->qn = 0;
	s->exists = true;
	s->just_gone = false;
	/* The slot owns the file from here: a failed check below must not leak it (an open file
	 * keeps the module loaded, and every later seed would fail to reload it). */
	s->fd = fd;
	snprintf(s->name, sizeof(s->name), "%s", name);
	unit = unit_of(prefix[s->kind], name);
	CHECK(w, unit >= 0, "new unit is named '%s', not %sN", name, prefix[s->kind]);
	s->unit = unit;
	snprintf(s->node, sizeof(s->node), "%s", name);
	pthread_mutex_lock(&reg_lock);
	ret = unit < 1024 ? owner[s->kind][unit] : 0;
	if (!ret && unit < 1024)
		owner[s->kind][unit] = w->id + 1;
	pthread_mutex_unlock(&reg_lock);
	CHECK(w, ret == 0, "%s handed out while thread %d holds it", name, ret - 1);
	s->up = up;
	s->ifhead = s->lmode = s->transient = s->async = false;
	s->vnet = 0;
	s->offload = default_offload(s->kind);
	s->mtu = 1500;
	s->baudrate = 0;
	s->modeflags = IFF_POINTOPOINT | IFF_MULTICAST;
	s->vmioflags = 0;
	s->rx_errors = s->rx_dropped = s->rx_packets = s->tx_packets = s->tx_dropped = 0;
	s->sig_expected = s->sig_got = 0;
	if (is_l2(s)) {
		ret = if_mac(name, s->mac);
		CHECK(w, ret == 0, "%s: no MAC: %s", name, strerror(-ret));
		memcpy(s->rmac, s->mac, 6);
		ret = addr_add(name, local_ip(net), local_ip(net), 24);
	} else {
		ret = addr_add(name, local_ip(net), peer_ip(net), 32);
	}
	CHECK(w, ret == 0, "%s: address: %s", name, strerror(-ret));
	return true;
}

/* ---- Operations ---------------------------------------------------------------------------- */

static bool cloning_on(int kind)
{
	return kind == K_TUN ? cur_params.tun_cloning : cur_params.tap_cloning;
}

static bool op_clone(struct worker *w, struct slot *s, int i, struct rs *r)
{
	char path[32], name[IFNAMSIZ];
	int fd, ret, want_unit = -1;

	(void)r;
	snprintf(path, sizeof(path), "/dev/%s", prefix[s->kind]);
	if (w->replay)
		want_unit = lowest_free_unit(prefix[s->kind]);
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (!cloning_on(s->kind)) {
		if (fd >= 0)
			close(fd);
		ERRNO_EQ(w, "open of a cloning node with cloning off", fd < 0 ? -errno : 0, -ENXIO);
		return true;
	}
	CHECK(w, fd >= 0, "open %s: %s", path, strerror(errno));
	ret = fd_name(fd, name);
	if (ret) {
		close(fd);
		FAIL(w, "TUNGIFNAME of a cloned unit: %s", strerror(-ret));
	}
	if (!slot_created(w, i, name, fd, is_l2(s) && cur_params.up_on_open))
		return false;
	CHECK(w, want_unit < 0 || s->unit == want_unit, "cloning gave %s, the lowest free is %d",
	      name, want_unit);
	return true;
}

static int fixed_unit(struct worker *w, int i)
{
	return 200 + w->id * NSLOT + i;
}

static bool op_linkadd(struct worker *w, struct slot *s, int i, struct rs *r)
{
	char name[IFNAMSIZ];
	int ret;

	switch (rnd(r, 4)) {
	case 0:	/* leading zero: not <prefix>N */
		snprintf(name, sizeof(name), "%s0%d", prefix[s->kind], fixed_unit(w, i));
		ERRNO_EQ(w, name, link_add(name, kindname[s->kind]), -EINVAL);
		break;
	case 1:	/* beyond IF_MAXUNIT */
		snprintf(name, sizeof(name), "%s%d", prefix[s->kind], 40000 + i);
		ERRNO_EQ(w, name, link_add(name, kindname[s->kind]), -ENOSPC);
		break;
	}
	snprintf(name, sizeof(name), "%s%d", prefix[s->kind], fixed_unit(w, i));
	ret = link_add(name, kindname[s->kind]);
	ERRNO_EQ(w, "ip link add", ret, 0);
	ERRNO_EQ(w, "ip link add of an existing unit", link_add(name, kindname[s->kind]), -EEXIST);
	return slot_created(w, i, name, -1, false);
}

static bool op_open(struct worker *w, struct slot *s, int i, struct rs *r)
{
	int fd, err;

	(void)r;
	if (!s->exists) {
		char name[IFNAMSIZ];

		snprintf(name, sizeof(name), "%s%d", prefix[s->kind], 300 + w->id * NSLOT + i);
		ERRNO_EQ(w, "open of a node of no unit", open_node(name, O_NONBLOCK), -ENOENT);
		return true;
	}
	fd = open_node(s->node, O_NONBLOCK);
	if (s->fd >= 0) {
		if (fd >= 0)
			close(fd);
		ERRNO_EQ(w, "second open", fd < 0 ? fd : 0, -EBUSY);
		return true;
	}
	err = fd < 0 ? fd : 0;
	ERRNO_EQ(w, "open of a closed unit", err, 0);
	s->fd = fd;
	memcpy(s->rmac, s->mac, 6);
	if (is_l2(s) && cur_params.up_on_open)
		s->up = true;
	return true;
}

static bool op_close(struct worker *w, struct slot *s, int i, struct rs *r)
{
	(void)i; (void)r;
	if (s->fd < 0)
		return true;
	drain_signals(w, -1, NULL);
	CHECK(w, s->sig_got == s->sig_expected, "%s: %d SIGIO signals, the model says %d",
	      s->name, s->sig_got, s->sig_expected);
	if (s->transient)
		slot_release_number(w, s);
	close(s->fd);
	s->fd = -1;
	q_purge(s, true);
	s->vnet = 0;
	s->offload = default_offload(s->kind);
	s->async = false;
	s->sig_expected = s->sig_got = 0;
	if (s->kind != K_VMNET)
		s->up = false;
	if (s->transient)
		slot_forget(w, s);
	return true;
}

static bool op_destroy(struct worker *w, struct slot *s, int i, struct rs *r)
{
	int ret, zfd = s->fd, zsig = 0;
	bool async = s->async;
	uint8_t b[64];

	(void)i; (void)r;
	if (!s->exists)
		return true;
	slot_release_number(w, s);
	ret = link_del(s->name);
	ERRNO_EQ(w, "ip link del", ret, 0);
	if (zfd >= 0) {
		/* A unit deleted under its open file: ENXIO, HUP. */
		struct pollfd pfd = { .fd = zfd, .events = POLLIN | POLLOUT };
		struct ifreq ifr;
		ssize_t n;

		s->fd = -1;
		w->zombie = zfd;	/* closed by worker_fini if a check fails */
		n = read(zfd, b, sizeof(b));
		ERRNO_EQ(w, "read after destruction", n < 0 ? -errno : (int)n, -ENXIO);
		n = write(zfd, b, 20);
		ERRNO_EQ(w, "write after destruction", n < 0 ? -errno : (int)n, -ENXIO);
		ret = ioctl(zfd, TUNGIFNAME, &ifr) ? -errno : 0;
		ERRNO_EQ(w, "TUNGIFNAME after destruction", ret, -ENXIO);
		ret = ioctl(zfd, FIONREAD, &ret) ? -errno : 0;
		ERRNO_EQ(w, "FIONREAD after destruction", ret, -ENXIO);
		ret = poll(&pfd, 1, 0);
		CHECK(w, ret == 1 && (pfd.revents & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR) &&
		      !(pfd.revents & POLLIN), "poll after destruction: revents 0x%x", pfd.revents);
		drain_signals(w, zfd, &zsig);
		CHECK(w, s->sig_got == s->sig_expected, "%s: %d SIGIO signals, model %d", s->name,
		      s->sig_got, s->sig_expected);
		CHECK(w, zsig == (async ? 1 : 0), "destruction under O_ASYNC: %d signals, want %d",
		      zsig, async ? 1 : 0);
		close(zfd);
		w->zombie = -1;
	}
	slot_forget(w, s);
	return true;
}

static bool op_updown(struct worker *w, struct slot *s, bool up)
{
	if (!s->exists)
		return true;
	ERRNO_EQ(w, up ? "ip link set up" : "ip link set down", link_set_up(s->name, up), 0);
	s->up = up;
	return true;
}

static bool op_rename(struct worker *w, struct slot *s, int i, struct rs *r)
{
	char new[IFNAMSIZ];
	int ret;

	(void)r;
	if (!s->exists)
		return true;
	if (!strcmp(s->name, s->node))
		snprintf(new, sizeof(new), "wk%d_%d_%s", w->id, i, prefix[s->kind]);
	else
		snprintf(new, sizeof(new), "%s", s->node);
	/* Linux 7.3 renames an interface that is up too (netif_change_name). */
	ret = link_rename(s->name, new);
	ERRNO_EQ(w, "rename", ret, 0);
	snprintf(s->name, sizeof(s->name), "%s", new);
	return true;
}

static bool op_netns(struct worker *w, struct slot *s, int i, struct rs *r)
{
	int ret, ret2 = 0, net = slot_net(w, i);

	(void)r;
	if (!s->exists || other_ns < 0)
		return true;
	ret = link_set_netns(s->name, other_ns);
	ERRNO_EQ(w, "ip link set netns", ret, 0);
	CHECK(w, link_index(s->name) == 0, "%s still here after moving it out", s->name);
	if (setns(other_ns, CLONE_NEWNET))
		FAIL(w, "setns: %s", strerror(errno));
	ret = link_index(s->name) ? 0 : -ENODEV;
	if (!ret)
		ret2 = link_set_netns(s->name, orig_ns);
	if (setns(orig_ns, CLONE_NEWNET))
		FAIL(w, "setns back: %s", strerror(errno));
	ERRNO_EQ(w, "the unit in the other namespace", ret, 0);
	ERRNO_EQ(w, "ip link set netns back", ret2, 0);
	/* Moving takes it down and its addresses away. */
	s->up = false;
	if (is_l2(s))
		ret = addr_add(s->name, local_ip(net), local_ip(net), 24);
	else
		ret = addr_add(s->name, local_ip(net), peer_ip(net), 32);
	ERRNO_EQ(w, "address after the move", ret, 0);
	return true;
}

/* The prefix a write carries before the packet: the family word and the virtio-net header. */
static size_t write_prefix(const struct slot *s, uint8_t *b, uint32_t family)
{
	size_t n = 0;

	if (s->kind == K_TUN && s->ifhead) {
		uint32_t f = htonl(family);

		memcpy(b, &f, 4);
		n = 4;
	}
	vnet_zero(b + n, s->vnet);
	return n + s->vnet;
}

static bool op_write(struct worker *w, struct slot *s, int i, struct rs *r)
{
	int net = slot_net(w, i);
	uint8_t *b = w->buf, payload[600];
	size_t plen = 1 + rnd(r, 500), n, pkt;
	bool is6 = s->kind == K_TUN && s->ifhead && rnd(r, 5) == 0;
	ssize_t ret;

	if (s->fd < 0 || !s->exists)
		return true;
	fill_payload(w, payload, plen, r);
	n = write_prefix(s, b, is6 ? AF_INET6 : AF_INET);
	if (is6) {
		struct in6_addr a = v6(net, 2), c = v6(net, 1);

		pkt = build_udp6(b + n, &a, &c, 4000, w->port, payload, plen);
	} else if (is_l2(s)) {
		pkt = build_udp4_frame(b + n, s->mac, PEER_MAC, peer_ip(net), local_ip(net), 4000,
				       w->port, payload, plen);
	} else {
		pkt = build_udp4(b + n, peer_ip(net), local_ip(net), 4000, w->port, payload, plen);
	}
	n += pkt;
	ret = do_write(s->fd, b, n, r);
	NOTE(w, "write of a %s packet, %zu bytes: %zd", is6 ? "IPv6" : "IPv4", n, ret);
	if (!s->up) {
		CHECK(w, ret == 0, "write while down: %zd (%s), want 0", ret,
		      ret < 0 ? strerror((int)-ret) : "");
		s->rx_dropped++;
	} else {
		CHECK(w, ret == (ssize_t)n, "write of %zu bytes: %zd (%s)", n, ret,
		      ret < 0 ? strerror((int)-ret) : "");
		s->rx_packets++;
	}
	/* What the stack received, before the write returned. */
	ret = recv(w->udp, w->exp, 2048, MSG_DONTWAIT);
	if (s->up && !is6) {
		CHECK(w, ret == (ssize_t)plen && !memcmp(w->exp, payload, plen),
		      "the written datagram (%zu bytes) did not reach its socket: %zd (%s)", plen,
		      ret, ret < 0 ? strerror(errno) : "other bytes");
	} else {
		CHECK(w, ret < 0 && errno == EAGAIN, "a datagram reached the socket: %zd", ret);
	}
	return true;
}

static bool op_write_bad(struct worker *w, struct slot *s, int i, struct rs *r)
{
	uint8_t *b = w->buf;
	size_t n = 0, hdr = (s->kind == K_TUN && s->ifhead ? 4 : 0);
	ssize_t ret;
	int want_err = 0;	/* -errno if up */
	long long *counter = NULL;	/* counted if up */
	const char *what = "";
	bool len_returned = false;

	(void)i;
	if (s->fd < 0 || !s->exists)
		return true;
	memset(b, 0, 512);
	switch (rnd(r, 7)) {
	case 0:
		what = "zero-length write";
		n = 0;
		break;
	case 1:
		what = "oversized write";
		n = (s->kind == K_TUN ? TUNMRU : TAPMRU) + hdr + s->vnet + 1 + rnd(r, 3);
		memset(b, 0x45, n);
		write_prefix(s, b, AF_INET);
		want_err = -EIO;
		counter = &s->rx_errors;
		break;
	case 2:
		what = "unreadable buffer";
		n = 60 + rnd(r, 100);
		want_err = -EFAULT;
		counter = &s->rx_errors;
		ret = do_write(s->fd, BADPTR, n, r);
		goto check;
	case 3:
		if (s->kind == K_TUN && s->ifhead) {
			if (rnd(r, 2)) {
				what = "write shorter than the family word";
				n = 1 + rnd(r, 3);
				want_err = -EINVAL;
			} else {
				static const uint32_t fam[] = { 0, 28, 7, 0xffffffff, 0x02000000 };
				uint32_t f = htonl(fam[rnd(r, 5)]);

				what = "write with an unknown family";
				memcpy(b, &f, 4);
				n = 4 + 40;
				want_err = -EAFNOSUPPORT;
			}
			counter = &s->rx_errors;
			break;
		}
		/* fall through */
	case 4:
		if (s->vnet) {
			n = write_prefix(s, b, AF_INET);
			if (rnd(r, 2)) {
				what = "write shorter than the virtio-net header";
				n = hdr + rnd(r, (uint32_t)s->vnet);
				if (hdr && n < hdr)
					n = hdr;
			} else {
				/* An unknown gso_type, or a checksum offset beyond the packet. */
				uint8_t *v = b + hdr;

				what = "write with a malformed virtio-net header";
				if (rnd(r, 2)) {
					v[1] = 0x7f;		/* gso_type */
					v[4] = 100;		/* gso_size */
				} else {
					v[0] = 1;		/* NEEDS_CSUM */
					v[6] = 0xf0;		/* csum_start */
					v[7] = 0x7f;
				}
				memset(b + n, 0x45, 60);
				n += 60;
			}
			want_err = -EINVAL;
			counter = &s->rx_errors;
			break;
		}
		/* fall through */
	case 5:
		if (is_l2(s)) {
			n = write_prefix(s, b, 0);
			if (rnd(r, 2)) {
				what = "runt frame";
				n += 1 + rnd(r, 13);
			} else {
				what = "frame for another host";
				n += build_udp4_frame(b + n, OTHER_MAC, PEER_MAC, peer_ip(1),
						      local_ip(1), 4000, w->port, "x", 1);
			}
			len_returned = true;
			counter = &s->rx_dropped;
			break;
		}
		/* fall through */
	default:
		n = write_prefix(s, b, AF_INET);
		if (is_l2(s)) {
			what = "broadcast frame of an unknown protocol";
			memset(b + n, 0xff, 6);
			memcpy(b + n + 6, PEER_MAC, 6);
			b[n + 12] = 0x88;
			b[n + 13] = 0xb5;
			n += 14 + 30 + rnd(r, 100);
		} else {
			what = "garbage packet";
			n += 20 + rnd(r, 100);	/* version 0: IPv4 drops it */
		}
		len_returned = true;
		counter = &s->rx_packets;
		/* No handler for the EtherType: the core counts it dropped. */
		if (is_l2(s))
			s->rx_dropped += s->up;
		break;
	}
	ret = do_write(s->fd, b, n, r);
check:
	NOTE(w, "%s, %zu bytes: %zd", what, n, ret);
	if (!s->up) {
		CHECK(w, ret == 0, "%s (%zu bytes) while down: %zd (%s), want 0", what, n, ret,
		      ret < 0 ? strerror((int)-ret) : "");
		s->rx_dropped++;
		return true;
	}
	if (n == 0) {
		CHECK(w, ret == 0, "%s: %zd", what, ret);
		return true;
	}
	if (len_returned)
		CHECK(w, ret == (ssize_t)n, "%s (%zu bytes): %zd (%s), want the length", what, n,
		      ret, ret < 0 ? strerror((int)-ret) : "");
	else
		CHECK(w, ret == want_err, "%s (%zu bytes): %zd (%s), want %s", what, n, ret,
		      ret < 0 ? strerror((int)-ret) : "", strerror(-want_err));
	if (counter)
		(*counter)++;
	ret = recv(w->udp, w->exp, 2048, MSG_DONTWAIT);
	CHECK(w, ret < 0 && errno == EAGAIN, "%s: a datagram reached the socket", what);
	return true;
}

static bool op_read(struct worker *w, struct slot *s, int i, struct rs *r)
{
	size_t size, want_len, full;
	ssize_t ret;
	uint8_t *e = w->exp;
	char h1[160], h2[160];

	(void)i;
	if (s->fd < 0 || !s->exists)
		return true;
	full = head_len(s);
	switch (rnd(r, 8)) {
	case 0:
		size = 0;
		break;
	case 1:
		size = s->vnet ? rnd(r, (uint32_t)s->vnet) : 0;
		break;
	case 2:
	case 3:
		size = full ? rnd(r, (uint32_t)full) : 1 + rnd(r, 100);
		break;
	default:
		size = PKT_MAX;
		break;
	}
	ret = do_read(s->fd, w->buf, size, r);
	NOTE(w, "read(%zu): %zd, %d queued", size, ret, s->qn);
	if ((int)size < s->vnet) {
		/* Nothing taken (an empty queue may say either). */
		CHECK(w, ret == -EINVAL || (!s->qn && ret == -EAGAIN),
		      "read of %zu bytes with a %d-byte virtio-net header: %zd (%s), want EINVAL",
		      size, s->vnet, ret, ret < 0 ? strerror((int)-ret) : "");
		return true;
	}
	if (!s->qn) {
		CHECK(w, ret == -EAGAIN, "read of an empty queue: %zd (%s), want EAGAIN", ret,
		      ret < 0 ? strerror((int)-ret) : "");
		return true;
	}
	if (is_l2(s)) {
		vnet_zero(e, s->vnet);
		memcpy(e + s->vnet, s->q[0].data, s->q[0].len);
	} else {
		memcpy(e, s->q[0].data, s->q[0].len);
	}
	want_len = size < full ? size : full;
	if (ret != (ssize_t)want_len || memcmp(w->buf, e, want_len)) {
		hexdump(h1, sizeof(h1), w->buf, ret > 0 ? (size_t)ret : 0);
		hexdump(h2, sizeof(h2), e, want_len);
		FAIL(w, "read(%zu) of a %zu-byte packet: %zd (%s) [%s], the model says %zu [%s]",
		     size, full, ret, ret < 0 ? strerror((int)-ret) : "", h1, want_len, h2);
	}
	q_pop(s);
	return true;
}

static bool op_send(struct worker *w, struct slot *s, int i, struct rs *r)
{
	int net = slot_net(w, i);
	uint8_t *b = w->buf, payload[1600], *e = w->exp;
	size_t plen = 1 + rnd(r, rnd(r, 4) ? 200 : 1400), n, en = 0;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	bool carrier = s->fd >= 0 || s->kind == K_VMNET;
	ssize_t ret;

	if (!s->exists || s->qn >= QMAX - 1)
		return true;
	if (is_l2(s) && s->up)
		ERRNO_EQ(w, "neighbour", neigh_set(s->name, peer_ip(net), PEER_MAC), 0);
	fill_payload(w, payload, plen, r);
	n = mk_udp4(b, local_ip(net), peer_ip(net), 9, (uint16_t)(1 + rnd(r, 65535)), payload,
		    plen);
	sin.sin_addr.s_addr = peer_ip(net);
	ret = sendto(w->raw, b, n, 0, (struct sockaddr *)&sin, sizeof(sin));
	ret = ret < 0 ? -errno : ret;
	NOTE(w, "send of %zu bytes via %s: %zd", n, s->name, ret);
	if (!s->up || (int)n > s->mtu) {
		CHECK(w, ret < 0, "sent %zu bytes through %s (down or above its MTU %d): %zd", n,
		      s->name, s->mtu, ret);
		return true;
	}
	if (!carrier) {
		/* No carrier: the qdisc drops it. */
		CHECK(w, ret == (ssize_t)n || ret == -ENOBUFS, "send through a closed %s: %zd",
		      s->name, ret);
		s->tx_dropped++;
		return true;
	}
	CHECK(w, ret == (ssize_t)n, "send through %s: %zd (%s)", s->name, ret,
	      ret < 0 ? strerror((int)-ret) : "");
	if (s->kind == K_TUN) {
		if (s->lmode) {
			struct sockaddr_in a = { .sin_family = AF_INET };

			a.sin_addr.s_addr = peer_ip(net);
			memcpy(e, &a, 16);
			en = 16;
		} else if (s->ifhead) {
			uint32_t f = htonl(AF_INET);

			memcpy(e, &f, 4);
			en = 4;
		}
		vnet_zero(e + en, s->vnet);
		en += s->vnet;
	} else {
		en = eth_hdr(e, PEER_MAC, s->mac, ETHERTYPE_IP);
	}
	memcpy(e + en, b, n);
	q_push(s, e, en + n);
	s->tx_packets++;
	if (s->async)
		s->sig_expected++;
	return true;
}

static bool op_ioc_framing(struct worker *w, struct slot *s, int i, struct rs *r)
{
	static const int vals[] = { 0, 1, 2, -1, 0x10000 };
	static const int vnets[] = { 0, 10, 12, 10, 12, 11, -1, 4, 24 };
	int v, ret, c = (int)rnd(r, 9);

	(void)i;
	if (s->fd < 0 || !s->exists)
		return true;
	NOTE(w, "framing ioctl case %d", c);
	switch (c) {
	case 0:
	case 1:
		v = vals[rnd(r, 5)];
		ret = set_int(s->fd, c ? TUNSLMODE : TUNSIFHEAD, v);
		if (is_l2(s)) {
			ERRNO_EQ(w, c ? "TUNSLMODE on a tap" : "TUNSIFHEAD on a tap", ret, -ENOTTY);
			break;
		}
		ERRNO_EQ(w, c ? "TUNSLMODE" : "TUNSIFHEAD", ret, 0);
		if (c) {
			s->lmode = v != 0;
			if (v)
				s->ifhead = false;
		} else {
			s->ifhead = v != 0;
			if (v)
				s->lmode = false;
		}
		break;
	case 2:
		ret = ioctl(s->fd, rnd(r, 2) ? TUNSIFHEAD : TUNSLMODE, BADPTR) ? -errno : 0;
		ERRNO_EQ(w, "TUNSIFHEAD/TUNSLMODE with a bad pointer", ret,
			 is_l2(s) ? -ENOTTY : -EFAULT);
		break;
	case 3:
	case 4:
		v = vnets[rnd(r, 9)];
		ret = set_int(s->fd, TAPSVNETHDR, v);
		if (v == 0 || v == 10 || v == 12) {
			ERRNO_EQ(w, "TAPSVNETHDR", ret, 0);
			s->vnet = v;
		} else {
			ERRNO_EQ(w, "TAPSVNETHDR of a bad length", ret, -EINVAL);
		}
		break;
	case 5:
		ret = ioctl(s->fd, rnd(r, 2) ? TAPSVNETHDR : TUNSOFFLOAD, BADPTR) ? -errno : 0;
		ERRNO_EQ(w, "TAPSVNETHDR/TUNSOFFLOAD with a bad pointer", ret, -EFAULT);
		break;
	case 6:
	case 7:
		if (rnd(r, 4)) {
			v = (int)(rnd(r, 128) & 0x6f);
			ERRNO_EQ(w, "TUNSOFFLOAD", set_int(s->fd, TUNSOFFLOAD, v), 0);
			s->offload = v;
		} else {
			static const int bad[] = { 0x10, 0x80, -1, 0x7f, 0x100 };

			v = bad[rnd(r, 5)];
			ERRNO_EQ(w, "TUNSOFFLOAD of an unknown bit", set_int(s->fd, TUNSOFFLOAD, v),
				 -EINVAL);
		}
		break;
	default:
		ret = ioctl(s->fd, rnd(r, 2) ? TUNGIFHEAD : TAPGVNETHDR, BADPTR) ? -errno : 0;
		CHECK(w, ret == -EFAULT || (ret == -ENOTTY && is_l2(s)),
		      "TUNGIFHEAD/TAPGVNETHDR with a bad pointer: %d", ret);
		break;
	}
	return true;
}

static bool op_ioc_misc(struct worker *w, struct slot *s, int i, struct rs *r)
{
	struct tuninfo ti, got;
	int v, ret;
	uint8_t mac[6];

	(void)i;
	if (s->fd < 0 || !s->exists)
		return true;
	v = (int)rnd(r, 12);
	NOTE(w, "misc ioctl case %d", v);
	switch (v) {
	case 0: {
		static const int modes[] = { IFF_POINTOPOINT, IFF_BROADCAST,
					     IFF_POINTOPOINT | IFF_MULTICAST,
					     IFF_BROADCAST | IFF_MULTICAST, 0, -1, IFF_UP,
					     IFF_POINTOPOINT | IFF_BROADCAST, INT_MIN };

		v = modes[rnd(r, 9)];
		ret = set_int(s->fd, TUNSIFMODE, v);
		if (is_l2(s))
			ERRNO_EQ(w, "TUNSIFMODE on a tap", ret, -ENOTTY);
		else if (v < 0)
			ERRNO_EQ(w, "TUNSIFMODE negative", ret, -EINVAL);
		else if (s->up)
			ERRNO_EQ(w, "TUNSIFMODE while up", ret, -EBUSY);
		else if ((v & ~IFF_MULTICAST) == IFF_POINTOPOINT ||
			 (v & ~IFF_MULTICAST) == IFF_BROADCAST) {
			ERRNO_EQ(w, "TUNSIFMODE", ret, 0);
			s->modeflags = (unsigned int)v;
		} else {
			ERRNO_EQ(w, "TUNSIFMODE of a bad mode", ret, -EINVAL);
		}
		break;
	}
	case 1: {
		static const int mtus[] = { -1, -1, 1500, 1400, 576, 68, 67, 65535, 9000 };
		int mtu = mtus[rnd(r, 9)], max = s->kind == K_TUN ? 65535 : 65521;
		bool type_ok = rnd(r, 5) != 0;

		if (mtu < 0)
			mtu = s->mtu;
		memset(&ti, 0, sizeof(ti));
		ti.baudrate = (int)rnd(r, 1000000);
		ti.mtu = (unsigned short)mtu;
		ti.type = type_ok ? (s->kind == K_TUN ? IFT_PPP : IFT_ETHER)
				  : (s->kind == K_TUN ? IFT_ETHER : IFT_PPP);
		ret = ioctl(s->fd, TUNSIFINFO, &ti) ? -errno : 0;
		if (!type_ok) {
			ERRNO_EQ(w, "TUNSIFINFO of another type", ret, -EPROTOTYPE);
		} else if (mtu != s->mtu && (mtu < 68 || mtu > max)) {
			ERRNO_EQ(w, "TUNSIFINFO with an MTU out of range", ret, -EINVAL);
		} else {
			ERRNO_EQ(w, "TUNSIFINFO", ret, 0);
			s->mtu = mtu;
			s->baudrate = ti.baudrate;
		}
		/* fall through to the check */
	}
	/* fall through */
	case 2:
		memset(&got, 0xa5, sizeof(got));
		ret = ioctl(s->fd, TUNGIFINFO, &got) ? -errno : 0;
		ERRNO_EQ(w, "TUNGIFINFO", ret, 0);
		CHECK(w, got.mtu == s->mtu && got.baudrate == s->baudrate &&
		      got.type == (s->kind == K_TUN ? IFT_PPP : IFT_ETHER),
		      "TUNGIFINFO: mtu %u baudrate %d type 0x%x; model mtu %d baudrate %d", got.mtu,
		      got.baudrate, got.type, s->mtu, s->baudrate);
		CHECK(w, sys_val(s->name, "mtu") == s->mtu, "%s: MTU %lld, model %d", s->name,
		      sys_val(s->name, "mtu"), s->mtu);
		break;
	case 3:
		v = (int)rnd(r, 3) * 2 - (rnd(r, 2) ? 0 : 1);	/* -1, 0, 1, 2, 3, 4 */
		ERRNO_EQ(w, "TUNSTRANSIENT", set_int(s->fd, TUNSTRANSIENT, v), 0);
		s->transient = v != 0;
		break;
	case 4:
		if (w->id != 0 || global_debug < 0) {
			v = get_int(s->fd, TUNGDEBUG);
			CHECK(w, v != INT_MIN, "TUNGDEBUG failed");
			break;
		}
		if (rnd(r, 2)) {
			v = (int)rnd(r, 5) - 1;
			ERRNO_EQ(w, "TUNSDEBUG", set_int(s->fd, TUNSDEBUG, v), 0);
			global_debug = v;
		}
		v = get_int(s->fd, TUNGDEBUG);
		CHECK(w, v == global_debug, "TUNGDEBUG %d, model %d", v, global_debug);
		break;
	case 5:
		ret = ioctl(s->fd, TUNSIFPID) ? -errno : 0;
		ERRNO_EQ(w, "TUNSIFPID", ret, is_l2(s) ? -ENOTTY : 0);
		break;
	case 6:
		if (is_l2(s)) {
			if (rnd(r, 2)) {
				for (int k = 0; k < 6; k++)
					mac[k] = (uint8_t)rnd(r, 256);
				ERRNO_EQ(w, "SIOCSIFADDR", ioctl(s->fd, SIOCSIFADDR, mac) ? -errno : 0,
					 0);
				memcpy(s->rmac, mac, 6);
			}
			memset(mac, 0, 6);
			ERRNO_EQ(w, "SIOCGIFADDR", ioctl(s->fd, SIOCGIFADDR, mac) ? -errno : 0, 0);
			CHECK(w, !memcmp(mac, s->rmac, 6), "SIOCGIFADDR: not the remote MAC of the model");
			ret = ioctl(s->fd, rnd(r, 2) ? SIOCGIFADDR : SIOCSIFADDR, BADPTR) ? -errno : 0;
			ERRNO_EQ(w, "SIOCGIFADDR/SIOCSIFADDR with a bad pointer", ret, -EFAULT);
		} else {
			ret = ioctl(s->fd, SIOCGIFADDR, mac) ? -errno : 0;
			ERRNO_EQ(w, "SIOCGIFADDR on a tun", ret, -ENOTTY);
		}
		break;
	case 7: {
		static const int fl[] = { 0, IFF_DEBUG, IFF_NOTRAILERS, IFF_PROMISC, IFF_BROADCAST,
					  IFF_ALLMULTI, 0x1000, IFF_UP, IFF_DEBUG | IFF_PROMISC };

		v = fl[rnd(r, 9)] | fl[rnd(r, 9)];
		ret = ioctl(s->fd, VMIO_SIOCSIFFLAGS, (long)v) ? -errno : 0;
		if (!is_l2(s)) {
			ERRNO_EQ(w, "VMIO_SIOCSIFFLAGS on a tun", ret, -ENOTTY);
			break;
		}
		ERRNO_EQ(w, "VMIO_SIOCSIFFLAGS", ret, 0);
		s->up = true;
		s->vmioflags = (unsigned int)v & (IFF_DEBUG | IFF_NOTRAILERS);
		break;
	}
	case 8: {
		pid_t tid = gettid();
		struct f_owner_ex ox = { .type = F_OWNER_TID, .pid = tid };

		ERRNO_EQ(w, "FIOSETOWN", set_int(s->fd, FIOSETOWN, getpid()), 0);
		v = get_int(s->fd, FIOGETOWN);
		CHECK(w, v == getpid(), "FIOGETOWN %d after FIOSETOWN %d", v, getpid());
		ERRNO_EQ(w, "TIOCSPGRP INT_MIN", set_int(s->fd, TIOCSPGRP, INT_MIN), -EINVAL);
		ERRNO_EQ(w, "F_SETOWN_EX", fcntl(s->fd, F_SETOWN_EX, &ox) ? -errno : 0, 0);
		v = get_int(s->fd, FIOGETOWN);
		CHECK(w, v == tid, "FIOGETOWN %d after F_SETOWN_EX of thread %d", v, tid);
		break;
	}
	case 9: {
		static const unsigned long unknown[] = { _IO('t', 250), _IOW('t', 77, int),
							 VMIO_SIOCSKEEP, VMIO_SIOCBRIDGE,
							 _IOR('T', 0xd2, int), 0x89f0 };
		unsigned long cmd = unknown[rnd(r, 6)];

		v = 0;
		ret = ioctl(s->fd, cmd, &v) ? -errno : 0;
		ERRNO_EQ(w, "an unknown ioctl", ret, -ENOTTY);
		break;
	}
	case 10:
		ret = ioctl(s->fd, rnd(r, 2) ? TUNGIFNAME : TUNGIFINFO, BADPTR) ? -errno : 0;
		ERRNO_EQ(w, "TUNGIFNAME/TUNGIFINFO with a bad pointer", ret, -EFAULT);
		ret = ioctl(s->fd, rnd(r, 2) ? FIONREAD : TUNSIFINFO, BADPTR) ? -errno : 0;
		ERRNO_EQ(w, "FIONREAD/TUNSIFINFO with a bad pointer", ret, -EFAULT);
		break;
	default:
		v = get_int(s->fd, FIONREAD);
		CHECK(w, v == (int)head_len(s), "FIONREAD %d, model %zu", v, head_len(s));
		break;
	}
	return true;
}

static bool op_epoll(struct worker *w, struct slot *s, int i, struct rs *r)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT }, out[2];
	int ep, n;
	unsigned int want;

	(void)i; (void)r;
	if (s->fd < 0 || !s->exists)
		return true;
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(w, ep >= 0, "epoll_create1: %s", strerror(errno));
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev)) {
		close(ep);
		FAIL(w, "EPOLL_CTL_ADD: %s", strerror(errno));
	}
	n = epoll_wait(ep, out, 2, 0);
	close(ep);
	want = EPOLLOUT | (s->qn ? EPOLLIN : 0);
	CHECK(w, n == 1 && out[0].events == want, "epoll: %d events 0x%x, model 0x%x", n,
	      n > 0 ? out[0].events : 0, want);
	return true;
}

static bool op_async(struct worker *w, struct slot *s, int i, struct rs *r)
{
	int fl, ret;

	(void)i;
	if (s->fd < 0 || !s->exists)
		return true;
	drain_signals(w, -1, NULL);
	CHECK(w, s->sig_got == s->sig_expected, "%s: %d SIGIO signals, the model says %d",
	      s->name, s->sig_got, s->sig_expected);
	fl = fcntl(s->fd, F_GETFL);
	if (!s->async) {
		struct f_owner_ex ox = { .type = F_OWNER_TID, .pid = gettid() };

		ERRNO_EQ(w, "F_SETOWN_EX", fcntl(s->fd, F_SETOWN_EX, &ox) ? -errno : 0, 0);
		ERRNO_EQ(w, "F_SETSIG", fcntl(s->fd, F_SETSIG, SIG_ASYNC) ? -errno : 0, 0);
		if (rnd(r, 2))
			ret = fcntl(s->fd, F_SETFL, fl | O_ASYNC) ? -errno : 0;
		else
			ret = set_int(s->fd, FIOASYNC, 1);
		ERRNO_EQ(w, "O_ASYNC on", ret, 0);
		s->async = true;
	} else {
		if (rnd(r, 2))
			ret = fcntl(s->fd, F_SETFL, fl & ~O_ASYNC) ? -errno : 0;
		else
			ret = set_int(s->fd, FIOASYNC, 0);
		ERRNO_EQ(w, "O_ASYNC off", ret, 0);
		s->async = false;
	}
	CHECK(w, !!(fcntl(s->fd, F_GETFL) & O_ASYNC) == s->async, "O_ASYNC flag not as set");
	s->sig_got = s->sig_expected = 0;
	return true;
}

static bool op_fionbio(struct worker *w, struct slot *s, int i, struct rs *r)
{
	(void)i; (void)r;
	if (s->fd < 0 || !s->exists)
		return true;
	ERRNO_EQ(w, "FIONBIO 0", set_int(s->fd, FIONBIO, 0), 0);
	CHECK(w, !(fcntl(s->fd, F_GETFL) & O_NONBLOCK), "FIONBIO 0 left O_NONBLOCK");
	ERRNO_EQ(w, "FIONBIO 1", set_int(s->fd, FIONBIO, 1), 0);
	CHECK(w, fcntl(s->fd, F_GETFL) & O_NONBLOCK, "FIONBIO 1 did not set O_NONBLOCK");
	return true;
}

/* Runs one operation; false on a divergence (w->err says which). Sets *ran if it applied. */
static bool run_op(struct worker *w, const struct op *o, bool *ran)
{
	struct slot *s = &w->slots[o->slot];
	struct rs r = { .s = o->r * 0x100000001ULL + o->kind };
	bool ok = true;

	*ran = true;
	switch (o->kind) {
	case OP_CLONE:
	case OP_LINKADD:
		if (s->exists) {
			*ran = false;
			return true;
		}
		ok = o->kind == OP_CLONE ? op_clone(w, s, o->slot, &r) : op_linkadd(w, s, o->slot, &r);
		break;
	case OP_OPEN: ok = op_open(w, s, o->slot, &r); break;
	case OP_CLOSE: *ran = s->fd >= 0; ok = op_close(w, s, o->slot, &r); break;
	case OP_DESTROY: *ran = s->exists; ok = op_destroy(w, s, o->slot, &r); break;
	case OP_UP: *ran = s->exists; ok = op_updown(w, s, true); break;
	case OP_DOWN: *ran = s->exists; ok = op_updown(w, s, false); break;
	case OP_RENAME: *ran = s->exists; ok = op_rename(w, s, o->slot, &r); break;
	case OP_NETNS: *ran = s->exists && other_ns >= 0; ok = op_netns(w, s, o->slot, &r); break;
	default:
		*ran = s->fd >= 0 && s->exists;
		switch (o->kind) {
		case OP_WRITE: ok = op_write(w, s, o->slot, &r); break;
		case OP_WRITE_BAD: ok = op_write_bad(w, s, o->slot, &r); break;
		case OP_READ: ok = op_read(w, s, o->slot, &r); break;
		case OP_SEND:
			*ran = s->exists && s->qn < QMAX - 1;
			ok = op_send(w, s, o->slot, &r);
			break;
		case OP_IOC_FRAMING: ok = op_ioc_framing(w, s, o->slot, &r); break;
		case OP_IOC_MISC: ok = op_ioc_misc(w, s, o->slot, &r); break;
		case OP_EPOLL: ok = op_epoll(w, s, o->slot, &r); break;
		case OP_ASYNC: ok = op_async(w, s, o->slot, &r); break;
		case OP_FIONBIO: ok = op_fionbio(w, s, o->slot, &r); break;
		}
	}
	if (ok)
		ok = check_slot(w, s);
	return ok;
}

/* A random operation that applies to the worker's current state (the model). */
static struct op gen_op(struct worker *w)
{
	struct op o;
	int total = 0, pick;
	const struct slot *s;
	bool allowed[N_OPS];

	o.slot = (uint8_t)(splitmix(&w->rng) % NSLOT);
	o.r = (uint32_t)splitmix(&w->rng);
	s = &w->slots[o.slot];
	for (int k = 0; k < N_OPS; k++) {
		if (!s->exists)
			allowed[k] = k == OP_CLONE || k == OP_LINKADD || k == OP_OPEN;
		else if (s->fd < 0)
			allowed[k] = k == OP_OPEN || k == OP_DESTROY || k == OP_UP || k == OP_DOWN ||
				     k == OP_RENAME || k == OP_NETNS || k == OP_SEND;
		else
			allowed[k] = k != OP_CLONE && k != OP_LINKADD;
		if (k == OP_NETNS && other_ns < 0)
			allowed[k] = false;
		if (allowed[k])
			total += opweight[k];
	}
	pick = (int)(splitmix(&w->rng) % (uint64_t)total);
	for (int k = 0; k < N_OPS; k++) {
		if (!allowed[k])
			continue;
		if (pick < opweight[k]) {
			o.kind = (uint8_t)k;
			return o;
		}
		pick -= opweight[k];
	}
	o.kind = OP_READ;
	return o;
}

static void worker_init(struct worker *w, int id, uint64_t seed)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->rng = seed;
	w->failed_at = -1;
	w->zombie = -1;
	w->port = (uint16_t)(8700 + id);
	w->buf = malloc(PKT_MAX);
	w->exp = malloc(PKT_MAX);
	for (int i = 0; i < NSLOT; i++) {
		w->slots[i].kind = i % 3;
		w->slots[i].fd = -1;
		w->slots[i].unit = -1;
	}
	w->udp = udp_listen(AF_INET, w->port);
	w->raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
}

/* Closes the worker's files (units stay; clean_state() takes them). */
static void worker_fini(struct worker *w)
{
	for (int i = 0; i < NSLOT; i++) {
		if (w->slots[i].fd >= 0)
			close(w->slots[i].fd);
		w->slots[i].fd = -1;
		q_purge(&w->slots[i], false);
	}
	if (w->zombie >= 0)
		close(w->zombie);
	w->zombie = -1;
	if (w->udp >= 0)
		close(w->udp);
	if (w->raw >= 0)
		close(w->raw);
	free(w->buf);
	free(w->exp);
	w->buf = w->exp = NULL;
}

static bool worker_sockets_ok(struct worker *w)
{
	if (w->udp < 0 || w->raw < 0) {
		snprintf(w->err, sizeof(w->err), "sockets: udp %d raw %d", w->udp, w->raw);
		return false;
	}
	return true;
}

/* Generates and runs w->nops operations, logging them. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	bool ran;

	w->cap = w->nops;
	w->log = calloc(w->cap + 1, sizeof(*w->log));
	if (!worker_sockets_ok(w)) {
		w->failed_at = 0;
		return NULL;
	}
	for (int k = 0; k < w->nops; k++) {
		struct op o = gen_op(w);

		w->log[w->nlog++] = o;
		if (!run_op(w, &o, &ran)) {
			w->failed_at = k;
			w->fail_kind = o.kind;
			return NULL;
		}
		if (ran) {
			w->counts[o.kind]++;
			w->executed++;
		}
	}
	/* A final look at every slot. */
	for (int i = 0; i < NSLOT; i++) {
		if (!check_slot(w, &w->slots[i])) {
			w->failed_at = w->nlog - 1;
			w->fail_kind = w->log[w->nlog - 1].kind;
			return NULL;
		}
	}
	return NULL;
}

/* ---- Replay and shrinking ------------------------------------------------------------------ */

static bool trace_replay;

/*
 * Replays ops[0..n) single-threaded as worker `id` from a clean state with parameters `p`;
 * returns the index of the failing op (its error in err), or -1.
 */
static int replay(int id, const struct params *p, const struct op *ops, int n, char *err,
		  size_t errsize)
{
	struct worker w;
	bool ran;
	int failed = -1;

	if (clean_state(p)) {
		snprintf(err, errsize, "cannot reach a clean state");
		return -2;
	}
	worker_init(&w, id, 0);
	w.replay = true;
	w.trace = trace_replay;
	if (!worker_sockets_ok(&w)) {
		worker_fini(&w);
		return -2;
	}
	for (int k = 0; k < n; k++) {
		NOTE(&w, "op %d: %s slot %d", k, opname[ops[k].kind], ops[k].slot);
		if (!run_op(&w, &ops[k], &ran)) {
			failed = k;
			snprintf(err, errsize, "%s", w.err);
			break;
		}
	}
	if (failed < 0) {
		for (int i = 0; i < NSLOT && failed < 0; i++) {
			if (!check_slot(&w, &w.slots[i])) {
				failed = n - 1;
				snprintf(err, errsize, "%s", w.err);
			}
		}
	}
	worker_fini(&w);
	return failed;
}

static bool reproduces(int id, const struct params *p, const struct op *ops, int n, int kind,
		       char *err, size_t errsize)
{
	int f;

	if (n == 0)
		return false;
	f = replay(id, p, ops, n, err, errsize);
	return f >= 0 && ops[f].kind == kind;
}

static void print_ops(int id, const struct op *ops, int n)
{
	for (int k = 0; k < n; k++)
		printf("#   %3d: %-14s slot %d (%s) r=0x%08x\n", k, opname[ops[k].kind], ops[k].slot,
		       prefix[ops[k].slot % 3], ops[k].r);
	(void)id;
}

/*
 * Delta debugging (ddmin) of ops[0..*n) against "replay fails at an op of kind `kind`", then
 * single removals until none can go. Bounded by the deadline.
 */
static void shrink(int id, const struct params *p, struct op *ops, int *n, int kind,
		   unsigned long long deadline, char *err, size_t errsize, int *replays)
{
	struct op *tmp = calloc(*n + 1, sizeof(*tmp));
	int chunks = 2;
	char e[1024];

	while (*n >= 2 && ms_left(deadline) > 0) {
		int size = (*n + chunks - 1) / chunks;
		bool reduced = false;

		for (int c = 0; c < chunks && ms_left(deadline) > 0; c++) {
			int lo = c * size, hi = lo + size < *n ? lo + size : *n, m = 0;

			if (lo >= *n)
				break;
			for (int k = 0; k < *n; k++) {
				if (k < lo || k >= hi)
					tmp[m++] = ops[k];
			}
			(*replays)++;
			if (reproduces(id, p, tmp, m, kind, e, sizeof(e))) {
				int f = replay(id, p, tmp, m, e, sizeof(e));

				(*replays)++;
				/* Keep the prefix up to the failing op. */
				*n = f >= 0 ? f + 1 : m;
				memcpy(ops, tmp, *n * sizeof(*ops));
				snprintf(err, errsize, "%s", e);
				chunks = chunks > 2 ? chunks - 1 : 2;
				reduced = true;
				break;
			}
		}
		if (!reduced) {
			if (chunks >= *n)
				break;
			chunks = chunks * 2 < *n ? chunks * 2 : *n;
		}
	}
	free(tmp);
}

/* ---- Seeds --------------------------------------------------------------------------------- */

static unsigned long total_ops, total_counts[N_OPS];

static struct params epoch_params(uint64_t *rng, int epoch)
{
	struct params p = default_params;

	if (epoch == 0 || !can_reload)
		return p;
	p.tun_cloning = splitmix(rng) % 4 != 0;
	p.tap_cloning = splitmix(rng) % 4 != 0;
	p.up_on_open = splitmix(rng) % 2;
	p.user_open = splitmix(rng) % 2;
	p.debug = (int)(splitmix(rng) % 3);
	return p;
}

/* Runs one seed; true if every epoch passed. */
static bool run_seed(int num, uint64_t seed)
{
	uint64_t rng = seed;
	struct worker *ws = calloc(nthreads, sizeof(*ws));
	unsigned long seed_ops = 0;
	unsigned long long t0 = now_ms(), work_ms = 0;
	bool ok = true;
	int per = ops_per_seed / (nepochs * nthreads);

	if (per < 1)
		per = 1;
	for (int e = 0; e < nepochs && ok; e++) {
		struct params p = epoch_params(&rng, e);
		pthread_t th[MAXTHREADS];
		char ps[200];

		params_str(&p, ps, sizeof(ps));
		if (clean_state(&p)) {
			printf("# seed %llu epoch %d: cannot reload the module (%s)\n",
			       (unsigned long long)seed, e, ps);
			ok = false;
			break;
		}
		unsigned long long tw = now_ms();

		for (int t = 0; t < nthreads; t++) {
			worker_init(&ws[t], t, splitmix(&rng));
			ws[t].nops = per;
			pthread_create(&th[t], NULL, worker_run, &ws[t]);
		}
		for (int t = 0; t < nthreads; t++)
			pthread_join(th[t], NULL);
		work_ms += now_ms() - tw;
		for (int t = 0; t < nthreads; t++) {
			seed_ops += ws[t].executed;
			for (int k = 0; k < N_OPS; k++)
				total_counts[k] += ws[t].counts[k];
		}
		for (int t = 0; t < nthreads && ok; t++) {
			struct worker *w = &ws[t];
			int n = w->failed_at + 1, replays = 0, f;
			char err[1024];

			if (w->failed_at < 0)
				continue;
			ok = false;
			printf("# seed %llu epoch %d (%s) thread %d: divergence at op %d (%s): %s\n",
			       (unsigned long long)seed, e, ps, t, w->failed_at,
			       opname[w->fail_kind], w->err);
			for (int u = 0; u < nthreads; u++)
				worker_fini(&ws[u]);
			f = replay(t, &p, w->log, n, err, sizeof(err));
			replays++;
			if (f < 0 || w->log[f].kind != w->fail_kind) {
				printf("# single-threaded replay of thread %d's %d ops does not reproduce it"
				       " (%s); its ops:\n", t, n, f < 0 ? "passes" : err);
				print_ops(t, w->log, n);
				break;
			}
			n = f + 1;
			snprintf(err, sizeof(err), "%s", w->err);
			shrink(t, &p, w->log, &n, w->fail_kind,
			       now_ms() + (unsigned long long)shrink_seconds * 1000, err, sizeof(err),
			       &replays);
			printf("# the shortest reproducer, traced:\n");
			trace_replay = true;
			replay(t, &p, w->log, n, err, sizeof(err));
			trace_replay = false;
			printf("# seed %llu: shortest reproducer (%d ops, %d replays; thread %d's "
			       "names and addresses, module parameters %s):\n",
			       (unsigned long long)seed, n, replays, t, ps);
			print_ops(t, w->log, n);
			printf("# it fails with: %s\n", err);
		}
		for (int t = 0; t < nthreads; t++) {
			if (ok)
				worker_fini(&ws[t]);
			free(ws[t].log);
		}
	}
	total_ops += seed_ops;
	clean_state(&default_params);
	printf("%s %d seed %llu: %lu ops, %llu ms (%llu ms running them)\n", ok ? "ok" : "not ok",
	       num, (unsigned long long)seed, seed_ops, now_ms() - t0, work_ms);
	fflush(stdout);
	free(ws);
	return ok;
}

/* ---- Set-up and main ------------------------------------------------------------------------ */

static char old_disable_ipv6[16];
static bool udev_stopped, route_added;

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : def;
}

static void setup(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIG_ASYNC);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, old_disable_ipv6, sizeof(old_disable_ipv6) - 1) <= 0)
			old_disable_ipv6[0] = 0;
		close(fd);
		write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	}
	route_added = ip_quiet("route add unreachable 10.%d.0.0/16", SUBNET) == 0;
	udev_stopped = udev_stop();
	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (unshare(CLONE_NEWNET) == 0) {
		other_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (setns(orig_ns, CLONE_NEWNET)) {
			perror("setns");
			exit(1);
		}
	}
}

static void teardown(void)
{
	clean_state(&default_params);
	if (!can_reload)
		destroy_all_units();
	if (old_disable_ipv6[0])
		write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", old_disable_ipv6);
	if (route_added)
		ip_quiet("route del unreachable 10.%d.0.0/16", SUBNET);
	if (udev_stopped)
		udev_start();
	if (other_ns >= 0)
		close(other_ns);
}

int main(void)
{
	const char *seeds = getenv("WORKOUT_SEEDS");
	int seconds = env_int("WORKOUT_SECONDS", 0), num = 0, failed = 0;
	unsigned long long t0 = now_ms();
	char buf[512], *tok, *save = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ops_per_seed = env_int("WORKOUT_OPS", ops_per_seed);
	nthreads = env_int("WORKOUT_THREADS", nthreads);
	nepochs = env_int("WORKOUT_EPOCHS", nepochs);
	shrink_seconds = env_int("WORKOUT_SHRINK_SECONDS", shrink_seconds);
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAXTHREADS)
		nthreads = MAXTHREADS;
	if (nepochs < 1)
		nepochs = 1;
	if (getenv("WORKOUT_NO_TX_DROPPED"))
		check_tx_dropped = false;
	printf("TAP version 13\n");
	if (access("/sys/module/tuntap_rs", F_OK)) {
		printf("ok 1 workout # SKIP tuntap_rs is not loaded\n1..1\n");
		return 0;
	}
	default_params = params_now();
	default_params.debug = read_param("debug") < 0 ? 0 : read_param("debug");
	can_reload = getenv("TUNTAP_KO") != NULL;
	printf("# workout: threads %d, epochs %d, ops per seed %d, seconds %d, module %s\n",
	       nthreads, nepochs, ops_per_seed, seconds,
	       can_reload ? "reloaded per epoch (TUNTAP_KO)" : "not reloaded (no TUNTAP_KO)");
	setup();
	snprintf(buf, sizeof(buf), "%s", seeds && *seeds ? seeds : "1,2,3,4");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint64_t seed = strtoull(tok, NULL, 0);

		if (!run_seed(++num, seed))
			failed++;
	}
	if (seconds > 0) {
		unsigned long long end = t0 + (unsigned long long)seconds * 1000;

		while (ms_left(end) > 0) {
			uint64_t seed = (uint64_t)time(NULL) * 1000003ULL ^ now_ms();

			if (!run_seed(++num, seed % 1000000007ULL))
				failed++;
		}
	}
	teardown();
	printf("# workout: %d seeds, %lu ops in %llu ms; per kind:", num, total_ops,
	       now_ms() - t0);
	for (int k = 0; k < N_OPS; k++)
		printf(" %s %lu", opname[k], total_counts[k]);
	printf("\n1..%d\n", num);
	return failed ? 1 : 0;
}
