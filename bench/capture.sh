# shellcheck shell=bash
# Sourced by bench/run.sh and bench/flowlog.sh: the synthetic capture both
# time, made once and loaded into the page cache the same way.

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
