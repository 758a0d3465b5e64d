#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, only when missing, everything needed to build tuntap_rs and run it in a VM:
# the trixie-backports apt suite (mirror taken from this machine's own apt sources), the kernel
# source, a rust-src matching `rustc --version`, kernel build dependencies, QEMU, udev, virtme-ng,
# libclang and bindgen, virtiofsd for the VM, and mandoc and dkms for the host checks. Every step
# says what it does; a failing step says which one and why.
#
# Prints shell `export` lines for the toolchain environment on stdout when run with --env
# (used by the Makefile); everything else goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

apt_updated=0
apt_update() {
	if [ "$apt_updated" = 0 ]; then
		step "apt-get update"
		apt-get update -qq >&2 || die "apt-get update failed"
		apt_updated=1
	fi
}

# Debian packages this machine needs; each is installed only if dpkg does not know it yet.
need_debs() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	apt_update
	step "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

# 1. trixie-backports, pinned low, with the same mirror and keyring as the machine's Debian suite.
setup_backports() {
	local src=/etc/apt/sources.list.d/tuntap-rs-trixie-backports.sources
	local pref=/etc/apt/preferences.d/tuntap-rs-trixie-backports
	[ -f "$src" ] && [ -f "$pref" ] && return 0
	step "adding the trixie-backports apt suite (mirror derived from the machine's sources)"
	local uri keyring
	uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && u != "" && u !~ /security/ { print u; exit }' \
		/etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "cannot find a Debian mirror URI in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
	keyring=$(awk '/^Signed-By:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >"$src" <<EOF
Types: deb
URIs: $uri
Suites: trixie-backports
Components: main
Signed-By: $keyring
EOF
	cat >"$pref" <<EOF
Package: *
Pin: release n=trixie-backports
Pin-Priority: 100
EOF
	apt_updated=0
}

# QEMU from the machine's own Debian release. A newer qemu-utils (from a backports suite) Breaks
# that qemu-system-common, so it is brought to the same version in the same transaction.
setup_qemu() {
	command -v qemu-system-x86_64 >/dev/null 2>&1 && return 0
	apt_update
	local v extra=()
	v=$(apt-cache policy qemu-system-x86 | awk '/Candidate:/ { print $2 }')
	[ -n "$v" ] && [ "$v" != "(none)" ] || die "no qemu-system-x86 package available"
	for p in qemu-utils qemu-block-extra; do
		if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			[ "$(dpkg-query -W -f='${Version}' "$p")" = "$v" ] || extra+=("$p=$v")
		fi
	done
	step "apt-get install qemu-system-x86=$v ${extra[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades \
		"qemu-system-x86=$v" "${extra[@]}" >&2 || die "cannot install qemu-system-x86 $v"
}

# 2. The kernel source and a rust-src of exactly the machine's rustc release.
setup_kernel_source() {
	local rustver
	rustver=$(rustc --version | awk '{ print $2 }')
	if [ ! -f /usr/src/linux-source-7.3.tar.xz ]; then
		apt_update
		step "apt-get install linux-source-7.3 (trixie-backports)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t trixie-backports \
			linux-source-7.3 >&2 || die "cannot install linux-source-7.3 from trixie-backports"
	fi
	if [ ! -d "$RUST_LIB_SRC/core" ]; then
		apt_update
		local v
		v=$(apt-cache madison rust-src | awk -v r="$rustver" '$3 ~ "^"r"\\+" { print $3; exit }')
		[ -n "$v" ] || die "no Debian rust-src package matches rustc $rustver"
		step "apt-get install rust-src=$v"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "rust-src=$v" >&2 ||
			die "cannot install rust-src=$v"
	fi
	local have
	have=$(dpkg-query -W -f='${Version}' rust-src 2>/dev/null || true)
	case "$have" in "$rustver"+*) ;; *) die "rust-src $have does not match rustc $rustver" ;; esac
}

# 3. Python tools: virtme-ng and libclang (bookworm's clang is too old for bindgen).
setup_python() {
	if ! command -v vng >/dev/null 2>&1; then
		step "pip install virtme-ng==1.42"
		python3 -m pip install -q virtme-ng==1.42 >&2 || die "pip install virtme-ng failed"
		hash -r
	fi
	if [ ! -f "$(libclang_dir)/libclang.so" ]; then
		step "pip install libclang==18.1.1"
		python3 -m pip install -q libclang==18.1.1 >&2 || die "pip install libclang==18.1.1 failed"
	fi
	[ -f "$(libclang_dir)/libclang.so" ] || die "libclang.so not found after installing libclang"
}

# 4. bindgen, the exact version the kernel's minimum asks for.
setup_bindgen() {
	if ! "$CARGO_HOME/bin/bindgen" --version 2>/dev/null | grep -q '0\.71\.1'; then
		step "cargo install bindgen-cli 0.71.1 (about 2 minutes)"
		cargo install -q bindgen-cli --version 0.71.1 --locked >&2 || die "cargo install bindgen-cli failed"
	fi
}

# 5. virtiofsd (the Rust one) for the VM's root file system: without it virtme-ng tries the
# machine's qemu 7.2 C virtiofsd, waits 3 s for it to fail and falls back to 9p, which is slower
# (a short selftest program: 36 s on 9p, 25 s on virtio-fs, boot included).
setup_virtiofsd() {
	if ! "$CARGO_HOME/bin/virtiofsd" --version 2>/dev/null | grep -q '1\.14\.0'; then
		need_debs libseccomp-dev libcap-ng-dev
		step "cargo install virtiofsd 1.14.0 (about 2 minutes)"
		cargo install -q virtiofsd --version 1.14.0 --locked >&2 || die "cargo install virtiofsd failed"
	fi
}

main() {
	[ "$(id -u)" = 0 ] || die "run as root (apt-get and insmod need it)"
	command -v rustc >/dev/null || die "rustc not found: install the machine's Rust toolchain"
	need_debs ca-certificates
	setup_backports
	need_debs build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils kmod rsync \
		udev iproute2 busybox-static python3-pip gcc-multilib ethtool iputils-ping tcpdump
	# Host checks (scripts/install-test.sh, scripts/dkms-test.sh): the man page lint, DKMS.
	need_debs mandoc dkms
	setup_qemu
	setup_kernel_source
	setup_python
	setup_bindgen
	setup_virtiofsd
	step "toolchain ready"
}

if [ "${1:-}" = --env ]; then
	print_env
elif [ "${1:-}" = kasan ]; then
	# The KASAN kernel's compilers (scripts/kernel.sh kasan): clang, lld and the LLVM tools,
	# and libclang for bindgen, all version 19 (bookworm's newest).
	need_debs clang-19 lld-19 llvm-19 libclang1-19
else
	main "$@"
fi
