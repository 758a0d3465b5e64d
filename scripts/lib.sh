# SPDX-License-Identifier: GPL-2.0
# Shared settings for the tuntap_rs scripts: where things live, how steps report.
# shellcheck shell=bash

step() { printf '[tuntap_rs %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[tuntap_rs] FAILED: %s\n' "$*" >&2; exit 1; }

: "${CARGO_HOME:=$HOME/.cargo}"
: "${RUST_LIB_SRC:=/usr/lib/rustlib/src/rust/library}"
# The built kernel trees live here, outside the repository, one per kernel version + config hash.
: "${TUNTAP_CACHE:=/var/cache/tuntap_rs}"
# Prebuilt kernel images and their modules, unpacked for the VM. Not under /var/cache: virtme-ng
# hides the host's /var/cache from the guest, which must read the modules.
: "${TUNTAP_IMAGES:=/var/lib/tuntap_rs/images}"
export CARGO_HOME RUST_LIB_SRC TUNTAP_CACHE TUNTAP_IMAGES
export PATH="$CARGO_HOME/bin:$PATH"

libclang_dir() {
	python3 -c 'import clang, os; print(os.path.join(os.path.dirname(clang.__file__), "native"))' 2>/dev/null || true
}

# The variables every kernel and module `make` needs.
toolchain_env() {
	LIBCLANG_PATH=$(libclang_dir)
	export LIBCLANG_PATH
	PATH="$(dirname "$(command -v python3)"):$PATH"
	export PATH
}

print_env() {
	toolchain_env
	printf 'export LIBCLANG_PATH=%q\nexport RUST_LIB_SRC=%q\nexport PATH=%q\n' \
		"$LIBCLANG_PATH" "$RUST_LIB_SRC" "$PATH"
}

# The kernel splats on guest console LOG, as grep -n lines (none: empty). ref_tracker's "memory
# allocation failure" is what an injected fault in its atomic allocation (the link watcher's)
# prints, not a reference leak: the fault sweeps cause it on purpose.
console_splats() {
	grep -nE 'RIP:|Call Trace:|BUG:|WARNING:|ref_tracker:|blocked for more than|unreferenced object|Kernel panic' "$1" |
		grep -v 'ref_tracker: memory allocation failure, unreliable refcount tracker' || true
}
