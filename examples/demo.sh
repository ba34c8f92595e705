#!/bin/sh
# demo.sh: the README's demo. On a fresh Debian 12 machine, as root:
#
#   sh examples/demo.sh
#
# installs the Debian packages gorums-c needs if any is missing
# (bazel/install_deps.sh), builds the storage example's demo with Bazel and
# runs it: three storage servers on 127.0.0.1, quorum calls, servers
# stopped and restarted (examples/storage/README.md tells the story).
# The exit status is the demo's: 0 if every step went as expected.
set -u
cd "$(dirname "$0")/.." || exit 1

sh bazel/install_deps.sh || exit 1

echo "demo.sh: building //examples/storage:storage_demo" \
	"(the first build takes a few minutes)" >&2
log=$(mktemp)
if ! bazel build --color=no --curses=no --noshow_progress \
	//examples/storage:storage_demo >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	echo "demo.sh: the build failed" >&2
	exit 1
fi
rm -f "$log"

# The plain configuration's output tree, whichever one bazel-bin points to.
bin="$(bazel info bazel-bin 2>/dev/null)/examples/storage/storage_demo"
if [ ! -x "$bin" ]; then
	echo "demo.sh: $bin is missing" >&2
	exit 1
fi
"$bin"
