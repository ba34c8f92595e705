#!/bin/sh
# install_deps.sh installs the Debian 12 packages gorums-c needs to build and
# test: Bazel 4.2.3 (bazel-bootstrap), the system libraries, protoc and the
# protobuf-c generator, and clang with its sanitizer runtimes.
#
# It is idempotent and silent when everything is already present. It must run
# as root (CI and a fresh machine both are); otherwise it says what to run.
set -u

PACKAGES="bazel-bootstrap libnng-dev libprotobuf-c-dev protobuf-c-compiler
protobuf-compiler libprotoc-dev libck-dev clang lld libclang-rt-14-dev
clang-format python3"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install_deps: missing packages:$missing" >&2
	echo "install_deps: run as root: apt-get install -y$missing" >&2
	exit 1
fi

echo "install_deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! apt-get update >"$log" 2>&1; then
	cat "$log" >&2
	echo "install_deps: apt-get update failed (see above)" >&2
	rm -f "$log"
	exit 1
fi
# shellcheck disable=SC2086
if ! apt-get install -y --no-install-recommends $missing >"$log" 2>&1; then
	cat "$log" >&2
	echo "install_deps: apt-get install failed for:$missing" >&2
	rm -f "$log"
	exit 1
fi
rm -f "$log"
exit 0
