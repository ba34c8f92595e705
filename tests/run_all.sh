#!/bin/sh
# run_all.sh: the whole test suite, as the README and CI run it.
#
# Installs what a fresh Debian 12 machine lacks (bazel/install_deps.sh), then
# runs every test target three times: plain, under ThreadSanitizer and under
# ASan+UBSan+LSan. Prints Bazel's per-target lines and ends with one line
# "N passed, N failed" counting test targets over the three configurations.
# Exits non-zero if any configuration fails to build or any test fails.
set -u
cd "$(dirname "$0")/.." || exit 1

sh bazel/install_deps.sh || exit 1

pass=0
fail=0
rc=0
log=$(mktemp)

# Formatting is part of the suite: every C file as .clang-format says
# (generated golden files excepted: they are compared byte for byte).
echo "== clang-format --dry-run"
files=$(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^gen/testdata/')
if [ -n "$files" ] && ! clang-format --dry-run --Werror $files >"$log" 2>&1; then
	grep -E '^[^ ]+:[0-9]+:[0-9]+: error' "$log" | cut -d: -f1 | sort -u
	echo "//:clang_format FAILED"
	fail=$((fail + 1))
	rc=1
else
	echo "//:clang_format PASSED"
	pass=$((pass + 1))
fi

for cfg in "" "--config=tsan" "--config=asan"; do
	echo "== bazel test ${cfg:-(plain)} //..."
	# shellcheck disable=SC2086
	bazel test $cfg --color=no --curses=no --noshow_progress \
		--test_summary=short //... >"$log" 2>&1
	r=$?
	grep -E '^//|^Executed|^ERROR|^FAILED' "$log"
	p=$(grep -cE '^//[^ ]+ .*PASSED' "$log")
	f=$(grep -cE '^//[^ ]+ .*(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log")
	pass=$((pass + p))
	fail=$((fail + f))
	# A failure is only useful with its log: show the end of each one.
	for t in $(grep -oE '^//[^ ]+ .*(FAILED|TIMEOUT)' "$log" |
		cut -d' ' -f1); do
		tl="bazel-testlogs/$(echo "${t#//}" | tr ':' '/')/test.log"
		echo "---- $t ${cfg:-(plain)}: tail of $tl"
		tail -80 "$tl" 2>/dev/null
		echo "---- end of $t"
	done
	if [ "$r" -ne 0 ]; then
		rc=$r
		# A build error leaves no per-test line: count it as a failure.
		if [ "$f" -eq 0 ]; then
			fail=$((fail + 1))
			tail -40 "$log"
		fi
	fi
done
rm -f "$log"
echo "$pass passed, $fail failed"
exit $rc
