#!/usr/bin/env bash
# Flow-log totals per 5-tuple against tshark and nfdump on the same captures
# (see flowlog_oracle.py). Exit 77 (skipped) when tshark or python3 is
# missing, or when nfdump or the generator is (after running the rest).
#   flowlog_oracle.sh PATH_TO_VXTAP [PATH_TO_VXTAP_GEN]
set -euo pipefail
for tool in tshark python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "skipped: $tool is not installed"
		exit 77
	fi
done
exec python3 "$(dirname "$0")/flowlog_oracle.py" "$@"
