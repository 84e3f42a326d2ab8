#!/usr/bin/env bash
# End to end: HTTP between two namespaces is mirrored by the kernel (a vxlan
# device and tc mirred, like an AWS mirror session with VNI 4242) to a third
# namespace, where `vxtap analyze --listen 0.0.0.0:4789 --http` must log the
# request and the response of the client's connection.
#
#   client --(c0 | s0)-- server --(s1 | t0)-- target
#   curl                 http.server :8000    vxtap analyze (UDP 4789)
#                        s0 in+out mirrored -> VXLAN -> target
#
# Usage: bash http_mirror.sh PATH_TO_VXTAP   (exit 77: skipped, needs root)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/netns.sh
source "$here/lib/netns.sh"

e2e_take_vxtap "$@"

e2e_require_netns
e2e_require_cmds python3 curl tc ss stdbuf
e2e_require_kernel_mirror
e2e_init
e2e_mirror_topology

client=$E2E_CLIENT_IP
server=$E2E_SERVER_IP
vni=$E2E_VNI
file=hello.txt

# A small file: headers and body stay in a few segments, and its size is
# what the response's Content-Length must say.
mkdir "$E2E_TMP/www"
printf 'hello from the mirrored server\n' >"$E2E_TMP/www/$file"
file_size=$(stat -c %s "$E2E_TMP/www/$file")

e2e_bg server "$E2E_TMP/httpd.out" "$E2E_TMP/httpd.err" \
    python3 -m http.server 8000 --bind "$server" --directory "$E2E_TMP/www"
e2e_wait_for 15 "python3 http.server listening on $server:8000" \
    e2e_tcp_listening server 8000 ||
    e2e_fail "http.server did not start: $(cat "$E2E_TMP/httpd.err")"

# Regular-expression form of the literals used here (addresses and the file
# name; the dot is their only special character).
re_quote() { printf '%s' "${1//./\\.}"; }

# Print everything a reader needs to see why an assertion failed.
show_run() {
    local tag=$1
    e2e_log "---- analyzer stdout ($tag) ----"
    cat "$E2E_TMP/$tag.out" >&2 || true
    e2e_log "---- analyzer stderr ($tag) ----"
    cat "$E2E_TMP/$tag.err" >&2 || true
    e2e_log "---- analyzer exit status: ${2:-?} ----"
}

# start_analyzer TAG ARGS... — analyzer in the target namespace, output to
# $E2E_TMP/TAG.out and .err; returns once its UDP socket is bound so that no
# mirrored packet is refused with ICMP port unreachable.
start_analyzer() {
    local tag=$1
    shift
    e2e_bg target "$E2E_TMP/$tag.out" "$E2E_TMP/$tag.err" \
        stdbuf -oL "$VXTAP" analyze --listen 0.0.0.0:4789 "$@"
    analyzer_pid=$E2E_LAST_PID
    if ! e2e_wait_for 15 "analyzer bound to UDP 4789" e2e_udp_listening target 4789; then
        show_run "$tag"
        e2e_fail "vxtap analyze did not open UDP port 4789 (args: $*)"
    fi
}

# stop_analyzer TAG — SIGTERM, then the analyzer must exit 0 having flushed.
stop_analyzer() {
    local tag=$1 rc=0
    e2e_stop "$analyzer_pid" 15 || rc=$?
    if [[ $rc -ne 0 ]]; then
        show_run "$tag" "$rc"
        if [[ $rc -eq 124 ]]; then
            e2e_fail "vxtap analyze did not exit within 15 s of SIGTERM"
        fi
        e2e_fail "vxtap analyze exited with status $rc after SIGTERM (expected 0)"
    fi
}

# fetch PATH — one curl from the client; prints "<local port> <status>".
fetch() {
    e2e_nsx client curl --noproxy '*' -s -m 10 -o /dev/null \
        -w '%{local_port} %{http_code}' "http://$server:8000$1"
}

# ---------------------------------------------------------------- text log
start_analyzer text --http
read -r curl_port curl_code < <(fetch "/$file") || true
[[ ${curl_code:-} == 200 ]] ||
    e2e_fail "curl from client to $server:8000/$file failed (status '${curl_code:-none}'); the scenario itself is broken"

q_client=$(re_quote "$client")
q_server=$(re_quote "$server")
q_file=$(re_quote "$file")
req_re="^[^ ]+ vni=$vni $q_client:([0-9]+) > $q_server:8000 request GET /$q_file HTTP/1\\.1 host=\"$q_server:8000\" user_agent=\"curl/"
resp_re="^[^ ]+ vni=$vni $q_server:8000 > $q_client:([0-9]+) response HTTP/1\\.0 200 .*content_length=$file_size( |\$)"

# The analyzer may hold output until it is idle or exits; give the mirrored
# copies a moment to be logged, then stop it either way.
e2e_try_for 5 grep -Eq "$resp_re" "$E2E_TMP/text.out" || true
stop_analyzer text
out=$E2E_TMP/text.out

n_req=$(grep -Ec "$req_re" "$out" || true)
n_resp=$(grep -Ec "$resp_re" "$out" || true)
if [[ $n_req -ne 1 ]]; then
    show_run text 0
    e2e_fail "expected exactly 1 request line 'vni=$vni $client:<port> > $server:8000 request GET /$file HTTP/1.1 host=\"$server:8000\" user_agent=\"curl/...', found $n_req"
fi
if [[ $n_resp -ne 1 ]]; then
    show_run text 0
    e2e_fail "expected exactly 1 response line 'vni=$vni $server:8000 > $client:<port> response HTTP/1.0 200 ... content_length=$file_size', found $n_resp"
fi
req_port="" resp_port=""
[[ $(grep -E "$req_re" "$out") =~ $req_re ]] && req_port=${BASH_REMATCH[1]}
[[ $(grep -E "$resp_re" "$out") =~ $resp_re ]] && resp_port=${BASH_REMATCH[1]}
if [[ $req_port != "$resp_port" ]]; then
    show_run text 0
    e2e_fail "request came from client port $req_port but the response went to port $resp_port"
fi
if [[ $req_port != "$curl_port" ]]; then
    show_run text 0
    e2e_fail "analyzer logged client port $req_port, curl used local port $curl_port"
fi
e2e_debug "text log ok: client port $req_port"

# ---------------------------------------------------------------- JSON log
start_analyzer json --http --json
read -r _ curl_code < <(fetch "/$file") || true
[[ ${curl_code:-} == 200 ]] || e2e_fail "second curl failed (status '${curl_code:-none}')"

# Exit 0 once a JSON line for the request and one for the response are there;
# also used as the final check, so that both agree on what "there" means.
json_check='
import json, sys
req = resp = 0
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.strip()
    if not line:
        continue
    try:
        o = json.loads(line)
    except ValueError as e:
        print("line %d is not JSON (%s): %s" % (n, e, line))
        sys.exit(2)
    if not isinstance(o, dict):
        print("line %d is not a JSON object: %s" % (n, line))
        sys.exit(2)
    if o.get("method") == "GET":
        req += 1
    if o.get("status") == 200:
        resp += 1
if req != 1 or resp != 1:
    print("expected 1 line with \"method\":\"GET\" and 1 with \"status\":200, "
          "found %d and %d" % (req, resp))
    sys.exit(1)
'
e2e_try_for 5 python3 -c "$json_check" "$E2E_TMP/json.out" || true
stop_analyzer json
if ! why=$(python3 -c "$json_check" "$E2E_TMP/json.out"); then
    show_run json 0
    e2e_fail "JSON log: $why"
fi

echo "PASS: vxtap analyze logged the mirrored GET /$file and its 200 (text and JSON)"
