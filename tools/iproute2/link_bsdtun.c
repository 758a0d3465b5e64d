// SPDX-License-Identifier: GPL-2.0
/*
 * An iproute2 plugin that prints tuntap_rs's link info: `ip -d link show tun0` shows the unit's
 * BSD state (unit, framing, open, controlling pid, transient, virtio-net header), as FreeBSD's
 * `ifconfig tun0` shows "Opened by PID N". `ip` loads $IP_LIB_DIR/link_<kind>.so (default
 * /usr/lib/<triplet>/ip) for a kind it does not know and looks up <kind>_link_util in it: this one
 * file serves bsdtun, bsdtap and bsdvmnet (install it under the three names).
 *
 * iproute2 has no installed headers for plugins: struct link_util and the print functions are
 * declared here as iproute2 6.1 (ip/ip_common.h, include/json_print.h) defines them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <linux/rtnetlink.h>
#include <net/tuntap_rs_link.h>

struct nlmsghdr;

struct link_util {
	struct link_util *next;
	const char *id;
	int maxattr;
	int (*parse_opt)(struct link_util *, int, char **, struct nlmsghdr *);
	void (*print_opt)(struct link_util *, FILE *, struct rtattr *[]);
	void (*print_xstats)(struct link_util *, FILE *, struct rtattr *);
	void (*print_help)(struct link_util *, int, char **, FILE *);
	int (*parse_ifla_xstats)(struct link_util *, int, char **);
	int (*print_ifla_xstats)(struct nlmsghdr *, void *);
};

enum output_type { PRINT_FP = 1, PRINT_JSON = 2, PRINT_ANY = 4 };
/* The last of iproute2's enum color_attr: no colour. */
#define COLOR_NONE 6

int print_color_uint(enum output_type t, int color, const char *key, const char *fmt,
		     unsigned int value);
int print_color_string(enum output_type t, int color, const char *key, const char *fmt,
		       const char *value);
int print_color_bool(enum output_type t, int color, const char *key, const char *fmt,
		     bool value);

static unsigned int attr_u32(struct rtattr *a)
{
	return *(const __u32 *)RTA_DATA(a);
}

static unsigned int attr_u8(struct rtattr *a)
{
	return *(const __u8 *)RTA_DATA(a);
}

static void bsdtun_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	static const char *const modes[] = {
		[BSDTUN_MODE_PLAIN] = "plain",
		[BSDTUN_MODE_IFHEAD] = "ifhead",
		[BSDTUN_MODE_LMODE] = "lmode",
		[BSDTUN_MODE_ETHERNET] = "ethernet",
	};
	unsigned int mode;

	(void)lu;
	(void)f;
	if (!tb)
		return;
	if (tb[IFLA_BSDTUN_UNIT])
		print_color_uint(PRINT_ANY, COLOR_NONE, "unit", "unit %u ",
				 attr_u32(tb[IFLA_BSDTUN_UNIT]));
	if (tb[IFLA_BSDTUN_MODE]) {
		mode = attr_u8(tb[IFLA_BSDTUN_MODE]);
		print_color_string(PRINT_ANY, COLOR_NONE, "mode", "mode %s ",
				   mode < sizeof(modes) / sizeof(modes[0]) ? modes[mode] : "unknown");
	}
	if (tb[IFLA_BSDTUN_OPEN])
		print_color_bool(PRINT_ANY, COLOR_NONE, "open", "open %s ",
				 attr_u8(tb[IFLA_BSDTUN_OPEN]));
	if (tb[IFLA_BSDTUN_PID])
		print_color_uint(PRINT_ANY, COLOR_NONE, "pid", "pid %u ",
				 attr_u32(tb[IFLA_BSDTUN_PID]));
	if (tb[IFLA_BSDTUN_TRANSIENT])
		print_color_bool(PRINT_ANY, COLOR_NONE, "transient", "transient %s ",
				 attr_u8(tb[IFLA_BSDTUN_TRANSIENT]));
	if (tb[IFLA_BSDTUN_VNET_HDR])
		print_color_uint(PRINT_ANY, COLOR_NONE, "vnet_hdr", "vnet_hdr %u ",
				 attr_u32(tb[IFLA_BSDTUN_VNET_HDR]));
}

struct link_util bsdtun_link_util = {
	.id = "bsdtun", .maxattr = IFLA_BSDTUN_MAX, .print_opt = bsdtun_print_opt,
};

struct link_util bsdtap_link_util = {
	.id = "bsdtap", .maxattr = IFLA_BSDTUN_MAX, .print_opt = bsdtun_print_opt,
};

struct link_util bsdvmnet_link_util = {
	.id = "bsdvmnet", .maxattr = IFLA_BSDTUN_MAX, .print_opt = bsdtun_print_opt,
};
