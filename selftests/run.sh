#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the tuntap_rs selftests (inside the guest; scripts/vm loads the module first, and so does
# this script when the module is not loaded and TUNTAP_KO names it) and prints
# their TAP output, then `selftests: N passed, N failed, N skipped`.
#   run.sh                     every program
#   run.sh PROG [ARGS...]      one program, with kselftest_harness arguments (-t TEST, -l, ...)
cd "$(dirname "$0")" || exit 1
# Run by kselftest (make run_tests, run_kselftest.sh) rather than by scripts/vm: load the module
# named by TUNTAP_KO if it is not loaded yet.
if ! grep -q '^tuntap_rs ' /proc/modules && [ -n "$TUNTAP_KO" ]; then
	insmod "$TUNTAP_KO" || exit 1
fi
progs="kunit.sh module tun tun32 tap vnet offload offload32 lifecycle hostile examples.sh tools.sh workout stress faults"
if [ $# -gt 0 ]; then
	progs=$1
	shift
fi
pass=0 fail=0 skip=0
for p in $progs; do
	echo "# selftests: tuntap_rs: $p"
	out=$(mktemp)
	./"$p" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p_pass=$(grep -c '^ok .*' "$out" | tr -d ' ')
	p_skip=$(grep -c '^ok .* # SKIP' "$out" | tr -d ' ')
	p_fail=$(grep -c '^not ok ' "$out" | tr -d ' ')
	p_pass=$((p_pass - p_skip))
	# A program that died before reporting anything counts as one failure.
	if [ "$rc" != 0 ] && [ "$p_fail" = 0 ]; then
		echo "# $p exited with status $rc"
		p_fail=1
	fi
	pass=$((pass + p_pass)) fail=$((fail + p_fail)) skip=$((skip + p_skip))
	rm -f "$out"
done
echo "selftests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
