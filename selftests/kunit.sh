#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's KUnit suites (#[kunit_tests] in framing.rs, stats.rs, clone.rs): KUnit runs them
# when the module loads; this reports each case's result from debugfs as TAP. Skips on a
# kernel without KUnit (Debian's stock kernel), where the suites are compiled out.
dir=/sys/kernel/debug/kunit
if [ ! -d /sys/kernel/debug/kunit ] && ! mountpoint -q /sys/kernel/debug; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
if [ ! -d "$dir" ]; then
	echo "1..1"
	echo "ok 1 kunit # SKIP no KUnit in this kernel (CONFIG_KUNIT)"
	exit 0
fi
if ! grep -q '^tuntap_rs ' /proc/modules; then
	echo "1..1"
	echo "not ok 1 kunit: tuntap_rs is not loaded"
	exit 1
fi
out=$(mktemp)
n=0
for suite in "$dir"/tuntap_rs_*; do
	[ -f "$suite/results" ] || continue
	name=${suite##*/}
	# Case lines, "ok N case" or "not ok N case", indented under the suite's own line.
	sed -n -E "s/^[[:space:]]+(not ok|ok) [0-9]+ ([^ ]+).*/\1 $name.\2/p" "$suite/results" |
		while read -r verdict; do
			echo "$verdict"
		done >>"$out"
	n=$((n + 1))
done
total=$(wc -l <"$out" | tr -d ' ')
echo "1..$total"
i=0
status=0
while read -r line; do
	i=$((i + 1))
	case "$line" in
	"not ok "*) echo "not ok $i ${line#not ok }"; status=1 ;;
	*) echo "ok $i ${line#ok }" ;;
	esac
done <"$out"
rm -f "$out"
if [ "$n" = 0 ] || [ "$total" = 0 ]; then
	echo "not ok $((i + 1)) kunit: no tuntap_rs suite in $dir"
	exit 1
fi
echo "# kunit: $n suites, $total cases"
exit "$status"
