#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS on a stock Debian kernel, as its user does it: runs on Debian trixie (scripts/stock-test.sh
# runs it inside the trixie root) with the kernel's headers package and Debian's rustc, rust-src,
# bindgen and libclang installed, and the real DKMS trees (/usr/src, /var/lib/dkms).
#
#   stock-dkms-test.sh SRC OUT [RELEASE]
#
# Puts SRC's sources in /usr/src/tuntap_rs-<version>, has DKMS sign with a scratch key (what
# an enrolled MOK key does under Secure Boot), runs `dkms add` and `dkms build -k RELEASE`, checks
# the module (vermagic, signer, sig_id, and the PKCS#7 signature verified against the scratch
# certificate with openssl), copies it to OUT/tuntap_rs.ko for the VM, and removes everything
# again. Prints ok/not ok lines and `host checks: N passed, N failed`.
set -uo pipefail

src=${1:?sources}
out=${2:?output directory}
release=${3:-7.3.4+deb13-amd64}
name=tuntap_rs
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src/dkms.conf")
arch=$(uname -m)

. "$(dirname "$0")/tap.sh"

tmp=$(mktemp -d)
conf=/etc/dkms/framework.conf.d/tuntap-rs-scratch-key.conf
cleanup() {
	dkms remove -m "$name" -v "$ver" --all >/dev/null 2>&1 || true
	rm -rf "/usr/src/$name-$ver" "$conf" "$tmp"
}
trap cleanup EXIT
cleanup
tmp=$(mktemp -d)

# The sources as `git archive` would give them: tracked files only, no build output.
mkdir -p "/usr/src/$name-$ver"
if (cd "$src" && git -c safe.directory='*' ls-files -z | xargs -0 cp -a --parents -t "/usr/src/$name-$ver") 2>"$tmp/cp.log" &&
	[ -f "/usr/src/$name-$ver/dkms.conf" ]; then
	ok "sources in /usr/src/$name-$ver"
else
	not_ok "sources in /usr/src/$name-$ver"
	show "$tmp/cp.log"
	finish
fi

# A scratch key pair stands for the MOK key that Secure Boot users enroll with mokutil.
if openssl req -new -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tuntap_rs scratch MOK key/" \
	-outform DER -out "$tmp/mok.der" -keyout "$tmp/mok.key" >"$tmp/openssl.log" 2>&1 &&
	openssl x509 -inform DER -in "$tmp/mok.der" -out "$tmp/mok.pem" >>"$tmp/openssl.log" 2>&1; then
	printf 'mok_signing_key=%s\nmok_certificate=%s\n' "$tmp/mok.key" "$tmp/mok.der" >"$conf"
	ok "scratch signing key for DKMS (mok_signing_key, mok_certificate)"
else
	not_ok "scratch signing key"
	show "$tmp/openssl.log"
fi

if dkms add -m "$name" -v "$ver" >"$tmp/add.log" 2>&1; then
	ok "dkms add $name/$ver"
else
	not_ok "dkms add $name/$ver"
	show "$tmp/add.log"
	finish
fi

start=$SECONDS
if dkms build -m "$name" -v "$ver" -k "$release" >"$tmp/build.log" 2>&1; then
	ok "dkms build -k $release ($((SECONDS - start)) s)"
else
	not_ok "dkms build -k $release"
	show "$tmp/build.log"
	for log in /var/lib/dkms/"$name/$ver"/build/make.log /var/lib/dkms/"$name/$ver/$release/$arch"/log/make.log; do
		[ -f "$log" ] && tail -n 40 "$log" | show
	done
	finish
fi

built=$(ls /var/lib/dkms/"$name/$ver/$release/$arch"/module/"$name".ko* 2>/dev/null | head -n 1)
ko=$tmp/$name.ko
case "$built" in
*.ko) cp "$built" "$ko" ;;
*.ko.xz) xz -dc "$built" >"$ko" ;;
*.ko.zst) zstd -qdc "$built" >"$ko" ;;
*.ko.gz) gzip -dc "$built" >"$ko" ;;
*) ko="" ;;
esac
if [ -n "$ko" ] && [ "$(modinfo -F vermagic "$ko" | awk '{ print $1 }')" = "$release" ]; then
	ok "dkms built ${built##*/} with vermagic $release"
else
	not_ok "dkms built a module for $release (${built:-none})"
	finish
fi

signer=$(modinfo -F signer "$ko")
sig_id=$(modinfo -F sig_id "$ko")
hashalgo=$(modinfo -F sig_hashalgo "$ko")
if [ "$signer" = "tuntap_rs scratch MOK key" ] && [ "$sig_id" = "PKCS#7" ] && [ "$hashalgo" = sha256 ]; then
	ok "DKMS signed the module: signer '$signer', sig_id $sig_id, $hashalgo"
else
	not_ok "module signed by the scratch key (signer '$signer', sig_id '$sig_id', hash '$hashalgo')"
fi

# The appended signature: module | PKCS#7 | struct module_signature (12 bytes, sig_len last,
# big endian) | "~Module signature appended~\n". Verify the PKCS#7 over the module's bytes.
if python3 - "$ko" "$tmp/body" "$tmp/sig.p7" <<'EOF' 2>"$tmp/split.log"
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = b"~Module signature appended~\n"
assert data.endswith(magic), "no appended signature"
info = data[-len(magic) - 12:-len(magic)]
sig_len = struct.unpack(">I", info[8:12])[0]
body_end = len(data) - len(magic) - 12 - sig_len
open(sys.argv[2], "wb").write(data[:body_end])
open(sys.argv[3], "wb").write(data[body_end:body_end + sig_len])
EOF
then
	if openssl cms -verify -binary -inform DER -in "$tmp/sig.p7" -content "$tmp/body" \
		-certfile "$tmp/mok.pem" -CAfile "$tmp/mok.pem" -purpose any -out /dev/null >"$tmp/verify.log" 2>&1; then
		ok "the module's PKCS#7 signature verifies against the scratch certificate"
	else
		not_ok "the module's PKCS#7 signature verifies against the scratch certificate"
		show "$tmp/verify.log"
	fi
else
	not_ok "the module carries an appended signature"
	show "$tmp/split.log"
fi

mkdir -p "$out"
cp "$ko" "$out/$name.ko" && ok "module copied out for the VM ($out/$name.ko)" || not_ok "copy the module out"

if dkms remove -m "$name" -v "$ver" --all >"$tmp/remove.log" 2>&1 && [ -z "$(dkms status -m "$name" 2>/dev/null)" ]; then
	ok "dkms remove $name/$ver --all"
else
	not_ok "dkms remove $name/$ver --all"
	show "$tmp/remove.log"
fi
finish
