#!/usr/bin/env bash
# A capture read from a pipe while another program is still writing it: the
# frames that have arrived are listed at once, not held back for a full
# batch or a full output buffer (tcpdump -U -w - | vxtap analyze -r -).
set -uo pipefail

vxtap=${1:?usage: cli_stream.sh PATH_TO_VXTAP}
here=$(cd "$(dirname "$0")" && pwd)
capture=$here/../data/pcaps/zeek-http-get.pcap
work=$(mktemp -d)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# The capture as its file header and records, so that they can be sent in
# two parts.
python3 - "$capture" "$work" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
hdr, pos, recs = data[:24], 24, []
while pos + 16 <= len(data):
    caplen = struct.unpack("<I", data[pos + 8:pos + 12])[0]
    recs.append(data[pos:pos + 16 + caplen])
    pos += 16 + caplen
open(sys.argv[2] + "/first", "wb").write(hdr + b"".join(recs[:3]))
open(sys.argv[2] + "/rest", "wb").write(b"".join(recs[3:]))
PY
total=$("$vxtap" analyze --read "$capture" --brief --summary none | wc -l)

mkfifo "$work/pipe"
"$vxtap" analyze --read - --brief --summary none <"$work/pipe" >"$work/out" 2>"$work/err" &
pid=$!
exec 3>"$work/pipe"
cat "$work/first" >&3

# The first three frames are listed while the writer still holds the pipe open.
for _ in $(seq 50); do
	[[ $(wc -l <"$work/out") -ge 3 ]] && break
	sleep 0.1
done
got=$(wc -l <"$work/out")
if [[ $got -ne 3 ]]; then
	echo "FAIL: $got lines listed of the 3 frames sent, with the pipe still open"
	cat "$work/err"
	exit 1
fi

cat "$work/rest" >&3
exec 3>&-
wait "$pid"
rc=$?
pid=
if [[ $rc -ne 0 ]]; then
	echo "FAIL: exit $rc"
	cat "$work/err"
	exit 1
fi
if [[ $(wc -l <"$work/out") -ne $total ]]; then
	echo "FAIL: $(wc -l <"$work/out") lines in all, expected $total"
	exit 1
fi
echo "cli stream: 3 frames listed while the pipe was open, $total in all"
