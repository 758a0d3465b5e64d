#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the selftest suite in the VM and print the final `N passed, N failed` line. The guest
# console counts as one more test: it passes only when it shows no kernel splat, no kmemleak
# report, and the VM did not time out. A whole run (no arguments) adds the host checks.
#   scripts/check.sh KDIR [run.sh arguments]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kdir=$1
shift
log="$top/vm-console.log"
# The whole suite takes about 30 minutes under TCG; the VM gets 60 (CI allows 90 in all).
"$here/vm" --kdir "$kdir" --kmemleak --timeout 3600 --log "$log" -- "$top/selftests/run.sh" "$@"
vm_status=$?
line=$(grep -E '^selftests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
if [ -z "$line" ]; then
	echo "check: the guest printed no selftest summary (see $log)"
	pass=0 fail=1
else
	pass=$(echo "$line" | sed -E 's/^selftests: ([0-9]+) passed.*/\1/')
	fail=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
fi
# The console verdict: scripts/vm fails on a splat, a timeout or a failing command; only the
# first two are not already counted by the selftests themselves.
if [ "$vm_status" != 0 ] && [ "$fail" = 0 ]; then
	echo "not ok - guest console (splat, kmemleak report or timeout; see $log)"
	fail=$((fail + 1))
elif grep -qE 'RIP:|Call Trace:|BUG:|WARNING:|ref_tracker:|blocked for more than|unreferenced object|Kernel panic' "$log"; then
	echo "not ok - guest console (see $log)"
	fail=$((fail + 1))
else
	echo "ok - guest console clean"
	pass=$((pass + 1))
fi
# The host checks (no VM): make install into a scratch root, the man page lint, dkms build.
# Only for a whole run, not for one program or test.
if [ $# -eq 0 ]; then
	for script in install-test.sh dkms-test.sh; do
		out=$("$here/$script" "$kdir" 2>&1)
		echo "$out"
		line=$(echo "$out" | grep -E '^host checks: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
		if [ -z "$line" ]; then
			echo "not ok - $script printed no summary"
			fail=$((fail + 1))
			continue
		fi
		pass=$((pass + $(echo "$line" | sed -E 's/^host checks: ([0-9]+) passed.*/\1/')))
		fail=$((fail + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
	done
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
