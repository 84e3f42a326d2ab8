#!/usr/bin/env bash
# Benchmark: `vxtap analyze` beside tshark and tcpdump on the same synthetic
# VXLAN capture, read from the page cache. Prints packets/s per tool and the
# ratio of vxtap's rate to each peer's.
#
# Usage: bench/run.sh [--packets N] [--runs N] [--peer-runs N] [--vxtap PATH]
#                     [--gen PATH] [--no-tshark] [--no-tcpdump] [--plain]
#
# The capture is written once to bench/out/ (kept between runs; same options,
# same bytes). Each tool runs --runs times (peers --peer-runs times) and the
# fastest wall-clock run counts: the input is in memory, so the best run is
# the one least disturbed by the rest of the machine.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
packets=1000000
runs=5
peer_runs=1
vxtap=$root/build/vxtap
gen=$root/build/vxtap-gen
tshark=1
tcpdump=1
encap=--vxlan

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--packets) packets=${2:?--packets needs a number}; shift 2 ;;
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--peer-runs) peer_runs=${2:?--peer-runs needs a number}; shift 2 ;;
	--vxtap) vxtap=${2:?--vxtap needs a path}; shift 2 ;;
	--gen) gen=${2:?--gen needs a path}; shift 2 ;;
	--no-tshark) tshark=0; shift ;;
	--no-tcpdump) tcpdump=0; shift ;;
	--plain) encap=""; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
# shellcheck source=bench/common.sh
. "$root/bench/common.sh"
bench_counts bench/run.sh "$packets" "$runs" "$peer_runs"
bench_built bench/run.sh "$vxtap" "$gen"
if [[ $tshark == 1 ]] && ! bench_peer bench/run.sh tshark tshark; then tshark=0; fi
if [[ $tcpdump == 1 ]] && ! bench_peer bench/run.sh tcpdump tcpdump; then tcpdump=0; fi

out=$root/bench/out
mkdir -p "$out"
kind=${encap:+vxlan}
kind=${kind:-plain}
pcap=$out/$kind-$packets.pcap
# shellcheck disable=SC2086 # encap is one word or none
bench_capture "$gen" "$pcap" --packets "$packets" $encap

# best_of N CMD... — fastest wall time of N runs, in nanoseconds; stdout of
# the command goes to $out/last.out.
best_of() {
	local n=$1 best=0 t0 t1 i
	shift
	for ((i = 0; i < n; i++)); do
		t0=$(date +%s%N)
		"$@" >"$out/last.out" 2>"$out/last.err" || {
			echo "bench/run.sh: failed: $*" >&2
			cat "$out/last.err" >&2
			exit 1
		}
		t1=$(date +%s%N)
		if ((best == 0 || t1 - t0 < best)); then best=$((t1 - t0)); fi
	done
	echo "$best"
}

declare -a names cmds times
add() { names+=("$1"); shift; cmds+=("$*"); }

add "vxtap decode" "$vxtap" analyze --read "$pcap" --summary none
add "vxtap decode+http" "$vxtap" analyze --read "$pcap" --http --summary none
[[ $tcpdump == 1 ]] && add "tcpdump -n (decode, one line each)" tcpdump -n -r "$pcap"
[[ $tshark == 1 ]] && add "tshark http fields" \
	tshark -n -r "$pcap" -Y http -T fields -e ip.src -e tcp.srcport -e ip.dst \
	-e tcp.dstport -e http.request.method -e http.request.uri -e http.host \
	-e http.user_agent -e http.response.code -e http.content_type -e http.content_length

echo
echo "capture: ${pcap#"$root"/} ($packets packets, $(stat -c %s "$pcap") bytes)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "vxtap:   $("$vxtap" --version 2>/dev/null || echo unknown)"
echo
for i in "${!names[@]}"; do
	n=$runs
	[[ ${names[$i]} == vxtap* ]] || n=$peer_runs
	# shellcheck disable=SC2086 # the command was stored as words
	times[i]=$(best_of "$n" ${cmds[$i]})
	if [[ ${names[$i]} == "vxtap decode+http" ]]; then
		http_lines=$(wc -l <"$out/last.out")
	fi
	if [[ ${names[$i]} == tshark* ]]; then
		tshark_lines=$(wc -l <"$out/last.out")
	fi
done

pps() { echo $((packets * 1000000000 / $1)); }
vx_http=${times[1]}
printf '%-36s %10s %14s %18s\n' tool seconds packets/s "time vs vxtap+http"
for i in "${!names[@]}"; do
	t=${times[$i]}
	ratio=$(awk -v a="$t" -v b="$vx_http" 'BEGIN { printf "%.1fx", a / b }')
	[[ $i == 1 ]] && ratio="-"
	printf '%-36s %10s %14s %18s\n' "${names[$i]}" \
		"$(awk -v t="$t" 'BEGIN { printf "%.3f", t / 1e9 }')" "$(pps "$t")" "$ratio"
done
echo
echo "HTTP lines: vxtap ${http_lines:-?}${tshark_lines:+, tshark $tshark_lines}"
