# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers for the host checks (install-test.sh, dkms-test.sh, stock-test.sh,
# stock-dkms-test.sh), sourced: `ok - ...`/`not ok - ...` lines, counted, and the summary
# `host checks: N passed, N failed` that scripts/check.sh adds to its tally.

pass=0
fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $*"; fail=$((fail + 1)); }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# A log, indented as TAP diagnostics.
show() { sed 's/^/#   /' "$@"; }
# Prints the summary and exits: 0 if nothing failed.
finish() {
	echo "host checks: $pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
}
