# SPDX-License-Identifier: GPL-2.0
#
# tuntap_rs: build the module out of tree, and run it in a VM.
#
#   make                  build tuntap_rs.ko against KDIR (default: the cached debug kernel,
#                         built first if missing)
#   make KDIR=/path       build against your own Rust-enabled kernel build tree
#   make stock            build tuntap_rs.ko for Debian's stock kernel (STOCK_RELEASE, default
#                         7.3.4+deb13-amd64): Debian's rustc in a trixie root, the kernel's Rust
#                         metadata rebuilt and cached once; prints the module's path
#   make run              install what is missing, build, boot a VM with the module loaded and
#                         run a live BSD tunnel: on Debian's stock kernel (KERNEL=stock, the
#                         default) or the debug kernel (KERNEL=debug)
#   make check            the test tier CI runs: every program on the debug and the stock kernel,
#                         long loops shortened, host checks; per-stage times
#   make check TESTS="module -t cloning_nodes"   one program, one test (KERNELS="debug stock")
#   make soak             the long tier: 10 000 create-to-destroy cycles, every fault site,
#                         long random workouts; on the debug, stock and KASAN kernels
#                         (SOAK_KERNELS; the KASAN kernel is built with clang once, ~40 min)
#   make check KERNELS=kasan   the check tier on the KASAN kernel alone
#   make clippy           build with CLIPPY=1 (warnings are errors)
#   make fmt-check        rustfmt --check with the kernel's .rustfmt.toml
#   make rust-analyzer    write rust-project.json for editors
#   make modules_install  install into /lib/modules of the KDIR kernel
#   make install          modules_install, then <net/if_tun.h>, <net/if_tap.h> and tuntap_rs(4)
#                         under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local), then depmod
#                         (INSTALL_MOD_PATH honoured for the module and depmod)
#   make selftests        build the selftest programs only
#   make examples         build the BSD-style example programs (examples/)
#   make bench            build the release kernel (once), boot it, benchmark both drivers
#   make clean

TOP := $(CURDIR)
SCRIPTS := $(TOP)/scripts

# The toolchain environment: rust-src, libclang, bindgen (scripts/setup.sh installs them).
export RUST_LIB_SRC ?= /usr/lib/rustlib/src/rust/library
export PATH := $(HOME)/.cargo/bin:$(PATH)

# Without KDIR, the cached debug kernel (scripts/kernel.sh builds it once, then reuses it).
ifeq ($(origin KDIR), undefined)
KDIR_CMD := $(SCRIPTS)/kernel.sh debug
KDIR = $(shell $(KDIR_CMD))
else
KDIR_CMD := echo $(KDIR)
endif

RUST_SOURCES := tuntap_rs.rs driver.rs cdev.rs netdev.rs netdev/device.rs \
	netdev/driver.rs netdev/irqlock.rs netdev/skb.rs netdev/sys.rs node.rs clone.rs unit.rs datapath.rs framing.rs \
	ioctl.rs stats.rs uapi.rs
# A tree built with LLVM (scripts/kernel.sh kasan) records its make variables (LLVM=-19) in
# .tuntap-make; modules built against it need the same compilers.
KDIR_VARS = $(shell cat $(KDIR)/.tuntap-make 2>/dev/null)
KBUILD_ARGS = -C $(KDIR) M=$(TOP) RUST_LIB_SRC=$(RUST_LIB_SRC) $(KDIR_VARS)

.PHONY: stock soak bench all modules module-copy clippy fmt-check fmt rust-analyzer modules_install install setup selftests examples run check clean

all: modules

modules:
	$(MAKE) $(KBUILD_ARGS) modules

# The module built in a copy of the sources under MODDIR (kbuild keeps one build per source
# directory): for a second kernel beside the one the tree is built for (bench, KASAN).
MODDIR ?= $(TOP)/out/module
module-copy:
	rm -rf $(MODDIR) && mkdir -p $(MODDIR) && \
		cp --parents Kbuild glue.c glue.h $(RUST_SOURCES) $(MODDIR)/ && cp -r include $(MODDIR)/ && \
		$(MAKE) -C $(KDIR) M=$(MODDIR) RUST_LIB_SRC=$(RUST_LIB_SRC) $(KDIR_VARS) modules

clippy:
	rm -f $(TOP)/tuntap_main.o
	$(MAKE) $(KBUILD_ARGS) CLIPPY=1 KRUSTFLAGS="-Dwarnings" modules

fmt-check:
	rustfmt --check --edition 2021 --config-path $(KDIR)/.rustfmt.toml $(RUST_SOURCES)

fmt:
	rustfmt --edition 2021 --config-path $(KDIR)/.rustfmt.toml $(RUST_SOURCES)

# The kernel's rust-analyzer target checks the Rust toolchain, bindgen's libclang included.
rust-analyzer:
	. $(SCRIPTS)/lib.sh && toolchain_env && $(MAKE) $(KBUILD_ARGS) rust-analyzer

modules_install:
	$(MAKE) $(KBUILD_ARGS) modules_install

# install: the module (kbuild's modules_install: $(INSTALL_MOD_PATH)/lib/modules/<release>/updates
# unless INSTALL_MOD_DIR says otherwise), the BSD headers for programs (Documentation/porting.rst),
# the man page, and depmod for the KDIR kernel's release.
PREFIX ?= /usr/local
INSTALL ?= install
DEPMOD ?= depmod
install: modules
	$(MAKE) $(KBUILD_ARGS) modules_install
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/include/net $(DESTDIR)$(PREFIX)/share/man/man4
	$(INSTALL) -m 644 $(TOP)/include/net/if_tun.h $(TOP)/include/net/if_tap.h \
		$(TOP)/include/net/tuntap_rs_link.h $(DESTDIR)$(PREFIX)/include/net/
	$(INSTALL) -m 644 $(TOP)/Documentation/tuntap_rs.4 $(DESTDIR)$(PREFIX)/share/man/man4/
	kver=$$(cat $(KDIR)/include/config/kernel.release) && PATH="$$PATH:/sbin:/usr/sbin" \
		$(DEPMOD) $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $$kver

setup:
	$(SCRIPTS)/setup.sh

selftests:
	$(MAKE) -C selftests KDIR=$(KDIR)

# BSD programs on <net/if_tun.h>/<net/if_tap.h>; `make run` shows tunvpn, `make check` tests all.
examples:
	$(MAKE) -C examples

# Debian's stock kernel: scripts/stock.sh (trixie root, Rust metadata, module), cached.
STOCK_RELEASE ?= 7.3.4+deb13-amd64
stock:
	$(SCRIPTS)/stock.sh --release $(STOCK_RELEASE)

# run: set-up, then the stock kernel (its module, image and modules; no kernel build) or the
# debug kernel (built once), then the demo in the VM. Paths are looked up by the shell at run
# time, after setup.sh has installed what the scripts need.
KERNEL ?= stock
run:
	$(SCRIPTS)/setup.sh
ifeq ($(KERNEL),stock)
	ko=$$($(SCRIPTS)/stock.sh --release $(STOCK_RELEASE)) && img=$$($(SCRIPTS)/stock-image.sh $(STOCK_RELEASE)) && \
		$(MAKE) examples && $(SCRIPTS)/vm --image $$img --module $$ko -- $(SCRIPTS)/demo.sh
else ifeq ($(KERNEL),debug)
	kdir=$$($(KDIR_CMD)) && $(MAKE) KDIR=$$kdir modules examples && \
		$(SCRIPTS)/vm --kdir $$kdir -- $(SCRIPTS)/demo.sh
else
	@echo "KERNEL must be stock or debug" >&2; exit 1
endif

# The test tiers (scripts/check.sh runs every stage, set-up included, and times each).
KERNELS ?= debug stock
check:
	$(SCRIPTS)/check.sh --tier check --kernels "$(KERNELS)" $(TESTS)

# soak adds the KASAN kernel (scripts/kernel.sh kasan: built once, about 40 minutes).
SOAK_KERNELS ?= debug stock kasan
soak:
	$(SCRIPTS)/check.sh --tier soak --kernels "$(SOAK_KERNELS)" $(TESTS)

# The benchmark: release kernel, the module built for it in a copy under bench/out (kbuild keeps
# one build per source directory, and ours is built for the debug kernel), one VM boot with two
# vCPUs (single-threaded workloads on CPU 0), both drivers interleaved, the instruction-counting
# plugin (bench/insncount.c) counting and profiling every measurement. Prints the table and
# keeps it in bench/out/results.txt, the profiles in bench/out/profile.txt.
BENCH_REPS ?= 10
BENCH_COUNT ?= 2000
BENCH_UNITS ?= 1000
BENCH_CREATE_REPS ?= 2
BENCH_BULK_BYTES ?= 16777216
BENCH_WORKS ?= inject egress rtt rttpoll pair floor bulk create
bench:
	$(SCRIPTS)/setup.sh
	rkdir=$$($(SCRIPTS)/kernel.sh release) && plugin=$$(bench/plugin.sh $(TOP)/bench/out) && \
		$(MAKE) module-copy KDIR=$$rkdir MODDIR=$(TOP)/bench/out/module && \
		$(CC) -O2 -Wall -Wextra -I$(TOP)/include -o bench/out/tunbench bench/tunbench.c -lpthread && \
		cp $$rkdir/drivers/net/tun.ko bench/out/tun.ko && rm -f bench/out/window.log && \
		$(SCRIPTS)/vm --kdir $$rkdir --module $(TOP)/bench/out/module/tuntap_rs.ko --cpus 2 \
			--append nokaslr --timeout 5400 --log bench/out/console.log \
			--qemu-opts "-plugin $$plugin,profile=200 -d plugin -D $(TOP)/bench/out/window.log" \
			-- $(TOP)/bench/run.sh $(TOP)/bench/out/tunbench $(BENCH_REPS) $(BENCH_COUNT) \
			$(TOP)/bench/out/tun.ko $(BENCH_UNITS) $(BENCH_CREATE_REPS) $(BENCH_BULK_BYTES) \
			"$(BENCH_WORKS)" && \
		bench/summarize.py bench/out/console.log bench/out/window.log $$rkdir/System.map \
			bench/out/profile.txt | tee bench/out/results.txt

clean:
	$(MAKE) $(KBUILD_ARGS) clean
	$(MAKE) -C selftests clean
	$(MAKE) -C examples clean
