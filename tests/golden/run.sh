#!/usr/bin/env bash
# Golden tests: real captures through the CLI, output compared byte for byte
# with tests/golden/expected/. UPDATE=1 rewrites the expected files instead.
set -euo pipefail

vxtap=${1:?usage: run.sh PATH_TO_VXTAP}
here=$(cd "$(dirname "$0")" && pwd)
pcaps=$here/../data/pcaps
expected=$here/expected
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pass=0
fail=0
while IFS='|' read -r name capture options; do
	name=$(echo "$name" | xargs)
	capture=$(echo "$capture" | xargs)
	[[ -z $name || $name == \#* ]] && continue
	# shellcheck disable=SC2086 # options are words by design
	if ! "$vxtap" analyze --read "$pcaps/$capture" $options --summary - >"$work/$name.txt" 2>"$work/$name.err"; then
		echo "FAIL $name: vxtap exited non-zero"
		cat "$work/$name.err"
		fail=$((fail + 1))
		continue
	fi
	if [[ ${UPDATE:-0} == 1 ]]; then
		cp "$work/$name.txt" "$expected/$name.txt"
	fi
	if cmp -s "$work/$name.txt" "$expected/$name.txt"; then
		pass=$((pass + 1))
	else
		echo "FAIL $name: output differs from expected/$name.txt"
		diff -u "$expected/$name.txt" "$work/$name.txt" | head -40 || true
		fail=$((fail + 1))
	fi
done <"$here/cases.txt"

# The pcap writer: decapsulate the AWS capture, then read the result back.
"$vxtap" analyze --read "$pcaps/sv-vxlan-aws-traffic-mirror.pcap" --write "$work/inner.pcap" \
	--summary none
"$vxtap" analyze --read "$work/inner.pcap" --brief --summary - >"$work/rewrite.txt"
if [[ ${UPDATE:-0} == 1 ]]; then
	cp "$work/rewrite.txt" "$expected/aws-mirror-rewritten.txt"
fi
if cmp -s "$work/rewrite.txt" "$expected/aws-mirror-rewritten.txt"; then
	pass=$((pass + 1))
else
	echo "FAIL aws-mirror-rewritten: decapsulated pcap reads back differently"
	diff -u "$expected/aws-mirror-rewritten.txt" "$work/rewrite.txt" | head -40 || true
	fail=$((fail + 1))
fi

echo "golden: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
