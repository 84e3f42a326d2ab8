#!/usr/bin/env python3
"""Decoder oracle: for every capture, the innermost 5-tuple and VNI that
`vxtap analyze --brief` reports for each frame must agree with tshark's
decode of the same file.

tshark runs with reassembly off, so each frame is judged on its own bytes,
as vxtap judges it. Known, explained differences are listed in KNOWN below;
anything else fails the test.
"""
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PCAPS = HERE.parent / "data" / "pcaps"

# capture -> (vxtap options, tshark options)
CAPTURES = {
    "tcpdump-vxlan_port_8472.pcap": (["--vxlan-port", "8472"], ["-d", "udp.port==8472,vxlan"]),
}

# (capture, frame or None for all) -> why vxtap and tshark legitimately differ
KNOWN = {
    ("tcpdump-bigtcp-ipv4-vxlan-ipv4.pcap", None):
        "outer IPv4 total length and UDP length are 0 (BIG TCP); tshark calls the UDP "
        "length malformed and does not decode the VXLAN, vxtap (like tcpdump) takes the "
        "length from the frame and decapsulates",
    ("tcpdump-nsh-over-vxlan-gpe.pcap", None):
        "VXLAN-GPE on UDP 4790 is a different protocol from VXLAN; tshark decodes it, vxtap "
        "deliberately does not (the golden case vxlan-gpe-not-vxlan pins that)",
}

FIELDS = ["frame.number", "frame.protocols", "vxlan.vni", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]

BRIEF = re.compile(r"^#(\d+) \S+ vni=(\S+) (.*?) len=\d+ cap=\d+ (\S+)$")
IP_PART = re.compile(r"^(\S+) (\S+) > (\S+)(?: frag=\S+)?$")


def split_endpoint(text):
    """'10.0.0.1:80' / '[::1]:80' / '10.0.0.1' -> (addr, port or None)."""
    m = re.match(r"^\[(.*)\]:(\d+)$", text)
    if m:
        return m.group(1), int(m.group(2))
    if text.count(":") == 1:
        a, p = text.split(":")
        return a, int(p)
    return text, None


def vxtap_frames(vxtap, capture, options):
    out = subprocess.run([vxtap, "analyze", "--read", str(PCAPS / capture), "--brief",
                          "--summary", "none"] + options,
                         check=True, capture_output=True, text=True).stdout
    frames = {}
    for line in out.splitlines():
        m = BRIEF.match(line)
        if not m:
            continue
        num, vni, what, status = m.groups()
        frame = {"vni": None if vni == "-" else int(vni), "status": status, "proto": what,
                 "src": None, "dst": None, "sport": None, "dport": None}
        ip = IP_PART.match(what)
        if ip:
            frame["proto"] = ip.group(1)
            frame["src"], frame["sport"] = split_endpoint(ip.group(2))
            frame["dst"], frame["dport"] = split_endpoint(ip.group(3))
        frames[int(num)] = frame
    return frames


def last(value):
    return value.split(",")[-1] if value else ""


def tshark_frames(capture, options):
    cmd = ["tshark", "-n", "-r", str(PCAPS / capture), "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", "-E", "separator=\t",
           "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-o", "tcp.desegment_tcp_streams:FALSE"] + options
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    frames = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        row = dict(zip(FIELDS, cols))
        frames[int(row["frame.number"])] = row
    return frames


def innermost_ip(row):
    """tshark lists every IP header of a frame in order; the innermost one is
    the last header of whichever family came last in frame.protocols, and it
    counts only if it sits inside the innermost tunnel (an ARP frame inside
    VXLAN has no inner IP, whatever the outer headers were)."""
    protos = row["frame.protocols"].split(":")
    tunnels = [i for i, p in enumerate(protos) if p in ("vxlan", "geneve")]
    start = tunnels[-1] if tunnels else 0
    fam = None
    for p in protos[start:]:
        if p in ("ip", "ipv6"):
            fam = p
    if fam is None:
        return None, None
    return last(row[fam + ".src"]), last(row[fam + ".dst"])


def compare(capture, ours, theirs):
    problems = []
    compared = 0
    for num, t in sorted(theirs.items()):
        if (capture, num) in KNOWN:
            continue
        o = ours.get(num)
        if o is None:
            problems.append(f"frame {num}: missing from vxtap output")
            continue
        protos = t["frame.protocols"].split(":")
        # An ICMP error quotes the packet that caused it; tshark decodes the
        # quote as another IP layer, vxtap stops at ICMP.
        quoted = any(p in ("icmp", "icmpv6") for p in protos) and \
            protos.count("ip") + protos.count("ipv6") > 1 + protos.count("vxlan")
        t_vni = last(t["vxlan.vni"])
        t_vni = int(t_vni) if t_vni else None
        if t_vni != o["vni"]:
            problems.append(f"frame {num}: vni tshark={t_vni} vxtap={o['vni']}")
        src, dst = innermost_ip(t)
        if src is None and o["src"] is not None:
            problems.append(f"frame {num}: tshark finds no inner IP, vxtap has {o['src']}")
        # A header cut before the destination address: tshark shows the
        # source alone, vxtap reports the header as incomplete.
        partial = src and not dst and o["status"] != "ok"
        if src and not quoted and not partial and (src, dst) != (o["src"], o["dst"]):
            problems.append(f"frame {num}: addresses tshark={src}>{dst} vxtap={o['src']}>{o['dst']}")
        if o["proto"] in ("tcp", "udp") and o["sport"] is not None and not quoted:
            tp = (last(t[o["proto"] + ".srcport"]), last(t[o["proto"] + ".dstport"]))
            if tp != (str(o["sport"]), str(o["dport"])):
                problems.append(f"frame {num}: ports tshark={tp} vxtap={o['sport']},{o['dport']}")
        compared += 1
    return compared, problems


def main():
    vxtap = sys.argv[1]
    captures = sorted(p.name for p in PCAPS.iterdir() if p.suffix in (".pcap", ".pcapng"))
    total = failed = skipped = 0
    for capture in captures:
        if (capture, None) in KNOWN:
            print(f"skip {capture}: {KNOWN[(capture, None)]}")
            skipped += 1
            continue
        vopts, topts = CAPTURES.get(capture, ([], []))
        ours = vxtap_frames(vxtap, capture, vopts)
        theirs = tshark_frames(capture, topts)
        n, problems = compare(capture, ours, theirs)
        total += n
        if problems:
            failed += 1
            print(f"FAIL {capture}:")
            for p in problems[:20]:
                print("   ", p)
        else:
            print(f"ok   {capture}: {n} frames agree")
    print(f"oracle: {len(captures) - failed - skipped} passed, {failed} failed, {skipped} skipped"
          f" ({total} frames compared)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
