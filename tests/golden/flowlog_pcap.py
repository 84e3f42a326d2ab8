#!/usr/bin/env python3
"""Write a classic pcap (Ethernet, microsecond timestamps) whose packets add
up to given flow-log records. Standard library only.

    flowlog_pcap.py OUT.pcap < FLOWS

FLOWS has one flow direction per line ('#' starts a comment):

    FIRST LAST PROTO SRC SPORT DST DPORT PACKETS BYTES [FLAGS...]

- FIRST, LAST: Unix seconds of the first and the last packet (the record's
  start and end). The first packet is sent at FIRST + 0.25 s, the last at
  LAST + 0.75 s, the others evenly in between, so every packet of the flow
  falls within [FIRST, LAST] in whole seconds.
- PROTO: tcp, udp, icmp (ICMP echo requests; ICMPv6 for IPv6 addresses,
  with SPORT and DPORT given as 0 0) or icmp-reply (echo replies, the same
  way). Requests and replies all carry identifier 0x1234, and packet k of a
  line (from 1) sequence number k, so the replies of a line answer the
  requests of another line of as many packets.
- SRC, DST: IPv4 or IPv6 addresses, both of the same family.
- PACKETS, BYTES: the packet count and the sum of the packets' IP lengths
  (IPv4 total length; IPv6 40 + payload length). TCP segments with SYN, FIN
  or RST carry no data; the other packets share the remaining bytes evenly,
  the remainder one byte each to the first of them.
- FLAGS (tcp only): one token per packet in tcpdump's letters, S SYN, F FIN,
  R RST, P PSH, U URG, E ECE, W CWR, . ACK (e.g. `S.` is SYN-ACK). One token
  may end in `*`: it is repeated to fill the packets the other tokens leave.
  Without FLAGS every packet is `.`.

Packets of all lines are written in time order; at equal times, in the order
of the lines. So flows first seen in the same second are first seen in line
order.
"""
import ipaddress
import struct
import sys

ETH_SRC = bytes.fromhex("0a0000000001")
ETH_DST = bytes.fromhex("0a0000000002")
TCP_FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10, "U": 0x20,
                 "E": 0x40, "W": 0x80}
PROTO = {"icmp": 1, "icmp-reply": 1, "tcp": 6, "udp": 17}


def fail(msg):
    sys.exit(f"flowlog_pcap.py: {msg}")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def flag_sequence(tokens, n):
    """One flags byte per packet, from the FLAGS tokens."""
    if not tokens:
        tokens = [".*"]
    stars = [i for i, t in enumerate(tokens) if t.endswith("*")]
    if len(stars) > 1:
        fail(f"at most one FLAGS token may end in '*': {' '.join(tokens)}")
    fixed = len(tokens) - len(stars)
    if fixed > n or (not stars and fixed != n):
        fail(f"{len(tokens)} FLAGS tokens for {n} packets")
    seq = []
    for t in tokens:
        repeat = n - fixed if t.endswith("*") else 1
        t = t.rstrip("*")
        bits = 0
        for c in t:
            if c not in TCP_FLAG_BITS:
                fail(f"unknown TCP flag letter '{c}' in '{t}'")
            bits |= TCP_FLAG_BITS[c]
        seq += [bits] * repeat
    return seq


class Flow:
    def __init__(self, line_no, words):
        if len(words) < 9:
            fail(f"line {line_no}: expected FIRST LAST PROTO SRC SPORT DST DPORT PACKETS BYTES")
        self.first, self.last = int(words[0]), int(words[1])
        self.proto = words[2]
        if self.proto not in PROTO:
            fail(f"line {line_no}: protocol '{self.proto}' (tcp, udp, icmp or icmp-reply)")
        self.src = ipaddress.ip_address(words[3])
        self.dst = ipaddress.ip_address(words[5])
        if self.src.version != self.dst.version:
            fail(f"line {line_no}: {self.src} and {self.dst} are of different families")
        self.sport, self.dport = int(words[4]), int(words[6])
        self.packets, self.bytes = int(words[7]), int(words[8])
        if self.proto.startswith("icmp") and (self.sport or self.dport):
            fail(f"line {line_no}: ICMP has no ports; give 0 0")
        if self.packets < 1 or self.last < self.first or (self.packets == 1 and self.last != self.first):
            fail(f"line {line_no}: {self.packets} packets cannot span {self.first}-{self.last}")
        if self.proto != "tcp" and len(words) > 9:
            fail(f"line {line_no}: FLAGS apply to tcp only")
        self.flags = flag_sequence(words[9:], self.packets) if self.proto == "tcp" else None
        ip_hdr = 20 if self.src.version == 4 else 40
        l4_hdr = 20 if self.proto == "tcp" else 8
        hdr = ip_hdr + l4_hdr
        control = [bool(self.flags and self.flags[i] & 0x07) for i in range(self.packets)]
        if all(control):
            control = [False] * self.packets
        data = control.count(False)
        base, extra = divmod(self.bytes - hdr * control.count(True), data)
        self.lengths = []
        for c in control:
            self.lengths.append(hdr if c else base + (1 if extra > 0 else 0))
            extra -= 0 if c else 1
        if base < hdr or max(self.lengths) > 65535:
            fail(f"line {line_no}: {self.bytes} bytes cannot make {self.packets} packets "
                 f"of {hdr} to 65535 bytes")
        self.ip_hdr, self.l4_hdr = ip_hdr, l4_hdr
        t0 = self.first * 1_000_000 + 250_000
        t1 = self.last * 1_000_000 + 750_000
        n = self.packets
        self.times = [t0] if n == 1 else [t0 + (t1 - t0) * i // (n - 1) for i in range(n)]
        self.seq = 1_000_000 + 7919 * line_no
        self.ip_id = line_no * 1000

    def packet(self, i):
        """The Ethernet frame of packet i."""
        payload_len = self.lengths[i] - self.ip_hdr - self.l4_hdr
        payload = bytes((self.sport + k) & 0xFF for k in range(payload_len))
        src, dst = self.src.packed, self.dst.packed
        v6 = self.src.version == 6
        proto = 58 if v6 and self.proto.startswith("icmp") else PROTO[self.proto]
        l4_len = self.l4_hdr + payload_len
        pseudo = (src + dst + struct.pack("!IxxxB", l4_len, proto) if v6
                  else src + dst + struct.pack("!xBH", proto, l4_len))
        if self.proto == "tcp":
            flags = self.flags[i]
            ack = 0x5000_0000 if flags & 0x10 else 0
            hdr = struct.pack("!HHIIBBHHH", self.sport, self.dport, self.seq, ack, 5 << 4,
                              flags, 64240, 0, 0)
            self.seq += payload_len + (1 if flags & 0x03 else 0)
            l4 = hdr + payload
            l4 = l4[:16] + struct.pack("!H", checksum(pseudo + l4)) + l4[18:]
        elif self.proto == "udp":
            l4 = struct.pack("!HHHH", self.sport, self.dport, l4_len, 0) + payload
            c = checksum(pseudo + l4) or 0xFFFF
            l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
        else:
            echo = (128 if v6 else 8) if self.proto == "icmp" else (129 if v6 else 0)
            l4 = struct.pack("!BBHHH", echo, 0, 0, 0x1234, i + 1) + payload
            c = checksum((pseudo if v6 else b"") + l4)
            l4 = l4[:2] + struct.pack("!H", c) + l4[4:]
        if v6:
            ip = struct.pack("!IHBB", 6 << 28, l4_len, proto, 64) + src + dst
            ethertype = 0x86DD
        else:
            self.ip_id += 1
            hdr = struct.pack("!BBHHHBBH", 0x45, 0, self.lengths[i], self.ip_id & 0xFFFF,
                              0x4000, 64, proto, 0) + src + dst
            ip = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
            ethertype = 0x0800
        return ETH_DST + ETH_SRC + struct.pack("!H", ethertype) + ip + l4


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    flows = []
    for no, line in enumerate(sys.stdin, 1):
        words = line.split("#", 1)[0].split()
        if words:
            flows.append(Flow(no, words))
    events = sorted((f.times[i], order, i) for order, f in enumerate(flows)
                    for i in range(f.packets))
    with open(sys.argv[1], "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for t, order, i in events:
            frame = flows[order].packet(i)
            out.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
            out.write(frame)


if __name__ == "__main__":
    main()
