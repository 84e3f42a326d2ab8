#!/usr/bin/env bash
# Benchmark: VPC Flow Logs records from a capture — `vxtap analyze --flow-logs`
# beside softflowd and nfpcapd (flow exporters that read a pcap) on the same
# synthetic capture (no VXLAN), read from the page cache. Prints seconds, CPU
# seconds, packets/s per tool and vxtap's rate relative to each peer's.
#
# Usage: bench/flowlog.sh [--packets N] [--runs N] [--peer-runs N] [--vxtap PATH]
#                         [--gen PATH] [--no-softflowd] [--no-nfpcapd] [--perf]
#
# The capture is written once to bench/out/ (the same file as
# `bench/run.sh --plain`). Each command runs --runs times (peers --peer-runs
# times) and the fastest wall-clock run counts. --perf records one more run of
# `vxtap analyze --flow-logs -` with `perf record -g` into
# bench/out/flowlog-perf.data and prints its top symbols.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
packets=1000000
runs=5
peer_runs=3
vxtap=$root/build/vxtap
gen=$root/build/vxtap-gen
softflowd=1
nfpcapd=1
perf=0

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--packets) packets=${2:?--packets needs a number}; shift 2 ;;
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--peer-runs) peer_runs=${2:?--peer-runs needs a number}; shift 2 ;;
	--vxtap) vxtap=${2:?--vxtap needs a path}; shift 2 ;;
	--gen) gen=${2:?--gen needs a path}; shift 2 ;;
	--no-softflowd) softflowd=0; shift ;;
	--no-nfpcapd) nfpcapd=0; shift ;;
	--perf) perf=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench/flowlog.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
bench_counts bench/flowlog.sh "$packets" "$runs" "$peer_runs"
bench_built bench/flowlog.sh "$vxtap" "$gen"
if [[ $softflowd == 1 ]] && ! bench_peer bench/flowlog.sh softflowd softflowd; then softflowd=0; fi
if [[ $nfpcapd == 1 ]] && ! bench_peer bench/flowlog.sh nfpcapd nfdump; then nfpcapd=0; fi
if [[ $perf == 1 ]] && ! command -v perf >/dev/null; then
	echo "bench/flowlog.sh: perf not installed; --perf ignored" >&2
	perf=0
fi

out=$root/bench/out
mkdir -p "$out"
pcap=$out/plain-$packets.pcap
bench_capture "$gen" "$pcap" --packets "$packets"

# vxtap takes the host identity from its state store: a private, empty one,
# so that the run neither reads nor creates the host's.
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export VXTAP_STATE=$state/state.db

# softflowd exports NetFlow v9 over UDP to a loopback port nobody reads.
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)

s3_dir=$out/flowlog-s3
nf_dir=$out/flowlog-nfpcapd
prep_s3() { rm -rf "$s3_dir"; mkdir -p "$s3_dir"; }
prep_nf() { rm -rf "$nf_dir"; mkdir -p "$nf_dir"; }
prep_none() { :; }

# best_of N PREP STDOUT CMD... — the fastest of N runs: "WALL_NS CPU_NS"
# (wall clock, and user + system CPU of the command from bash's `time`).
# PREP runs before each run, untimed. The command's stdout goes to STDOUT,
# its stderr to $out/last.err.
best_of() {
	local n=$1 prep=$2 stdout=$3 best="" i real user sys t
	shift 3
	for ((i = 0; i < n; i++)); do
		"$prep"
		t=$({
			TIMEFORMAT='%3R %3U %3S'
			time "$@" >"$stdout" 2>"$out/last.err"
		} 2>&1) || {
			echo "bench/flowlog.sh: failed: $*" >&2
			cat "$out/last.err" >&2
			exit 1
		}
		read -r real user sys <<<"$t"
		real=$(awk -v s="$real" 'BEGIN { printf "%d", s * 1e9 }')
		local cpu
		cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", (u + s) * 1e9 }')
		if [[ -z $best ]] || ((real < ${best% *})); then best="$real $cpu"; fi
	done
	echo "$best"
}

# add NAME PREP STDOUT CMD...
declare -a names preps stdouts cmds results
add() { names+=("$1"); preps+=("$2"); stdouts+=("$3"); shift 3; cmds+=("$*"); }

add "vxtap decode only" prep_none "$out/last.out" \
	"$vxtap" analyze --read "$pcap" --summary none
add "vxtap --flow-logs - (text to /dev/null)" prep_none /dev/null \
	"$vxtap" analyze --read "$pcap" --flow-logs - --summary none
add "vxtap --flow-logs DIR (S3 gzip objects)" prep_s3 "$out/last.out" \
	"$vxtap" analyze --read "$pcap" --flow-logs "$s3_dir" --summary none
[[ $softflowd == 1 ]] && add "softflowd -r (NetFlow v9 to UDP)" prep_none "$out/last.out" \
	softflowd -r "$pcap" -n "127.0.0.1:$port" -v 9 -d -c none
[[ $nfpcapd == 1 ]] && add "nfpcapd -r (nfcapd files)" prep_nf "$out/last.out" \
	nfpcapd -r "$pcap" -w "$nf_dir"

version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
echo
echo "capture: ${pcap#"$root"/} ($packets packets, $(stat -c %s "$pcap") bytes)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "vxtap:   $("$vxtap" --version 2>/dev/null || echo unknown)"
[[ $softflowd == 1 ]] && echo "softflowd: $(version softflowd)"
[[ $nfpcapd == 1 ]] && echo "nfpcapd: nfdump $(version nfdump)"
echo
for i in "${!names[@]}"; do
	n=$runs
	[[ ${names[$i]} == vxtap* ]] || n=$peer_runs
	# shellcheck disable=SC2086 # the command was stored as words
	results[i]=$(best_of "$n" "${preps[$i]}" "${stdouts[$i]}" ${cmds[$i]})
	case ${names[$i]} in
	softflowd*) sf_records=$(sed -n 's/.*Flows exported: [0-9]* (\([0-9]*\) records).*/\1/p' "$out/last.err" "$out/last.out" | head -1) ;;
	nfpcapd*) command -v nfdump >/dev/null &&
		nf_records=$(nfdump -R "$nf_dir" -I 2>/dev/null | awk '$1 == "Flows:" { print $2 }') ;;
	esac
done
# The records vxtap writes, counted once outside the timed runs.
vx_records=$("$vxtap" analyze --read "$pcap" --flow-logs - --summary none | wc -l)

pps() { echo $((packets * 1000000000 / $1)); }
secs() { awk -v t="$1" 'BEGIN { printf "%.3f", t / 1e9 }'; }
printf '%-42s %8s %8s %12s\n' command seconds cpu_s packets/s
for i in "${!names[@]}"; do
	read -r wall cpu <<<"${results[$i]}"
	printf '%-42s %8s %8s %12s\n' "${names[$i]}" "$(secs "$wall")" "$(secs "$cpu")" "$(pps "$wall")"
done
echo
echo "records: vxtap $vx_records${sf_records:+, softflowd $sf_records}${nf_records:+, nfpcapd $nf_records}"

# vxtap's rate against each peer's (wall clock, same file, same run).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
for i in 1 2; do
	read -r vx_wall _ <<<"${results[$i]}"
	line="${names[$i]}:"
	for j in "${!names[@]}"; do
		[[ ${names[$j]} == vxtap* ]] && continue
		read -r peer_wall _ <<<"${results[$j]}"
		line+=" $(ratio "$peer_wall" "$vx_wall") ${names[$j]%% *}'s rate,"
	done
	echo "${line%,}; $(pps "$vx_wall") packets/s"
done

if [[ $perf == 1 ]]; then
	perf record -q -g -o "$out/flowlog-perf.data" \
		"$vxtap" analyze --read "$pcap" --flow-logs - --summary none >/dev/null 2>/dev/null
	echo
	echo "perf: ${out#"$root"/}/flowlog-perf.data (vxtap --flow-logs -), top symbols:"
	perf report -i "$out/flowlog-perf.data" --no-children --stdio -g none --percent-limit 1 2>/dev/null |
		grep '%' | head -20
fi
