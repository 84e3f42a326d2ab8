#!/usr/bin/env bash
# Runs the tshark oracle; exit 77 (skipped) when tshark or python3 is missing.
set -euo pipefail
for tool in tshark python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "skipped: $tool is not installed"
		exit 77
	fi
done
exec python3 "$(dirname "$0")/oracle.py" "$@"
