#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS's build command (dkms.conf MAKE[0]), run in DKMS's build directory:
#
#   scripts/dkms-make.sh KERNELRELEASE KERNEL_SOURCE_DIR
#
# A kernel build tree with Rust metadata (rust/libkernel.rmeta: a tree built from source, or a
# distribution that ships the metadata in its headers) is used as it is. A Debian headers tree
# has none: then scripts/stock-build.sh rebuilds it once per kernel release from Debian's
# linux-source package with Debian's own rustc (cached in /var/cache/tuntap_rs/stock) and builds
# the module here. DKMS installs nothing: missing packages are named in the error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
release=${1:?kernel release}
ksrc=${2:?kernel source directory}

if [ -f "$ksrc/rust/libkernel.rmeta" ]; then
	exec make -C "$top" KDIR="$ksrc" modules
fi
if [ -f "$ksrc/.kernelvariables" ] && [ -f /etc/debian_version ]; then
	"$here/stock-build.sh" --release "$release" --no-install --in-place "$top" >/dev/null
	exit 0
fi
echo "tuntap_rs: $ksrc has no Rust metadata (rust/libkernel.rmeta) and is not a Debian headers tree:" >&2
echo "tuntap_rs: build the kernel with CONFIG_RUST=y and keep its build tree, or see README.md" >&2
exit 1
