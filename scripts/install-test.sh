#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host checks (no VM) of what tuntap_rs installs:
#   - `make install DESTDIR=<tmp> PREFIX=/usr INSTALL_MOD_PATH=<tmp>` against a kernel tree puts
#     the module, the BSD headers and the man page in place and runs depmod;
#   - every module parameter names the FreeBSD sysctl it stands for (modinfo);
#   - the man page Documentation/tuntap_rs.4 lints clean (mandoc -T lint, groff -ww);
#   - the worked example of Documentation/porting.rst compiles against the installed headers.
#
#   scripts/install-test.sh [KDIR]   default KDIR: the cached debug kernel (scripts/kernel.sh debug)
#
# The module is built in a scratch copy of the sources, so the tree's own build (and a VM that
# may be loading its tuntap_rs.ko) is left alone. Prints `ok - ...`/`not ok - ...` lines and
# ends with `host checks: N passed, N failed`; exits non-zero when a check failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

. "$here/tap.sh"

# The repository's sources (tracked files and new ones not ignored), without build output.
copy_sources() {
	local dst=$1 f
	mkdir -p "$dst"
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
			while IFS= read -r -d '' f; do
				[ -e "$top/$f" ] && printf '%s\0' "$f"
			done | (cd "$top" && xargs -0 -r cp -a --parents -t "$dst")
	else
		tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
			--exclude=bench/out --exclude=vm-console.log -cf - . | tar -C "$dst" -xf -
	fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tuntap_rs-install.XXXXXX") || { not_ok "mktemp"; finish; }
trap 'rm -rf "$tmp"' EXIT

# 1. The man page, as written.
man=$top/Documentation/tuntap_rs.4
if command -v mandoc >/dev/null 2>&1; then
	# Warnings and errors; style hints about cross references depend on the host's manual
	# database, so they are not counted.
	mandoc -T lint -W warning "$man" >"$tmp/mandoc.log" 2>&1
	if [ $? = 0 ] && [ ! -s "$tmp/mandoc.log" ]; then
		ok "man page: mandoc -T lint -W warning is clean"
	else
		not_ok "man page: mandoc -T lint -W warning"
		show "$tmp/mandoc.log"
	fi
else
	not_ok "man page: mandoc is installed (run scripts/setup.sh)"
fi
if command -v groff >/dev/null 2>&1; then
	groff -ww -mdoc -Tutf8 -z "$man" >"$tmp/groff.log" 2>&1
	if [ $? = 0 ] && [ ! -s "$tmp/groff.log" ]; then
		ok "man page: groff -ww -mdoc is clean"
	else
		not_ok "man page: groff -ww -mdoc"
		show "$tmp/groff.log"
	fi
fi
# Every module parameter and the sysctl it stands for appear in PARAMETERS.
missing=""
for pair in tun_devfs_cloning:net.link.tun.devfs_cloning \
	tap_devfs_cloning:net.link.tap.devfs_cloning tap_user_open:net.link.tap.user_open \
	tap_up_on_open:net.link.tap.up_on_open debug:debug.if_tun_debug; do
	param=${pair%%:*} sysctl=${pair#*:}
	if ! grep -q "^\.It Va $param " "$man" || ! grep -q "^\.Va $sysctl :" "$man"; then
		missing="$missing $param"
	fi
done
check "man page: every parameter with its FreeBSD sysctl${missing:+ (missing:$missing)}" \
	[ -z "$missing" ]

# 2. make install into a scratch root.
kdir=${1:-$("$here/kernel.sh" debug)} || { not_ok "kernel tree (scripts/kernel.sh debug)"; finish; }
if [ ! -f "$kdir/include/config/kernel.release" ]; then
	not_ok "kernel tree $kdir has include/config/kernel.release"
	finish
fi
kver=$(cat "$kdir/include/config/kernel.release")
src=$tmp/src
dest=$tmp/root
copy_sources "$src"
step "make install DESTDIR=$dest PREFIX=/usr INSTALL_MOD_PATH=$dest (KDIR=$kdir)"
if make -C "$src" KDIR="$kdir" install DESTDIR="$dest" PREFIX=/usr INSTALL_MOD_PATH="$dest" \
	>"$tmp/install.log" 2>&1; then
	ok "make install DESTDIR PREFIX=/usr INSTALL_MOD_PATH"
else
	not_ok "make install DESTDIR PREFIX=/usr INSTALL_MOD_PATH"
	tail -n 40 "$tmp/install.log" | show
	finish
fi

mods=$dest/lib/modules/$kver
ko=$mods/updates/tuntap_rs.ko
check "module installed: lib/modules/$kver/updates/tuntap_rs.ko" [ -f "$ko" ]
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{ print $1 }')
check "module vermagic is $kver" [ "$vermagic" = "$kver" ]
check "depmod: modules.dep lists updates/tuntap_rs.ko" \
	grep -q '^updates/tuntap_rs\.ko:' "$mods/modules.dep"
check "depmod: modinfo -b finds tuntap_rs by name" \
	test "$(modinfo -b "$dest" -k "$kver" -F filename tuntap_rs 2>/dev/null)" = "$ko"
for h in if_tun.h if_tap.h tuntap_rs_link.h; do
	check "header installed: usr/include/net/$h" \
		cmp -s "$top/include/net/$h" "$dest/usr/include/net/$h"
done
check "man page installed: usr/share/man/man4/tuntap_rs.4" \
	cmp -s "$man" "$dest/usr/share/man/man4/tuntap_rs.4"

# 3. modinfo: every parameter says which FreeBSD sysctl it stands for.
modinfo -F parm "$ko" >"$tmp/parm" 2>&1
n=$(grep -c . "$tmp/parm")
bad=$(grep -v -E '\(FreeBSD [a-z_]+(\.[a-z_]+)+\)' "$tmp/parm" | cut -d: -f1 | tr '\n' ' ')
if [ "$n" -ge 5 ] && [ -z "$bad" ]; then
	ok "modinfo: all $n parameters name their FreeBSD sysctl"
else
	not_ok "modinfo: parameters without a FreeBSD sysctl: ${bad:-none} ($n parameters)"
	show "$tmp/parm"
fi

# 4. The porting guide's example against the installed headers (64-bit, and 32-bit if the
# compiler can build for it).
awk '/^\.\. code-block:: c$/ { f = 1; next } f && NF && !/^ / { exit } f' \
	"$top/Documentation/porting.rst" | sed 's/^   //' >"$tmp/bsdtun.c"
if [ -s "$tmp/bsdtun.c" ] && cc -Wall -Wextra -Werror -I"$dest/usr/include" \
	-o "$tmp/bsdtun" "$tmp/bsdtun.c" >"$tmp/cc.log" 2>&1; then
	ok "porting.rst example compiles against the installed headers"
else
	not_ok "porting.rst example compiles against the installed headers"
	show "$tmp/cc.log"
fi
if echo 'int main(void) { return 0; }' | cc -m32 -x c -o /dev/null - >/dev/null 2>&1; then
	if cc -m32 -Wall -Wextra -Werror -I"$dest/usr/include" -o "$tmp/bsdtun32" "$tmp/bsdtun.c" \
		>"$tmp/cc32.log" 2>&1; then
		ok "porting.rst example compiles with -m32"
	else
		not_ok "porting.rst example compiles with -m32"
		show "$tmp/cc32.log"
	fi
fi

# 5. make rust-analyzer writes a rust-project.json in which our crate sees `kernel`.
if make -C "$src" KDIR="$kdir" rust-analyzer >"$tmp/ra.log" 2>&1 &&
	python3 - "$src/rust-project.json" >>"$tmp/ra.log" 2>&1 <<'PY'
import json, sys
crates = json.load(open(sys.argv[1]))["crates"]
ours = [c for c in crates if c.get("display_name") == "tuntap_rs"]
assert ours and ours[0]["root_module"].endswith("tuntap_rs.rs"), "no tuntap_rs crate"
assert "kernel" in [d["name"] for d in ours[0]["deps"]], "tuntap_rs does not depend on kernel"
PY
then
	ok "make rust-analyzer: rust-project.json has tuntap_rs depending on kernel"
else
	not_ok "make rust-analyzer"
	show "$tmp/ra.log"
fi

finish
