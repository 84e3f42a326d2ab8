# shellcheck shell=bash
# Sourced by bench/run.sh and bench/flowlog.sh: the checks of their options
# and tools, and the synthetic capture both time, made once and loaded into
# the page cache the same way. NAME below is the calling script, for messages.

# bench_counts NAME N... — exit 2 unless every N is a positive count.
bench_counts() {
	local name=$1 n
	shift
	for n in "$@"; do
		[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$name: '$n' is not a positive count" >&2; exit 2; }
	done
}

# bench_built NAME PATH... — exit 2 unless every PATH is an executable.
bench_built() {
	local name=$1 bin
	shift
	for bin in "$@"; do
		[[ -x $bin ]] || { echo "$name: $bin not found; build first (scripts/setup.sh)" >&2; exit 2; }
	done
}

# bench_peer NAME COMMAND PACKAGE — true when COMMAND is installed; else
# says it is skipped and is false.
bench_peer() {
	command -v "$2" >/dev/null && return 0
	echo "$1: $2 not installed; skipping it (apt-get install $3)" >&2
	return 1
}

# bench_capture GEN PCAP [GEN-OPTIONS...] — write PCAP with the generator
# unless it exists, then put it in the page cache: dropped first and read
# again in one pass, so that the cache holds the file the way a fresh
# sequential read leaves it (large folios) whatever happened to it before.
# A cache left fragmented by other work slows every reader, mapped ones
# most, and every tool of a run then reads the same cached file.
bench_capture() {
	local gen=$1 pcap=$2
	shift 2
	if [[ ! -s $pcap ]]; then
		echo "generating $pcap"
		"$gen" --out "$pcap.tmp" "$@" >&2
		mv "$pcap.tmp" "$pcap"
	fi
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$pcap" 2>/dev/null || true
	cat "$pcap" >/dev/null
}
