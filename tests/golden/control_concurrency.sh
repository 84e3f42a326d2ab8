#!/usr/bin/env bash
# Concurrent CLI writers lose nothing and corrupt nothing; a writer killed
# at any moment leaves the store consistent.
#  1. 4 processes × 200 create-traffic-mirror-filter calls at once: every ID
#     a call printed is in the store, there are exactly 800 filters, 800
#     distinct IDs, 800 audit lines, and the generation moved by 800.
#  2. Writers killed with SIGKILL at random moments, over and over: the
#     database passes integrity_check, each filter has its audit line and
#     every printed ID is stored.
#  3. A whole-state apply of 1,000 objects killed mid-way: the store holds
#     either the old state or the new one, nothing in between.
#   control_concurrency.sh PATH_TO_VXTAP   (WRITERS, CREATES override the sizes)
set -uo pipefail

vxtap=${1:?usage: control_concurrency.sh PATH_TO_VXTAP}
writers=${WRITERS:-4}
creates=${CREATES:-200}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
export VXTAP_STATE=$work/state.db
fail=0
check() { # check NAME EXPECTED ACTUAL
	if [[ $2 != "$3" ]]; then
		echo "FAIL $1: expected $2, got $3"
		fail=1
	else
		echo "ok   $1: $3"
	fi
}
sql() { sqlite3 -readonly "$VXTAP_STATE" "$1"; }

"$vxtap" describe-host >/dev/null || exit 1
gen0=$(sql "SELECT value FROM meta WHERE key='generation'")

# 1. concurrent writers
writer() {
	local n=$1
	for ((i = 0; i < creates; i++)); do
		"$vxtap" create-traffic-mirror-filter --description "writer $n call $i" ||
			echo "call failed" >>"$work/errors"
	done | grep -o '"tmf-[0-9a-f]*"' | tr -d '"' >"$work/ids.$n"
}
start=$(date +%s%3N)
for ((w = 0; w < writers; w++)); do writer "$w" & done
wait
elapsed=$(( $(date +%s%3N) - start ))
total=$((writers * creates))
printed=$(cat "$work"/ids.* | sort -u | wc -l)
check "calls failed" 0 "$(cat "$work/errors" 2>/dev/null | wc -l)"
check "distinct IDs printed" "$total" "$printed"
check "filters stored" "$total" "$(sql 'SELECT COUNT(*) FROM mirror_filter')"
cat "$work"/ids.* | sort -u >"$work/printed"
sql 'SELECT id FROM mirror_filter' | sort >"$work/stored"
check "printed IDs missing from the store" 0 "$(comm -23 "$work/printed" "$work/stored" | wc -l)"
check "audit lines" "$total" "$(sql "SELECT COUNT(*) FROM audit WHERE action='CreateTrafficMirrorFilter'")"
check "generation advanced" "$total" $(($(sql "SELECT value FROM meta WHERE key='generation'") - gen0))
echo "     ($total creates by $writers writers in ${elapsed} ms)"

# 2. writers killed at random moments
for round in $(seq 1 20); do
	# Its own process group, so that the loop and the vxtap it runs die together.
	setsid bash -c 'for i in $(seq 1 50); do "$1" create-traffic-mirror-filter --description "round $2"; done' \
		_ "$vxtap" "$round" >>"$work/killed-out" 2>/dev/null &
	pid=$!
	sleep "0.$((RANDOM % 20 + 1))"
	kill -KILL -- -"$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
grep -o '"tmf-[0-9a-f]*"' "$work/killed-out" | tr -d '"' >"$work/killed-printed"
check "integrity_check after kills" ok "$(sql 'PRAGMA integrity_check')"
check "filters without their audit line" 0 \
	"$(sql "SELECT (SELECT COUNT(*) FROM mirror_filter) - (SELECT COUNT(*) FROM audit WHERE action='CreateTrafficMirrorFilter' AND result LIKE '{\"Response\"%')")"
sql 'SELECT id FROM mirror_filter' | sort >"$work/stored"
sort -u "$work/killed-printed" >"$work/printed"
check "printed IDs missing after kills" 0 "$(comm -23 "$work/printed" "$work/stored" | wc -l)"

# 3. an apply of a large document killed mid-way: all or nothing
python3 - "$work/big.json" <<'PY'
import json, sys
doc = {"Version": 1, "TrafficMirrorFilters": [
    {"TrafficMirrorFilterId": "tmf-%017x" % (0x1000 + i), "Description": "applied %d" % i,
     "IngressFilterRules": [], "EgressFilterRules": [], "NetworkServices": [], "Tags": []}
    for i in range(1000)]}
json.dump(doc, open(sys.argv[1], "w"))
PY
before=$(sql 'SELECT COUNT(*) FROM mirror_filter')
outcomes=""
for round in 1 2 3 4 5; do
	"$vxtap" apply -f "$work/big.json" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 9 + 1))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	n=$(sql 'SELECT COUNT(*) FROM mirror_filter')
	applied=$(sql "SELECT COUNT(*) FROM mirror_filter WHERE description LIKE 'applied %'")
	if [[ $n == "$before" && $applied == 0 ]]; then
		outcomes+=" old"
	elif [[ $n == 1000 && $applied == 1000 ]]; then
		outcomes+=" new"
		break
	else
		outcomes+=" MIXED($n,$applied)"
		fail=1
	fi
done
check "integrity_check after killed apply" ok "$(sql 'PRAGMA integrity_check')"
echo "     killed apply left:$outcomes"
[[ $outcomes != *MIXED* ]] || echo "FAIL killed apply left a mixed state"

exit $fail
