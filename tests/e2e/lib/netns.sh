# shellcheck shell=bash
# Shared helpers for the end-to-end scenarios in network namespaces.
#
# Sourced, not run: it lives in a subfolder so that the CTest glob
# tests/e2e/*.sh does not take it for a test. Callers use `set -euo pipefail`.
#
# Everything created here is named with the caller's PID ($$) so that two runs
# at the same time never touch each other's namespaces, and everything is torn
# down by an EXIT trap, also after a failed assertion or Ctrl-C.

# CTest treats this exit code as "skipped" (SKIP_RETURN_CODE 77).
readonly E2E_SKIP=77

E2E_NAMESPACES=()   # namespaces we created, deleted on exit
E2E_PIDS=()         # background processes we started, killed on exit
E2E_TMP=""          # scratch directory, removed on exit
E2E_VERBOSE=${E2E_VERBOSE:-0}

e2e_log() { printf '%s\n' "$*" >&2; }

# Verbose progress for debugging a scenario: E2E_VERBOSE=1 bash SCRIPT ...
e2e_debug() { if [[ $E2E_VERBOSE == 1 ]]; then printf '  [e2e] %s\n' "$*" >&2; fi; }

e2e_skip() {
    e2e_log "SKIP: $*"
    exit "$E2E_SKIP"
}

e2e_fail() {
    e2e_log "FAIL: $*"
    exit 1
}

# e2e_have_cmds CMD... — true when every program is on PATH.
e2e_have_cmds() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || return 1
    done
}

# e2e_require_cmds CMD... — skip (not fail) when a program is missing: the
# scenario cannot run on this machine, which says nothing about vxtap.
e2e_require_cmds() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || e2e_skip "needs '$c', which is not installed"
    done
}

# e2e_netns_usable — true when we are root and can create a namespace.
# Probing with a real namespace catches containers where `ip netns` exists
# but is not permitted.
e2e_netns_usable() {
    [[ $(id -u) -eq 0 ]] || return 1
    command -v ip >/dev/null 2>&1 || return 1
    local probe="vxt-probe-$$"
    ip netns add "$probe" >/dev/null 2>&1 || return 1
    ip netns del "$probe" >/dev/null 2>&1 || true
}

# e2e_require_netns — skip unless root with working `ip netns`.
e2e_require_netns() {
    [[ $(id -u) -eq 0 ]] || e2e_skip "needs root for network namespaces"
    e2e_require_cmds ip
    e2e_netns_usable || e2e_skip "'ip netns add' does not work here"
}

# e2e_kernel_mirror_usable — true when this kernel has what the mirror
# scenario needs (veth and vxlan devices, the clsact qdisc, u32 and mirred),
# tried in a throwaway namespace.
e2e_kernel_mirror_usable() {
    local probe="vxt-kprobe-$$" ok=0
    ip netns add "$probe" >/dev/null 2>&1 || return 1
    if ip -n "$probe" link add vxprobe type vxlan id 1 dstport 4789 nolearning >/dev/null 2>&1 &&
        ip -n "$probe" link add dprobe type veth peer name dprobe1 >/dev/null 2>&1 &&
        ip netns exec "$probe" tc qdisc add dev dprobe clsact >/dev/null 2>&1 &&
        ip netns exec "$probe" tc filter add dev dprobe ingress protocol all prio 1 \
            u32 match u32 0 0 action mirred egress mirror dev vxprobe >/dev/null 2>&1; then
        ok=1
    fi
    ip netns del "$probe" >/dev/null 2>&1 || true
    [[ $ok == 1 ]]
}

# e2e_require_kernel_mirror — skip when the kernel cannot build the mirror.
e2e_require_kernel_mirror() {
    e2e_kernel_mirror_usable ||
        e2e_skip "kernel lacks veth, vxlan, clsact, u32 or mirred support"
}

# e2e_init — scratch directory and the cleanup trap. Call once, first.
e2e_init() {
    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vxtap-e2e.XXXXXX")
    trap e2e_cleanup EXIT
    # Turn signals into a normal exit so that the EXIT trap runs once.
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# e2e_kill_pid PID — SIGTERM, a short grace period, then SIGKILL.
e2e_kill_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

e2e_cleanup() {
    local rc=$? pid ns
    trap - EXIT INT TERM
    set +e
    for pid in "${E2E_PIDS[@]}"; do
        e2e_kill_pid "$pid"
    done
    for ns in "${E2E_NAMESPACES[@]}"; do
        # A process left running inside our own namespace keeps it alive;
        # these are all ours, since the namespace name is unique to this run.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    if [[ -n $E2E_TMP && -d $E2E_TMP ]]; then
        if [[ ${E2E_KEEP:-0} == 1 ]]; then
            e2e_log "kept scratch directory $E2E_TMP"
        else
            rm -rf -- "$E2E_TMP"
        fi
    fi
    exit "$rc"
}

# e2e_ns ROLE — prints the namespace name used for ROLE in this run.
e2e_ns() { printf 'vxt-%s-%s' "$1" "$$"; }

# e2e_ns_add ROLE — create the namespace for ROLE with loopback up, IPv6 off
# (no DAD delays, no router solicitations in the mirrored traffic) and
# reverse-path filtering off (the mirror copies arrive on a tunnel).
e2e_ns_add() {
    local ns
    ns=$(e2e_ns "$1")
    ip netns add "$ns"
    E2E_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw \
        net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 \
        net.ipv4.conf.all.rp_filter=0 \
        net.ipv4.conf.default.rp_filter=0 >/dev/null 2>&1 || true
    e2e_debug "namespace $ns"
}

# e2e_nsx ROLE CMD... — run CMD inside ROLE's namespace.
e2e_nsx() {
    local ns
    ns=$(e2e_ns "$1")
    shift
    ip netns exec "$ns" "$@"
}

# e2e_veth ROLE_A IF_A ADDR_A/LEN ROLE_B IF_B ADDR_B/LEN [MTU]
# One veth pair between two namespaces, both ends addressed and up. The ends
# are created directly inside the namespaces, so their short names never
# collide with another run's.
e2e_veth() {
    local ra=$1 ia=$2 aa=$3 rb=$4 ib=$5 ab=$6 mtu=${7:-1500}
    local na nb
    na=$(e2e_ns "$ra")
    nb=$(e2e_ns "$rb")
    ip link add "$ia" netns "$na" mtu "$mtu" type veth peer name "$ib" netns "$nb" mtu "$mtu"
    ip -n "$na" addr add "$aa" dev "$ia"
    ip -n "$nb" addr add "$ab" dev "$ib"
    ip -n "$na" link set "$ia" up
    ip -n "$nb" link set "$ib" up
    e2e_debug "veth $na:$ia ($aa) <-> $nb:$ib ($ab) mtu $mtu"
}

# e2e_bg ROLE OUT ERR CMD... — start CMD in ROLE's namespace in the
# background, stdout to OUT and stderr to ERR; its PID is in E2E_LAST_PID.
# `ip netns exec` execs CMD, so the PID is CMD's own and signals reach it.
e2e_bg() {
    local ns=$1 out=$2 err=$3
    shift 3
    ip netns exec "$(e2e_ns "$ns")" "$@" >"$out" 2>"$err" </dev/null &
    E2E_LAST_PID=$!
    E2E_PIDS+=("$E2E_LAST_PID")
    e2e_debug "started pid $E2E_LAST_PID in $ns: $*"
}

# e2e_wait_for SECONDS WHAT CMD... — poll CMD every 0.1 s until it succeeds;
# fail with WHAT once SECONDS have passed. Returns as soon as CMD succeeds.
e2e_wait_for() {
    local secs=$1 what=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            e2e_log "timed out after ${secs}s waiting for: $what"
            return 1
        fi
        sleep 0.1
    done
}

# e2e_try_for SECONDS CMD... — like e2e_wait_for, but quiet: a bounded
# "give it a moment" whose outcome the caller checks later.
e2e_try_for() {
    local secs=$1
    shift
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# e2e_pid_exited PID — true once PID is gone (for e2e_wait_for).
e2e_pid_exited() { ! kill -0 "$1" 2>/dev/null; }

# e2e_stop PID [SECONDS] — SIGTERM and wait (bounded) for a clean exit.
# Prints nothing; returns the process's exit status, or 124 if it had to be
# killed. The process is no longer ours to clean up afterwards.
e2e_stop() {
    local pid=$1 secs=${2:-10} rc=0
    kill -TERM "$pid" 2>/dev/null || true
    if ! e2e_try_for "$secs" e2e_pid_exited "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rc=124
    else
        wait "$pid" 2>/dev/null || rc=$?
    fi
    local p keep=()
    for p in "${E2E_PIDS[@]}"; do
        [[ $p == "$pid" ]] || keep+=("$p")
    done
    E2E_PIDS=("${keep[@]}")
    return "$rc"
}

# e2e_udp_listening ROLE PORT — true when a UDP socket is bound to PORT.
e2e_udp_listening() {
    [[ -n $(e2e_nsx "$1" ss -Hlun "sport = :$2") ]]
}

# e2e_tcp_listening ROLE PORT — true when a TCP socket listens on PORT.
e2e_tcp_listening() {
    [[ -n $(e2e_nsx "$1" ss -Hltn "sport = :$2") ]]
}

# e2e_mirror_setup ROLE SRC_IF VXLAN_IF VNI REMOTE UNDERLAY_IF
# Mirror every frame that enters or leaves SRC_IF, VXLAN-encapsulated with
# VNI, to REMOTE:4789 — what an AWS mirror session with an accept-all filter
# does, done by the kernel (vxlan device + tc mirred) so that the test's
# mirror source does not depend on vxtap's own agent.
e2e_mirror_setup() {
    local role=$1 src=$2 vx=$3 vni=$4 remote=$5 under=$6
    e2e_nsx "$role" ip link add "$vx" type vxlan id "$vni" remote "$remote" \
        dstport 4789 dev "$under" nolearning
    e2e_nsx "$role" ip link set "$vx" up
    e2e_nsx "$role" tc qdisc add dev "$src" clsact
    local dir
    for dir in ingress egress; do
        e2e_nsx "$role" tc filter add dev "$src" "$dir" protocol all prio 1 \
            u32 match u32 0 0 action mirred egress mirror dev "$vx"
    done
    e2e_debug "mirror $role:$src -> $vx (vni $vni) -> $remote:4789 via $under"
}

# The three-namespace mirror scenario shared by the e2e test and the demo:
#
#   client --(c0 | s0)-- server --(s1 | t0)-- target
#                         s0 mirrored: vxlan VNI E2E_VNI -> target:4789
#
# Private addresses that exist only inside these namespaces. The server-target
# link has a jumbo MTU so that a full 1500-byte frame still fits after the
# 50 bytes of VXLAN encapsulation.
E2E_CLIENT_IP=10.200.1.1
E2E_SERVER_IP=10.200.1.2
E2E_SERVER_UNDERLAY_IP=10.200.2.1
E2E_TARGET_IP=10.200.2.2
E2E_VNI=4242

# e2e_mirror_topology — create the namespaces, links and the mirror session.
e2e_mirror_topology() {
    e2e_ns_add client
    e2e_ns_add server
    e2e_ns_add target
    e2e_veth client c0 "$E2E_CLIENT_IP/24" server s0 "$E2E_SERVER_IP/24"
    e2e_veth server s1 "$E2E_SERVER_UNDERLAY_IP/24" target t0 "$E2E_TARGET_IP/24" 9000
    e2e_mirror_setup server s0 vxm0 "$E2E_VNI" "$E2E_TARGET_IP" s1
    # Pin the target's MAC on the server so that no mirrored copy waits in (or
    # falls out of) the neighbour queue while ARP resolves.
    local mac
    mac=$(e2e_nsx target cat /sys/class/net/t0/address)
    e2e_nsx server ip neigh replace "$E2E_TARGET_IP" lladdr "$mac" dev s1 nud permanent
}

# Two namespaces, client (c0) and server (s0), on one veth pair.
e2e_client_server() {
    e2e_ns_add client
    e2e_ns_add server
    e2e_veth client c0 "$E2E_CLIENT_IP/24" server s0 "$E2E_SERVER_IP/24"
}

# The same three namespaces without the kernel's mirror: vxtap's own agent
# (vxtap run in the server namespace) is the mirror source.
e2e_agent_topology() {
    e2e_ns_add client
    e2e_ns_add server
    e2e_ns_add target
    e2e_veth client c0 "$E2E_CLIENT_IP/24" server s0 "$E2E_SERVER_IP/24"
    e2e_veth server s1 "$E2E_SERVER_UNDERLAY_IP/24" target t0 "$E2E_TARGET_IP/24" 9000
    local mac
    mac=$(e2e_nsx target cat /sys/class/net/t0/address)
    e2e_nsx server ip neigh replace "$E2E_TARGET_IP" lladdr "$mac" dev s1 nud permanent
}

# e2e_vxtap ROLE ARGS... — the vxtap CLI in ROLE's namespace on the test's
# state store (host interfaces are those of the namespace).
e2e_vxtap() {
    local role=$1
    shift
    VXTAP_STATE=$E2E_TMP/$role.db e2e_nsx "$role" "$VXTAP" "$@"
}

# e2e_take_vxtap "$@" — the test's one argument, the vxtap binary, as an
# absolute path in VXTAP; a usage line and exit 2 otherwise.
e2e_take_vxtap() {
    [[ $# -eq 1 ]] || { e2e_log "usage: bash $0 PATH_TO_VXTAP"; exit 2; }
    [[ -x $1 ]] || { e2e_log "vxtap binary not found or not executable: $1"; exit 2; }
    # Absolute, so that it still resolves inside `ip netns exec`.
    VXTAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
}

# e2e_host_identity ROLE — the account, Region, VPC, subnet and instance the
# flow-log tests expect of ROLE's host.
e2e_host_identity() {
    e2e_vxtap "$1" configure --account-id 123456789010 --region eu-west-1 \
        --vpc-id vpc-abcdefab012345678 --subnet-id subnet-aaaaaaaa012345678 \
        --instance-id i-01234567890123456 >/dev/null
}

# e2e_eni ROLE IFACE — the eni- ID the store gave ROLE's interface IFACE.
e2e_eni() {
    e2e_vxtap "$1" describe-network-interfaces --filters "Name=description,Values=$2" |
        e2e_json_field NetworkInterfaces.0.NetworkInterfaceId
}

# e2e_json_field PATH — read JSON on stdin, print the value at a dotted path.
e2e_json_field() {
    python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"
}
