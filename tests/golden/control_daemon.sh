#!/usr/bin/env bash
# vxtap run notices changes made by the CLI without a restart: a session
# created with the CLI shows in `vxtap status` (the daemon's applied
# configuration) within 1 s; a modify and a delete likewise; SIGHUP reloads;
# SIGTERM stops it cleanly and removes its socket. A second daemon on the
# same state is refused.
#   control_daemon.sh PATH_TO_VXTAP
set -uo pipefail

vxtap=${1:?usage: control_daemon.sh PATH_TO_VXTAP}
work=$(mktemp -d)
trap 'kill $daemon 2>/dev/null; rm -rf "$work"' EXIT
export VXTAP_STATE=$work/state.db
fail=0
field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }
now_ms() { date +%s%3N; }

# wait_status DESCRIPTION GREP_ARGS...: poll vxtap status every 10 ms for up
# to 5 s until grep GREP_ARGS holds on it (grep, not python, in the loop: the
# poll must cost far less than the 1 s it measures); report how long it took.
wait_status() {
	local what=$1 start=$2
	shift 2
	local deadline=$(($(now_ms) + 5000))
	while (($(now_ms) < deadline)); do
		if "$vxtap" status 2>/dev/null | grep "$@" >/dev/null; then
			local took=$(($(now_ms) - start))
			if ((took <= 1000)); then
				echo "ok   $what: applied ${took} ms after the CLI call"
			else
				echo "FAIL $what: applied only after ${took} ms (limit 1000)"
				fail=1
			fi
			return 0
		fi
		sleep 0.01
	done
	echo "FAIL $what: not applied within 5 s"
	"$vxtap" status
	fail=1
}

"$vxtap" run >"$work/run.log" 2>&1 &
daemon=$!
for _ in $(seq 1 250); do "$vxtap" status >/dev/null 2>&1 && break; sleep 0.02; done
"$vxtap" status >/dev/null || { echo "FAIL daemon did not start"; cat "$work/run.log"; exit 1; }

if "$vxtap" run >"$work/second.log" 2>&1; then
	echo "FAIL a second daemon on the same state was not refused"
	fail=1
elif grep -q "another vxtap run uses this state" "$work/second.log"; then
	echo "ok   second daemon refused: $(cat "$work/second.log" | tail -1)"
else
	echo "FAIL second daemon: unexpected error: $(cat "$work/second.log")"
	fail=1
fi

src=$("$vxtap" describe-network-interfaces --filters Name=description,Values=lo |
	field NetworkInterfaces.0.NetworkInterfaceId)
eni=$("$vxtap" create-network-interface --private-ip-address 192.0.2.10 | field NetworkInterface.NetworkInterfaceId)
target=$("$vxtap" create-traffic-mirror-target --network-interface-id "$eni" | field TrafficMirrorTarget.TrafficMirrorTargetId)
filter=$("$vxtap" create-traffic-mirror-filter | field TrafficMirrorFilter.TrafficMirrorFilterId)
"$vxtap" create-traffic-mirror-filter-rule --traffic-mirror-filter-id "$filter" --traffic-direction ingress \
	--rule-number 10 --rule-action accept --source-cidr-block 0.0.0.0/0 --destination-cidr-block 0.0.0.0/0 >/dev/null

t0=$(now_ms)
"$vxtap" create-traffic-mirror-session --network-interface-id "$src" --traffic-mirror-target-id "$target" \
	--traffic-mirror-filter-id "$filter" --session-number 1 --virtual-network-id 4242 >"$work/created.json"
wait_status "create session" "$t0" -q '"TrafficMirrorSessionId": "tms-'
session=$(field TrafficMirrorSession.TrafficMirrorSessionId <"$work/created.json")
"$vxtap" status | python3 -c "import json,sys; s=json.load(sys.stdin)
x=s['Applied']['Sources'][0]['Sessions'][0]
assert x['TrafficMirrorSessionId']=='$session' and x['VirtualNetworkId']==4242 and x['IngressRules']==1, x
assert x['Target']['Members'][0]=={'Address':'192.0.2.10','Port':4789}, x" || { echo "FAIL applied session is not the one created"; fail=1; }

t0=$(now_ms)
"$vxtap" modify-traffic-mirror-session --traffic-mirror-session-id "$session" --packet-length 100 >/dev/null
wait_status "modify session" "$t0" -q '"PacketLength": 100'

t0=$(now_ms)
"$vxtap" delete-traffic-mirror-session --traffic-mirror-session-id "$session" >/dev/null
wait_status "delete session" "$t0" -qz '"Sources": \[\]'

gen=$("$vxtap" status | field Applied.Generation)
reloads=$("$vxtap" status | field Reloads)
kill -HUP "$daemon"
t0=$(now_ms)
wait_status "SIGHUP reload" "$t0" -q "\"Reloads\": $((reloads + 1)),"
[[ $("$vxtap" status | field Applied.Generation) == "$gen" ]] || { echo "FAIL SIGHUP changed the generation"; fail=1; }

kill -TERM "$daemon"
wait "$daemon"
rc=$?
if [[ $rc -ne 0 ]]; then
	echo "FAIL daemon exit status $rc after SIGTERM"
	fail=1
elif [[ -e $VXTAP_STATE.sock ]]; then
	echo "FAIL status socket left behind"
	fail=1
else
	echo "ok   SIGTERM: exit 0, socket removed"
fi
if "$vxtap" status >/dev/null 2>"$work/err"; then
	echo "FAIL status answered with no daemon"
	fail=1
elif ! grep -q "no daemon answers" "$work/err"; then
	echo "FAIL status without daemon: $(cat "$work/err")"
	fail=1
fi
grep -q "applied generation" "$work/run.log" || { echo "FAIL daemon log: $(cat "$work/run.log")"; fail=1; }
exit $fail
