#!/usr/bin/env bash
# Install what vxtap needs to build and test (Debian/Ubuntu), then build it.
#   scripts/setup.sh [BUILD_DIR]    (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

# Build: compiler, CMake, libraries. Tests: cmocka, clang (libFuzzer),
# tshark/nfdump (oracles), iproute2/curl/python3/iperf3/ethtool (end-to-end
# scenarios), time (peak memory), softflowd (flow-log benchmark), awscli and
# python3-boto3 (the EC2 API driven by the real AWS CLI and SDK).
packages=(build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
	libpcap-dev libxxhash-dev libcmocka-dev libsqlite3-dev libjansson-dev zlib1g-dev
	libssl-dev libmicrohttpd-dev sqlite3
	tshark nfdump tcpdump iproute2 iputils-ping curl python3 procps iperf3 ethtool time
	softflowd awscli python3-boto3)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	# tshark asks whether non-root users may capture; the default answer is fine.
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build"
echo "setup: built $build/vxtap"
