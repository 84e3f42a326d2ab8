#!/usr/bin/env python3
"""Flow-log oracle: for every capture below, the packets and bytes that
`vxtap analyze --flow-logs -` logs per unidirectional 5-tuple, summed over
all aggregation windows, must EQUAL what two independent tools count on the
same file (and for TCP, tcp-flags ORed over the windows must equal tshark's
flags of the same packets, mapped as SPEC.md 2.5 says):

tshark (every capture): one line per frame with `-T fields` (IP addresses,
  protocol, IP length, TCP/UDP ports), summed here per 5-tuple. tshark's
  conversation statistics (`-z conv,tcp`) are not used: they pair both
  directions of a connection and count frame bytes (Ethernet header and
  padding included), while a flow-log record is one direction and counts
  IP bytes (SPEC.md 2.3).
nfdump (the captures where it means the same thing, see NFPCAPD_DIFFERS):
  nfpcapd turns the capture into nfcapd files, nfdump aggregates them per
  5-tuple (`-A srcip,dstip,srcport,dstport,proto`). It counts IP bytes too.

What the oracle counts, frame by frame (tshark's decode, reassembly off, so
each frame is judged on its own bytes as vxtap judges it):
- a frame is logged when tshark decodes a whole IPv4 or IPv6 header (both
  addresses). ARP, and frames whose IP header is cut or invalid (IHL under
  5, a header cut by the snaplen), have no IP layer: flow logs never log
  them, and these captures must give no record at all;
- the key is (source, destination, source port, destination port,
  protocol) as the packet carries them; vxtap's side uses pkt-srcaddr and
  pkt-dstaddr, so no primary-address substitution can interfere;
- the protocol is the upper layer: IPv4's protocol field, or the end of the
  IPv6 extension-header chain (hop-by-hop, destination options, routing,
  fragment);
- ports come from the packet's own TCP or UDP header; other protocols
  (ICMP, ICMPv6) have port 0. A non-first fragment carries no transport
  header: tshark decodes none, vxtap keys it with ports 0 (vxtap/decode.h),
  so it counts in a record of its own; a first fragment carries its ports;
- tcp-flags: of every TCP header whose flags tshark decodes, also one that
  a snaplen cut inside its options;
- bytes: IPv4 total length; IPv6 40 + payload length. When the header
  claims more than the frame carried on the wire (tshark: "IPv4 total
  length exceeds packet length (N bytes)"), the frame holds N IP bytes and
  N is counted: vxtap decodes such a malformed frame as far as its bytes go
  (vxtap/decode.h) and meters those.

Each mismatch fails the test. Before finishing, the comparison is run once
more on totals changed by one packet, one byte and one flag, and must
report them.
Exit 0: all agree; 1: a mismatch; 77: a tool or the generator was missing
(what could run did run, and a mismatch there still fails).
"""
import collections
import ipaddress
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PCAPS = HERE.parent / "data" / "pcaps"

# Plain (not VXLAN) captures from tests/data/pcaps and what each brings.
CAPTURES = {
    "zeek-http-get.pcap": "untagged IPv4 TCP",
    "zeek-http-vlan-0.pcap": "802.1Q tag",
    "zeek-http-qinq-0.pcap": "two 802.1Q tags",
    "zeek-mixed-vlan-mpls.pcap": "VLAN 4093, MPLS, untagged; ten years long (idle windows)",
    "zeek-http-pipelined-requests.pcap": "one long connection",
    "zeek-http-bro.org.pcap": "26 one-way flows",
    "ndpi-http-lines-split.pcap": "port 31337",
    "ndpi-http.pcapng": "pcapng",
    "sv-ipv6-http-get.pcap": "IPv6 link-local",
    "sv-ipv6-http-port8000.pcap": "IPv6 on NULL/Loopback link type",
    "zeek-ipv6-http-atomic-frag.pcap": "IPv6 destination options and atomic fragments",
    "sv-defrag-eth-vlan-ipv6-tcp.pcap": "802.1Q then IPv6 fragments",
    "zeek-ipv4-fragmented-1.pcap": "IPv4 UDP fragments, two at offset 0",
    "zeek-ipv4-fragmented-4.pcap": "overlapping IPv4 TCP fragments",
    "zeek-tcp-truncated-header.pcap": "snaplen 68",
    "tcpdump-tcp_header_heapoverflow.pcap": "cut inside the TCP header",
    "tcpdump-ipv4_invalid_total_length.pcap": "IPv4 total length past the frame",
    "sv-ipv4-truncated-udp-len.pcap": "IPv4 total length past the frame",
    # No IP layer at all: nothing may be logged.
    "tcpdump-802.1ad_QinQ.pcap": "ARP only",
    "tcpdump-ipv4_invalid_hdr_length.pcap": "IPv4 IHL under 5",
    "tcpdump-ipv6_invalid_length.pcap": "IPv6 header incomplete",
    "zeek-trunc-ip4-trunc.pcap": "cut inside the IPv4 header",
    "zeek-trunc-ip6-trunc.pcap": "cut inside the IPv6 header",
    "zeek-trunc-hdr.pcap": "8 bytes of Ethernet",
}

# Captures on which nfpcapd counts something else than a flow log does.
NFPCAPD_DIFFERS = {
    "zeek-ipv4-fragmented-1.pcap": "nfpcapd reassembles IPv4 fragments, counts a datagram once",
    "zeek-ipv4-fragmented-4.pcap": "nfpcapd reassembles IPv4 fragments, counts a datagram once",
    "zeek-ipv6-http-atomic-frag.pcap":
        "nfpcapd logs the first IPv6 Next Header (60, 44...) as the protocol, not the upper layer",
    "sv-defrag-eth-vlan-ipv6-tcp.pcap":
        "nfpcapd logs the first IPv6 Next Header (44) as the protocol, not the upper layer",
    "zeek-tcp-truncated-header.pcap":
        "nfpcapd drops the frame cut inside its TCP options ('short caplen'), IP header and all",
    "tcpdump-ipv4_invalid_total_length.pcap":
        "nfpcapd counts the total length the header claims, not the bytes the frame carried",
    "sv-ipv4-truncated-udp-len.pcap":
        "nfpcapd counts the total length the header claims, not the bytes the frame carried",
    "tcpdump-ipv4_invalid_hdr_length.pcap": "nfpcapd logs an IPv4 header whose IHL is under 5",
}

FORMAT = ("${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} "
          "${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction} ${log-status} ${tcp-flags}")

# The generated capture is read twice: default windows, and 60-s windows
# with the servers' side as the interface (egress, primary substitution).
GEN_PRIMARY = "10.0.16.10"
GEN_LOCAL = ["10.0.0.0/16", "fd00:0:0:2::/64"]
GEN_RUNS = {
    "600-s windows": [],
    "60-s windows, servers local": ["--max-aggregation-interval", "60",
                                    "--interface-address", GEN_PRIMARY]
                                   + [a for net in GEN_LOCAL for a in ("--local-net", net)],
}

TSHARK_FIELDS = ["frame.number", "frame.protocols", "ip.src", "ip.dst", "ip.proto", "ip.len",
                 "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.plen", "ipv6.hopopts.nxt",
                 "ipv6.dstopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt", "tcp.srcport",
                 "tcp.dstport", "tcp.flags", "udp.srcport", "udp.dstport",
                 "_ws.expert.message"]
IPV6_EXT_FIELD = {0: "ipv6.hopopts.nxt", 60: "ipv6.dstopts.nxt", 43: "ipv6.routing.nxt",
                  44: "ipv6.fraghdr.nxt"}
V4_SHORT = re.compile(r"IPv4 total length exceeds packet length \((\d+) bytes\)")
V6_SHORT = re.compile(r"IPv6 payload length exceeds framing length \((\d+) bytes\)")
SEP = "\x1f"  # between occurrences of a field: expert messages hold commas


class Totals:
    """Packets, bytes and TCP flags per 5-tuple (src, dst, sport, dport, proto)."""

    def __init__(self):
        self.packets = collections.Counter()
        self.bytes = collections.Counter()
        self.flags = collections.Counter()  # TCP: tcp-flags ORed over the windows

    def add(self, key, packets, nbytes, flags=0):
        self.packets[key] += packets
        self.bytes[key] += nbytes
        self.flags[key] |= flags

    def keys(self):
        return set(self.packets) | set(self.bytes)


def aws_tcp_flags(tcp):
    """SPEC.md 2.5: FIN 1, SYN 2, RST 4, SYN-ACK 18; ACK alone, PSH, URG,
    ECE and CWR are not logged."""
    flags = tcp & 0x05
    if tcp & 0x02:
        flags |= 18 if tcp & 0x10 else 2
    return flags


def addr(text):
    return ipaddress.ip_address(text).compressed


def vxtap_totals(vxtap, capture, options, env, problems):
    with tempfile.NamedTemporaryFile("r") as summary:
        out = subprocess.run([vxtap, "analyze", "--read", str(capture), "--flow-logs", "-",
                              "--log-format", FORMAT, "--summary", summary.name] + options,
                             check=True, capture_output=True, text=True, env=env).stdout
        counters = dict(line.split(" ", 1) for line in summary.read().splitlines() if " " in line)
    totals = Totals()
    statuses = collections.Counter()
    records = []
    for line in out.splitlines():
        f = line.split(" ")
        if len(f) != 12:
            problems.append(f"vxtap record with {len(f)} fields: {line!r}")
            continue
        statuses[f[10]] += 1
        if f[10] != "OK":
            continue  # NODATA for idle windows; SKIPDATA is checked below
        key = (addr(f[7]), addr(f[8]), int(f[2]), int(f[3]), int(f[4]))
        totals.add(key, int(f[5]), int(f[6]), int(f[11]) if key[4] == 6 else 0)
        records.append(f)
    if statuses["SKIPDATA"] or int(counters.get("flowlog.skipped_packets", 0)):
        problems.append("vxtap skipped packets (SKIPDATA): the flow table was full")
    if int(counters.get("flowlog.records_lost", 0)):
        problems.append("vxtap lost records")
    metered = int(counters.get("flowlog.packets", -1))
    if metered != sum(totals.packets.values()):
        problems.append(f"summary flowlog.packets {metered} but the records hold "
                        f"{sum(totals.packets.values())} packets")
    return totals, records


def tshark_totals(capture, notes):
    cmd = ["tshark", "-n", "-r", str(capture), "-o", "ip.defragment:FALSE",
           "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=" + SEP, "-E", "separator=\t"]
    for name in TSHARK_FIELDS:
        cmd += ["-e", name]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    totals = Totals()
    not_ip = collections.Counter()
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(TSHARK_FIELDS) - len(cols))
        row = {k: (v.split(SEP) if v else []) for k, v in zip(TSHARK_FIELDS, cols)}
        frame = row["frame.number"][0]
        expert = " ".join(row["_ws.expert.message"])
        layers = row["frame.protocols"][0].split(":") if row["frame.protocols"] else []
        family = next((p for p in layers if p in ("ip", "ipv6")), None)
        if family is None or not row[family + ".src"] or not row[family + ".dst"]:
            not_ip[":".join(layers) or "(nothing)"] += 1
            continue
        # An ICMP error quotes the packet it answers (another IP header, maybe
        # TCP or UDP): the first occurrence of each field is the packet's own.
        src, dst = addr(row[family + ".src"][0]), addr(row[family + ".dst"][0])
        if family == "ip":
            proto = int(row["ip.proto"][0])
            length = int(row["ip.len"][0])
            short = V4_SHORT.search(expert)
            if short:
                length = int(short.group(1))
        else:
            proto = int(row["ipv6.nxt"][0])
            used = collections.Counter()
            while proto in IPV6_EXT_FIELD:
                field = IPV6_EXT_FIELD[proto]
                if used[field] >= len(row[field]):
                    raise SystemExit(f"{capture.name} frame {frame}: IPv6 header chain not decoded")
                proto = int(row[field][used[field]])
                used[field] += 1
            if proto in (51, 135):
                raise SystemExit(f"{capture.name} frame {frame}: AH/mobility header not handled")
            length = 40 + int(row["ipv6.plen"][0])
            short = V6_SHORT.search(expert)
            if short:
                length = 40 + int(short.group(1))
        sport = dport = flags = 0
        transport = {6: "tcp", 17: "udp"}.get(proto)
        if transport and row[transport + ".srcport"]:
            sport = int(row[transport + ".srcport"][0])
            dport = int(row[transport + ".dstport"][0])
        if proto == 6 and row["tcp.flags"]:
            flags = aws_tcp_flags(int(row["tcp.flags"][0], 16))
        totals.add((src, dst, sport, dport, proto), 1, length, flags)
    for layers, n in sorted(not_ip.items()):
        notes.append(f"{n} frame(s) without a whole IP header, not logged: {layers}")
    return totals


def nfpcapd_totals(capture, work):
    flows = Path(tempfile.mkdtemp(dir=work))
    help_text = subprocess.run(["nfpcapd", "-h"], capture_output=True, text=True)
    # nfpcapd 1.7 writes to -w DIR; 1.6 took -l DIR.
    flag = "-w" if re.search(r"^-w\s", help_text.stdout + help_text.stderr, re.M) else "-l"
    subprocess.run(["nfpcapd", "-r", str(capture), flag, str(flows)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    totals = Totals()
    if not any(flows.iterdir()):
        return totals
    out = subprocess.run(["nfdump", "-R", str(flows), "-q", "-N", "-6",
                          "-o", "fmt:%sa|%da|%sp|%dp|%pr|%pkt|%byt",
                          "-A", "srcip,dstip,srcport,dstport,proto"],
                         check=True, capture_output=True, text=True).stdout
    names = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58}
    for line in out.splitlines():
        f = [x.strip() for x in line.split("|")]
        if len(f) != 7:
            continue  # "No matching flows"
        proto = names.get(f[4]) or int(f[4])
        sport, dport = int(f[2]), f[3]
        # nfdump keeps ICMP type.code in the destination port; flow logs have 0.
        if proto in (1, 58):
            sport, dport = 0, 0
        totals.add((addr(f[0]), addr(f[1]), sport, int(dport), proto), int(f[5]), int(f[6]))
    return totals


def compare(ours, theirs, oracle, flags=True):
    problems = []
    for key in sorted(ours.keys() | theirs.keys(), key=str):
        mine = (ours.packets[key], ours.bytes[key], ours.flags[key] if flags else 0)
        other = (theirs.packets[key], theirs.bytes[key], theirs.flags[key] if flags else 0)
        if mine != other:
            src, dst, sport, dport, proto = key
            problems.append(f"{src} {dst} {sport} {dport} proto {proto}: vxtap {mine[0]} packets "
                            f"{mine[1]} bytes tcp-flags {mine[2]}, {oracle} {other[0]} packets "
                            f"{other[1]} bytes tcp-flags {other[2]}")
    return problems


def check_gen_addresses(records, problems):
    """With --interface-address and --local-net: a packet from a local
    address is egress and shows the primary address as srcaddr (IPv4);
    any other is ingress and shows it as dstaddr (IPv4); IPv6 keeps the
    packet's addresses (SPEC.md 2.6)."""
    nets = [ipaddress.ip_network(n) for n in GEN_LOCAL + [GEN_PRIMARY + "/32"]]
    for f in records:
        pkt_src, pkt_dst = ipaddress.ip_address(f[7]), ipaddress.ip_address(f[8])
        egress = any(pkt_src.version == n.version and pkt_src in n for n in nets)
        want = ("egress" if egress else "ingress",
                (GEN_PRIMARY if egress and pkt_src.version == 4 else addr(f[7])),
                (GEN_PRIMARY if not egress and pkt_dst.version == 4 else addr(f[8])))
        got = (f[9], addr(f[0]), addr(f[1]))
        if got != want:
            problems.append(f"record {' '.join(f)}: direction/addresses {got}, expected {want}")
            if len(problems) > 20:
                return


def main():
    vxtap, gen = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    missing = []
    have_nfpcapd = bool(shutil.which("nfpcapd") and shutil.which("nfdump"))
    if not have_nfpcapd:
        missing.append("nfpcapd/nfdump (Debian package nfdump) is not installed: "
                       "the nfdump oracle is skipped")
    if not gen or not os.access(gen, os.X_OK):
        missing.append("vxtap-gen was not built: the generated capture is skipped")
    failed = passed = 0
    tuples = packets = 0
    mutation_sample = None
    with tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, VXTAP_STATE=os.path.join(work, "state.db"))
        runs = [(PCAPS / name, what, []) for name, what in CAPTURES.items()]
        if gen and os.access(gen, os.X_OK):
            generated = Path(work) / "generated.pcap"
            subprocess.run([gen, "--out", str(generated), "--packets", "50000", "--seed", "7"],
                           check=True, capture_output=True)
            for label, options in GEN_RUNS.items():
                runs.append((generated, "vxtap-gen, 50000 packets, " + label, options))
        oracle = {}  # capture -> tshark's totals and notes (the generated one is read twice)
        nf_oracle = {}
        for capture, what, options in runs:
            name = capture.name
            problems = []
            ours, records = vxtap_totals(vxtap, capture, options, env, problems)
            if capture not in oracle:
                notes = []
                oracle[capture] = (tshark_totals(capture, notes), notes)
            theirs, notes = oracle[capture]
            problems += compare(ours, theirs, "tshark")
            if options:
                check_gen_addresses(records, problems)
            nf_note = "nfdump: not run"
            if have_nfpcapd and name in NFPCAPD_DIFFERS:
                nf_note = "nfdump: not compared, " + NFPCAPD_DIFFERS[name]
            elif have_nfpcapd:
                if capture not in nf_oracle:
                    nf_oracle[capture] = nfpcapd_totals(capture, work)
                nf_problems = compare(ours, nf_oracle[capture], "nfdump", flags=False)
                problems += nf_problems
                nf_note = "nfdump agrees" if not nf_problems else "nfdump differs"
            n_tuples, n_packets = len(theirs.keys()), sum(theirs.packets.values())
            if problems:
                failed += 1
                print(f"FAIL {name} ({what}):")
                for p in problems[:20]:
                    print("    " + p)
            else:
                passed += 1
                tuples += n_tuples
                packets += n_packets
                print(f"ok   {name} ({what}): {n_tuples} 5-tuples, {n_packets} packets in "
                      f"{len(records)} records; tshark agrees; {nf_note}")
                if n_tuples and (mutation_sample is None or n_tuples > 1):
                    mutation_sample = (ours, theirs)
            for note in notes:
                print("       " + note)

        # The comparison must see a change of one packet, one byte or one flag.
        if mutation_sample:
            ours, theirs = mutation_sample
            key = sorted(ours.keys(), key=str)[0]
            for field, delta in (("packets", 1), ("packets", -1), ("bytes", 1), ("flags", 4)):
                changed = Totals()
                for k in ours.keys():
                    changed.add(k, ours.packets[k], ours.bytes[k], ours.flags[k])
                getattr(changed, field)[key] += delta
                if not compare(changed, theirs, "tshark"):
                    print(f"FAIL self-check: {field} {delta:+d} on one 5-tuple went unnoticed")
                    failed += 1

    print(f"flowlog oracle: {tuples} 5-tuple totals and {packets} packets equal")
    for m in missing:
        print("skipped part: " + m)
    print(f"flowlog-oracle: {passed} passed, {failed} failed")
    if failed:
        return 1
    return 77 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
