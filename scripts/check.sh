#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test tiers (`make check`, `make soak`): every stage from set-up to the last VM, each timed,
# and the final `N passed, N failed` line.
#
#   scripts/check.sh [--tier check|soak] [--kernels "debug stock kasan"] [PROG [kselftest args...]]
#
# Stages: set-up (scripts/setup.sh); the debug kernel (scripts/kernel.sh debug, built once and
# cached); the module, selftests and examples for it; the stock kernel's module (scripts/stock.sh:
# trixie root, Rust metadata, tuntap_rs.ko) and image (scripts/stock-image.sh); the stock host
# checks (scripts/stock-test.sh: the wrong-compiler refusal, DKMS in the trixie root, signing);
# the suite in the debug kernel's VM; the DKMS-built module and then the suite in the stock
# kernel's VM; with "kasan" among the kernels, the KASAN kernel (scripts/kernel.sh kasan, built
# once with clang and cached), the module built for it in out/kasan, and the suite in its VM
# (any KASAN report is a splat: it fails the run); the host checks (scripts/install-test.sh,
# scripts/dkms-test.sh).
#
# Tiers (Documentation/tuntap_rs.rst, "Test tiers"):
#   check  every program on both kernels, long loops shortened: 1 000 create-to-destroy cycles,
#          fault sweeps trying every 3rd site from a rotating start (every site over 3 runs)
#   soak   10 000 cycles, every fault site, long random workouts (make soak adds the KASAN
#          kernel)
# A run of one program (PROG) skips the host checks; --kernels picks the kernels (both default).
# Each guest console is kept (vm-console.log, vm-console-stock.log, vm-console-kasan.log) and
# must show no splat.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

tier=check kernels="debug stock"
release=${STOCK_RELEASE:-7.3.4+deb13-amd64}
while [ $# -gt 0 ]; do
	case "$1" in
	--tier) tier=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	*) break ;;
	esac
done
case "$tier" in check | soak) ;; *) die "unknown tier '$tier' (check or soak)" ;; esac
whole=1
[ $# -eq 0 ] || whole=0
want() { case " $kernels " in *" $1 "*) return 0 ;; esac; return 1; }

# What the guest's programs read (selftests/stress.c, selftests/faults.c).
if [ "$tier" = soak ]; then
	# The random workout (selftests/workout.c): its fixed seeds, then random ones for 15 minutes.
	guest_env=(STRESS_CYCLES=10000 FAULTS_STRIDE=1 WORKOUT_SECONDS=900)
	vm_timeout=14400
else
	# A rotating start, so that three runs together try every site.
	guest_env=(STRESS_CYCLES=1000 FAULTS_STRIDE=3 FAULTS_OFFSET=$(( $(date +%s) / 86400 % 3 )))
	vm_timeout=2400
fi

pass=0 fail=0
stages=()
t_all=$SECONDS
# stage NAME COMMAND...: runs it, times it, records the time; returns its status.
stage() {
	local name=$1 t=$SECONDS rc
	shift
	step "stage: $name"
	"$@"
	rc=$?
	stages+=("$(printf '%-34s %5d s%s' "$name" $((SECONDS - t)) "$([ "$rc" = 0 ] || echo '  (failed)')")")
	step "stage: $name done in $((SECONDS - t)) s (status $rc)"
	return "$rc"
}
# count LABEL SUMMARY_LINE: adds "N passed, N failed" from a summary to LABEL's counts and to
# the totals (a missing summary is one failure).
declare -A lpass lfail
count() {
	local label=$1 line=$2 p f
	p=$(echo "$line" | grep -oE '[0-9]+ passed' | head -n 1 | cut -d' ' -f1)
	f=$(echo "$line" | grep -oE '[0-9]+ failed' | head -n 1 | cut -d' ' -f1)
	[ -n "$p" ] || p=0
	[ -n "$f" ] || f=1
	lpass[$label]=$(( ${lpass[$label]:-0} + p )) lfail[$label]=$(( ${lfail[$label]:-0} + f ))
	pass=$((pass + p)) fail=$((fail + f))
}
report() {
	echo
	echo "== stage times ($tier tier) =="
	printf '%s\n' "${stages[@]}"
	printf '%-34s %5d s\n' "total" $((SECONDS - t_all))
	for label in "debug kernel" "stock kernel" "KASAN kernel" "host checks"; do
		[ -n "${lpass[$label]:-}" ] && echo "$label: ${lpass[$label]} passed, ${lfail[$label]} failed"
	done
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}

# The suite in one VM; counts its programs' results plus the console's verdict.
# suite LABEL LOG VM_ARGS... -- COMMAND...
suite() {
	local label=$1 log=$2 vm_status line p f
	shift 2
	"$here/vm" --timeout "$vm_timeout" --log "$log" "$@"
	vm_status=$?
	line=$(grep -E '^selftests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $label: the guest printed no selftest summary (see $log)"
		p=0 f=1
	else
		p=$(echo "$line" | sed -E 's/^selftests: ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	fi
	# The console: scripts/vm fails on a splat, a timeout or a failing command; the first two
	# are not already counted by the programs themselves.
	if { [ "$vm_status" != 0 ] && [ "$f" = 0 ]; } ||
		[ -n "$(console_splats "$log")" ]; then
		echo "not ok - $label: guest console (splat, kmemleak report or timeout; see $log)"
		f=$((f + 1))
	else
		echo "ok - $label: guest console clean"
		p=$((p + 1))
	fi
	count "$label" "$p passed, $f failed"
	[ "$f" = 0 ]
}

stage "set-up (scripts/setup.sh)" "$here/setup.sh" || { count "host checks" "0 passed, 1 failed"; report; }

# The debug kernel, always: it also provides the selftests' kselftest_harness.h and lib.mk, and
# the tree the host checks build against.
kdir=""
kdir_file=$(mktemp)
stage "debug kernel (scripts/kernel.sh)" sh -c "'$here/kernel.sh' debug >'$kdir_file'" &&
	kdir=$(cat "$kdir_file")
rm -f "$kdir_file"
[ -n "$kdir" ] || { count "debug kernel" "0 passed, 1 failed"; report; }
stage "build: module, selftests, examples" make -s -C "$top" KDIR="$kdir" modules selftests examples ||
	{ count "debug kernel" "0 passed, 1 failed"; report; }

stock_ko="" stock_img=""
if want stock; then
	ko_file=$(mktemp) img_file=$(mktemp)
	stage "stock: root, Rust metadata, module" sh -c "'$here/stock.sh' --release '$release' >'$ko_file'" &&
		stock_ko=$(cat "$ko_file")
	stage "stock: Debian's image and modules" sh -c "'$here/stock-image.sh' '$release' >'$img_file'" &&
		stock_img=$(cat "$img_file")
	rm -f "$ko_file" "$img_file"
	if [ -z "$stock_ko" ] || [ -z "$stock_img" ]; then
		count "stock kernel" "0 passed, 1 failed"
		kernels=${kernels/stock/}
	fi
fi
if want stock && [ "$whole" = 1 ]; then
	out=$(mktemp)
	stage "stock: refusal, DKMS, signing" sh -c "'$here/stock-test.sh' '$release' >'$out' 2>&1"
	cat "$out"
	count "host checks" "$(grep -E '^host checks: [0-9]+ passed' "$out" | tail -n 1)"
	rm -f "$out"
fi

kasan_kdir="" kasan_ko=""
if want kasan; then
	kdir_file=$(mktemp)
	stage "KASAN kernel (scripts/kernel.sh kasan)" sh -c "'$here/kernel.sh' kasan >'$kdir_file'" &&
		kasan_kdir=$(cat "$kdir_file")
	rm -f "$kdir_file"
	[ -n "$kasan_kdir" ] &&
		stage "KASAN: module (out/kasan)" make -s -C "$top" module-copy KDIR="$kasan_kdir" \
			MODDIR="$top/out/kasan/module" &&
		kasan_ko=$top/out/kasan/module/tuntap_rs.ko
	if [ -z "$kasan_ko" ]; then
		count "KASAN kernel" "0 passed, 1 failed"
		kernels=${kernels/kasan/}
	fi
fi

if want debug; then
	stage "VM: suite on the debug kernel" suite "debug kernel" "$top/vm-console.log" --kdir "$kdir" --kmemleak \
		-- env "${guest_env[@]}" "$top/selftests/run.sh" "$@"
fi
if want stock; then
	dkms_ko=$top/out/stock/$release/dkms/tuntap_rs.ko
	if [ "$whole" = 1 ] && [ -f "$dkms_ko" ]; then
		# The module that DKMS built (and signed) loads into the stock kernel and works.
		stage "VM: DKMS module on the stock kernel" suite "stock kernel" "$top/vm-console-stock-dkms.log" \
			--image "$stock_img" --module "$dkms_ko" -- "$top/selftests/run.sh" module
	fi
	stage "VM: suite on the stock kernel" suite "stock kernel" "$top/vm-console-stock.log" --image "$stock_img" \
		--module "$stock_ko" -- env "${guest_env[@]}" "$top/selftests/run.sh" "$@"
fi

if want kasan; then
	# KASAN makes the guest two to three times slower: twice the time limit.
	vm_timeout=$((vm_timeout * 2)) stage "VM: suite on the KASAN kernel" suite "KASAN kernel" \
		"$top/vm-console-kasan.log" --kdir "$kasan_kdir" --module "$kasan_ko" --kmemleak \
		-- env "${guest_env[@]}" "$top/selftests/run.sh" "$@"
fi

if [ "$whole" = 1 ] && [ -n "$kdir" ]; then
	for script in install-test.sh dkms-test.sh; do
		out=$(mktemp)
		stage "host: $script" sh -c "'$here/$script' '$kdir' >'$out' 2>&1"
		cat "$out"
		count "host checks" "$(grep -E '^host checks: [0-9]+ passed' "$out" | tail -n 1)"
		rm -f "$out"
	done
fi
report
