#!/usr/bin/env bash
# Benchmark: mirrored packets per second per CPU core, vxtap's agent beside the
# kernel's own mirror (tc u32 + mirred to a vxlan device), on the same traffic
# in the same run. Needs root (network namespaces).
#
# Usage: bench/mirror.sh [--seconds N] [--size BYTES] [--rate PPS | --max-rate]
#                        [--flows N] [--rounds N] [--workers N] [--perf]
#                        [--build DIR] [--vxtap PATH] [--blast PATH]
#
# Each round runs three phases of --seconds (default 5) of the same UDP
# traffic (frames of --size bytes, default 64, --flows flows, default 1024):
# no mirror, the kernel's mirror, vxtap run. The offered rate is the same in
# every phase: --rate, or by default 90% of what one core sends with the
# kernel's mirror on (measured first); --max-rate lets every phase send as
# fast as it can instead. See bench/README.md for what is counted and how the
# CPU cost of mirroring is told apart from the cost of the traffic itself.
# --workers passes --capture-workers to `vxtap run` (when it has the option).
# --perf records each mirror phase with `perf record -a -g` into bench/out/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command="bench/mirror.sh $*"
seconds=5
size=64
rate=""
max_rate=0
flows=1024
rounds=1
workers=""
perf=0
build=$root/build
vxtap=""
blast=""
settle=0.5
vni=4242

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "bench/mirror.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
	--size) size=${2:?--size needs a number}; shift 2 ;;
	--rate) rate=${2:?--rate needs a number}; shift 2 ;;
	--max-rate) max_rate=1; shift ;;
	--flows) flows=${2:?--flows needs a number}; shift 2 ;;
	--rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
	--workers) workers=${2:?--workers needs a number}; shift 2 ;;
	--perf) perf=1; shift ;;
	--build) build=${2:?--build needs a directory}; shift 2 ;;
	--vxtap) vxtap=${2:?--vxtap needs a path}; shift 2 ;;
	--blast) blast=${2:?--blast needs a path}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
for n in "$seconds" "$size" "$flows" "$rounds" ${rate:+"$rate"} ${workers:+"$workers"}; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive whole number"
done
((size >= 60 && size <= 1514)) || die "--size must be 60-1514 (an Ethernet frame without FCS)"
[[ -z $rate || $max_rate == 0 ]] || die "--rate and --max-rate exclude each other"
vxtap=${vxtap:-$build/vxtap}
blast=${blast:-$build/vxtap-blast}
for bin in "$vxtap" "$blast"; do
	[[ -x $bin ]] || die "$bin not found; build first (scripts/setup.sh)"
done
vxtap=$(cd "$(dirname "$vxtap")" && pwd)/$(basename "$vxtap")
blast=$(cd "$(dirname "$blast")" && pwd)/$(basename "$blast")
[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, AF_PACKET, tc)"
run_opts=()
if [[ -n $workers ]]; then
	"$vxtap" run --help 2>&1 | grep -q -- --capture-workers ||
		die "this vxtap run has no --capture-workers option"
	run_opts=(--capture-workers "$workers")
fi
if ((perf)); then command -v perf >/dev/null || die "--perf needs perf installed"; fi

# shellcheck source=SCRIPTDIR/../tests/e2e/lib/netns.sh
source "$root/tests/e2e/lib/netns.sh"
# e2e_vxtap runs this binary.
# shellcheck disable=SC2034
VXTAP=$vxtap
e2e_netns_usable || die "cannot create network namespaces here"
e2e_kernel_mirror_usable || die "the kernel lacks veth, vxlan, clsact, u32 or mirred"
command -v python3 >/dev/null || die "needs python3"
e2e_init

out=$root/bench/out
mkdir -p "$out"
report=$out/mirror-$(date +%Y%m%d-%H%M%S).txt

#   client --(c0 | s0)-- server --(s1 | t0)-- target
#   vxtap-blast          sink :9                counts rx, drops
#                        s0 ingress mirrored to the target, VXLAN VNI $vni
e2e_agent_topology
client_ip=$E2E_CLIENT_IP
server_ip=$E2E_SERVER_IP
target_ip=$E2E_TARGET_IP
s0_mac=$(e2e_nsx server cat /sys/class/net/s0/address)
# The kernel's mirror device; the tc filter that feeds it exists only in the
# kernel phase.
e2e_nsx server ip link add vxb0 type vxlan id "$vni" remote "$target_ip" dstport 4789 \
	dev s1 nolearning
e2e_nsx server ip link set vxb0 up
# The server drops the offered traffic at a socket that is never read: no
# ICMP answers, nothing leaves s0.
e2e_bg server "$E2E_TMP/sink.out" "$E2E_TMP/sink.err" "$blast" --sink 9
e2e_wait_for 10 "sink on UDP 9" e2e_udp_listening server 9
# The mirrored packets go to a MAC address that t0 does not have: t0 counts
# them (rx_packets) and the target's IP layer drops them at once, the same
# for both mirrors. The veth hop stands in for a NIC's transmit; what an
# analyzer does with the packets is not the mirror's cost.
e2e_nsx server ip neigh replace "$target_ip" lladdr 02:00:00:00:00:01 dev s1 nud permanent

# vxtap's control plane: the same target and an accept-all ingress filter
# (no egress rule: s0's ingress, like the tc filter). The session is
# created for the vxtap phase only, so that the agent captures nothing
# during the other phases.
eni=$(e2e_vxtap server describe-network-interfaces --filters Name=description,Values=s0 |
	e2e_json_field NetworkInterfaces.0.NetworkInterfaceId)
ana=$(e2e_vxtap server create-network-interface --private-ip-address "$target_ip" |
	e2e_json_field NetworkInterface.NetworkInterfaceId)
tmt=$(e2e_vxtap server create-traffic-mirror-target --network-interface-id "$ana" |
	e2e_json_field TrafficMirrorTarget.TrafficMirrorTargetId)
tmf=$(e2e_vxtap server create-traffic-mirror-filter |
	e2e_json_field TrafficMirrorFilter.TrafficMirrorFilterId)
e2e_vxtap server create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$tmf" \
	--traffic-direction ingress --rule-number 10 --rule-action accept \
	--source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null
VXTAP_STATE=$E2E_TMP/server.db e2e_bg server "$E2E_TMP/run.out" "$E2E_TMP/run.err" \
	"$vxtap" run "${run_opts[@]}"
agent_pid=$E2E_LAST_PID
e2e_wait_for 15 "vxtap run answering" e2e_vxtap server status || {
	cat "$E2E_TMP/run.err" >&2
	exit 1
}

# ---- measurement ----

# CPU time is counted per thread (schedstat: nanoseconds on the CPU). On a
# kernel without IRQ time accounting, softirq work is charged to the thread
# it interrupted (the generator, the agent) or runs in ksoftirqd; with it,
# softirq and hardirq time is taken from /proc/stat instead.
irqtime=0
if { zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null || true; } |
	grep -q '^CONFIG_IRQ_TIME_ACCOUNTING=y'; then
	irqtime=1
fi
ksoftirqd=()
for d in /proc/[0-9]*; do
	[[ $(cat "$d/comm" 2>/dev/null) == ksoftirqd/* ]] && ksoftirqd+=("${d#/proc/}")
done
hz=$(getconf CLK_TCK)

# tasks_ns PID... — CPU nanoseconds of every thread of the processes.
tasks_ns() {
	local p t sum=0 ns
	for p in "$@"; do
		for t in /proc/"$p"/task/*/schedstat; do
			read -r ns _ <"$t" 2>/dev/null || continue
			sum=$((sum + ns))
		done
	done
	echo "$sum"
}

# agent_counters — mirrored, dropped (send path full + no target),
# kernel drops, frames captured; summed over sessions and sources.
agent_counters() {
	e2e_vxtap server stats | python3 -c 'import json, sys
d = json.load(sys.stdin)
s, src = d["Sessions"], d["Sources"]
print(sum(x["MirroredPackets"] for x in s),
      sum(sum(x["DroppedPackets"].values()) for x in s),
      sum(x["KernelDrops"] for x in src), sum(x["Frames"] for x in src))'
}

# snap — one line of counters, in this order:
#   s0_rx t0_rx vx_tx vx_drop ag_mirrored ag_dropped ag_kdrops ag_frames
#   agent_ns ksoftirqd_ns stat_busy stat_all stat_irq (ticks, all CPUs)
snap() {
	local srv tgt ag stat
	srv=$(e2e_nsx server cat /sys/class/net/s0/statistics/rx_packets \
		/sys/class/net/vxb0/statistics/tx_packets /sys/class/net/vxb0/statistics/tx_dropped)
	tgt=$(e2e_nsx target cat /sys/class/net/t0/statistics/rx_packets)
	ag=$(agent_counters)
	stat=$(awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9
		print busy, busy + $5 + $6, $7 + $8 }' /proc/stat)
	# shellcheck disable=SC2086 # word lists
	set -- $srv
	echo "$1 $tgt $2 $3 $ag $(tasks_ns "$agent_pid") $(tasks_ns "${ksoftirqd[@]}") $stat"
}

# offer SECONDS [RATE] — the generator in the client namespace; prints its
# line: sent=N seconds=WALL cpu=CPU errors=E
offer() {
	e2e_nsx client "$blast" --dev c0 --dst-mac "$s0_mac" --src "$client_ip" \
		--dst "$server_ip" --port 9 --size "$size" --seconds "$1" --flows "$flows" \
		${2:+--rate "$2"}
}

# A mirror phase's `perf record -a -g`, started in the background.
perf_pid=""
perf_start() {
	((perf)) || return 0
	perf record -a -g -o "$out/mirror-perf-$1.data" -- sleep "$seconds" \
		>"$E2E_TMP/perf.out" 2>&1 &
	perf_pid=$!
	E2E_PIDS+=("$perf_pid")
}
perf_wait() {
	[[ -n $perf_pid ]] || return 0
	wait "$perf_pid" || true
	perf_pid=""
}

records=() # one line per phase: mode round, then the measured values

# phase MODE ROUND — offer the traffic once and record what happened.
phase() {
	local mode=$1 round=$2 before after gen
	before=$(snap)
	[[ $mode == none ]] || perf_start "$mode"
	gen=$(offer "$seconds" "$rate")
	# Let the agent empty its ring (and the kernel its queues).
	sleep "$settle"
	perf_wait
	after=$(snap)
	# sent=N seconds=S cpu=C errors=E
	local sent secs gcpu
	sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$gen")
	secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$gen")
	gcpu=$(sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' <<<"$gen")
	records+=("$(awk -v mode="$mode" -v round="$round" -v sent="$sent" -v secs="$secs" \
		-v gcpu="$gcpu" -v b="$before" -v a="$after" -v irqtime="$irqtime" -v hz="$hz" '
		BEGIN {
			split(b, x); split(a, y)
			for (i = 1; i <= 13; i++) d[i] = y[i] - x[i]
			offered = d[1]; t0rx = d[2]
			if (mode == "tc") { mirrored = d[3]; drops = d[4]; kdrops = 0 }
			else if (mode == "vxtap") { mirrored = d[5]; drops = d[6]; kdrops = d[7] }
			else { mirrored = 0; drops = 0; kdrops = 0 }
			gen_ns = gcpu * 1e9; agent_ns = d[9]
			# softirq outside the two processes
			other_ns = irqtime ? d[13] * 1e9 / hz : d[10]
			if (mode != "vxtap") agent_ns = 0
			cpu_ns = gen_ns + agent_ns + other_ns
			busy = d[11] / hz; all = d[12] / hz
			printf "%s %d %d %.6f %d %d %d %d %d %.0f %.0f %.0f %.0f %.4f %.4f\n",
				mode, round, sent, secs, offered, mirrored, t0rx, drops, kdrops,
				gen_ns, agent_ns, other_ns, cpu_ns, busy, all
		}')")
	echo "  $mode: $gen" >&2
}

session=""
vxtap_on() {
	session=$(e2e_vxtap server create-traffic-mirror-session --network-interface-id "$eni" \
		--traffic-mirror-target-id "$tmt" --traffic-mirror-filter-id "$tmf" \
		--session-number 1 --virtual-network-id "$vni" |
		e2e_json_field TrafficMirrorSession.TrafficMirrorSessionId)
	capturing() { e2e_vxtap server stats | grep -q '"Capturing": true'; }
	e2e_wait_for 10 "the agent capturing s0" capturing || {
		cat "$E2E_TMP/run.err" >&2
		e2e_vxtap server stats >&2
		exit 1
	}
}
vxtap_off() {
	e2e_vxtap server delete-traffic-mirror-session --traffic-mirror-session-id "$session" \
		>/dev/null
	idle() { ! e2e_vxtap server stats | grep -q '"Capturing"'; }
	e2e_wait_for 10 "the agent to stop capturing" idle
}
tc_on() {
	e2e_nsx server tc qdisc add dev s0 clsact
	e2e_nsx server tc filter add dev s0 ingress protocol all prio 1 \
		u32 match u32 0 0 action mirred egress mirror dev vxb0
}
tc_off() { e2e_nsx server tc qdisc del dev s0 clsact; }

# Warm up: the first packets through a new namespace pay for cold caches.
offer 1 >/dev/null
how="--rate"  # or measured below
if [[ -z $rate && $max_rate == 0 ]]; then
	# The same offered rate in every phase: 90% of what one core sends with
	# the kernel's mirror on, so that every phase can offer it.
	tc_on
	rate=$(offer 2 | awk -F'[= ]' '{ printf "%d", 0.9 * $2 / $4 }')
	tc_off
	how="90% of one sending core with the kernel's mirror"
fi
{
	echo "command: $command"
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
	echo "vxtap:   $("$vxtap" --version 2>/dev/null || echo unknown)${workers:+, --capture-workers $workers}"
	offered=${rate:+$rate packets/s ($how)}
	echo "traffic: UDP, $size-byte frames, $flows flows, ${offered:-as fast as one core sends}, ${seconds} s per phase, $rounds round(s)"
	echo "CPU:     per-thread time; softirq from $( ((irqtime)) && echo "/proc/stat (IRQ time accounting)" || echo "the interrupted threads and ksoftirqd")"
	if ((perf)); then
		echo "perf:    bench/out/mirror-perf-{tc,vxtap}.data; the agent is pid $agent_pid"
	fi
} | tee "$report" >&2

for ((r = 1; r <= rounds; r++)); do
	echo "round $r" >&2
	phase none "$r"
	tc_on
	phase tc "$r"
	tc_off
	vxtap_on
	phase vxtap "$r"
	vxtap_off
done

# ---- report ----

raw=$(printf '%s\n' "${records[@]}")
{
	echo
	echo "per phase (packets are counts over the phase; CPU in seconds):"
	printf '%-6s %5s %9s %10s %10s %10s %6s %7s %8s %8s %8s %8s %9s\n' \
		mode round seconds offered mirrored target_rx drops k_drops gen_cpu agent_cpu \
		softirq total_cpu mach_cores
	awk '{ printf "%-6s %5d %9.3f %10d %10d %10d %6d %7d %8.3f %8.3f %8.3f %8.3f %9.2f\n",
		$1, $2, $4, $5, $6, $7, $8, $9, $10 / 1e9, $11 / 1e9, $12 / 1e9, $13 / 1e9,
		$15 ? $14 / $15 * ncpu : 0 }' ncpu="$(nproc)" <<<"$raw"
	echo
	# Sums over the rounds; "mirror CPU" is a phase's CPU less what the same
	# number of packets cost without a mirror.
	awk '
	{
		m = $1; secs[m] += $4; offered[m] += $5; mirrored[m] += $6
		drops[m] += $8 + $9; agent[m] += $11; cpu[m] += $13
		r = $2; rounds = r; roff[m, r] = $5; rmir[m, r] = $6; rcpu[m, r] = $13
	}
	END {
		base = cpu["none"] / offered["none"] # CPU ns per packet of the traffic alone
		printf "%-26s %10s %10s %8s %6s %6s %9s %11s %10s\n", "", "offered/s",
			"mirrored/s", "drops", "path", "mirror", "mirror ns", "mirrored/s", "whole path"
		printf "%-26s %10s %10s %8s %6s %6s %9s %11s %10s\n", "", "", "", "", "cores",
			"cores", "/packet", "per core", "per core"
		n = split("none tc vxtap", modes, " ")
		name["none"] = "no mirror"
		name["tc"] = "kernel (u32+mirred+vxlan)"
		name["vxtap"] = "vxtap run"
		for (i = 1; i <= n; i++) {
			m = modes[i]
			cores = cpu[m] / 1e9 / secs[m]
			if (m == "none") {
				printf "%-26s %10d %10s %8s %6.2f %6s %9s %11s %10s\n", name[m],
					offered[m] / secs[m], "-", "-", cores, "-", "-", "-", "-"
				continue
			}
			mcpu = cpu[m] - offered[m] * base
			ns[m] = mirrored[m] ? mcpu / mirrored[m] : 0
			per[m] = mcpu > 0 ? mirrored[m] / (mcpu / 1e9) : 0
			whole[m] = mirrored[m] / (cpu[m] / 1e9)
			printf "%-26s %10d %10d %8d %6.2f %6.2f %9.0f %11d %10d\n", name[m],
				offered[m] / secs[m], mirrored[m] / secs[m], drops[m], cores,
				mcpu / 1e9 / secs[m], ns[m], per[m], whole[m]
		}
		printf "\nCPU per offered packet without a mirror: %.0f ns\n", base
		if (mirrored["vxtap"])
			printf "vxtap: agent threads %.0f ns per mirrored packet, capture (softirq of the sender) %.0f ns per offered packet\n",
				agent["vxtap"] / mirrored["vxtap"],
				(cpu["vxtap"] - agent["vxtap"] - offered["vxtap"] * base) / offered["vxtap"]
		if (per["tc"] > 0)
			printf "ratio vxtap / kernel, mirrored packets/s per core: %.2f (whole path: %.2f)\n",
				per["vxtap"] / per["tc"], whole["vxtap"] / whole["tc"]
		if (rounds > 1) {
			printf "the same ratio round by round:"
			for (r = 1; r <= rounds; r++) {
				b = rcpu["none", r] / roff["none", r]
				t = rmir["tc", r] / (rcpu["tc", r] - roff["tc", r] * b)
				v = rmir["vxtap", r] / (rcpu["vxtap", r] - roff["vxtap", r] * b)
				printf " %.2f", v / t
			}
			printf "\n"
		}
	}' <<<"$raw"
} | tee -a "$report"
echo "report: ${report#"$root"/}" >&2
