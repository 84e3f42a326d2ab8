#!/usr/bin/env bash
# Run every test: unit, golden, tshark oracle, CLI, end-to-end (network
# namespaces; root only) on the release build; unit and golden tests again
# under AddressSanitizer + UndefinedBehaviorSanitizer; then each libFuzzer
# target for a bounded time. Expects scripts/setup.sh to have run.
#   scripts/test.sh            FUZZ_SECONDS=60 by default
set -uo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds=${FUZZ_SECONDS:-60}
passed=0
failed=0

step() {
	local name=$1
	shift
	echo "== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "== $name: FAILED"
		failed=$((failed + 1))
	fi
}

step "build" cmake --build build
step "ctest (release)" ctest --test-dir build --output-on-failure

sanitize() {
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVXTAP_SANITIZE=ON >/dev/null &&
		cmake --build build-asan &&
		# The concurrent-writer test runs at full size (4 x 200) in the release
		# build; here a quarter of it, since every sanitized process is slow to start.
		CREATES=50 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			ctest --test-dir build-asan --output-on-failure -L 'unit|golden'
}
step "ctest (ASan+UBSan)" sanitize

fuzz() {
	CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVXTAP_FUZZ=ON \
		-DVXTAP_SANITIZE=ON >/dev/null && cmake --build build-fuzz || return 1
	local rc=0
	for target in build-fuzz/tests/fuzz/fuzz_*; do
		[[ -x $target ]] || continue
		local name corpus
		name=$(basename "$target")
		corpus=$(mktemp -d)
		cp tests/fuzz/corpus/"${name#fuzz_}"/* "$corpus"/ 2>/dev/null || true
		echo "-- $name for ${fuzz_seconds}s"
		if ! "$target" -max_total_time="$fuzz_seconds" -max_len=4096 -print_final_stats=1 \
			"$corpus" 2>&1 | tail -4; then
			rc=1
		fi
		rm -rf "$corpus"
	done
	return $rc
}
step "fuzz (libFuzzer, ASan+UBSan)" fuzz

echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
