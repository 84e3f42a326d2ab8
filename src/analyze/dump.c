/* Layered packet dump. Not on the fast path: it re-reads each recorded
 * layer's header bytes to print its fields. Every layer in p->layers was
 * bounds-checked by the decoder, so its bytes are present. */
#include "vxtap/dump.h"

#include "vxtap/out.h"

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void out_mac(struct vx_out *o, const uint8_t *m)
{
	for (int i = 0; i < 6; i++) {
		if (i)
			vx_out_char(o, ':');
		vx_out_hex8(o, m[i]);
	}
}

static void out_hex16(struct vx_out *o, uint16_t v)
{
	vx_out_str(o, "0x");
	vx_out_hex8(o, (uint8_t)(v >> 8));
	vx_out_hex8(o, (uint8_t)v);
}

static void out_endpoint(struct vx_out *o, const uint8_t *addr, int family, uint16_t port,
			 int with_port)
{
	if (family == 6 && with_port)
		vx_out_char(o, '[');
	vx_out_addr(o, addr, family);
	if (family == 6 && with_port)
		vx_out_char(o, ']');
	if (with_port) {
		vx_out_char(o, ':');
		vx_out_u64(o, port);
	}
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	default:
		return NULL;
	}
}

static void out_status(struct vx_out *o, const struct vx_packet *p)
{
	if (p->status == VX_STATUS_OK) {
		vx_out_str(o, "ok");
		return;
	}
	vx_out_str(o, p->status == VX_STATUS_TRUNCATED ? "truncated:" : "malformed:");
	vx_out_str(o, vx_reason_name((enum vx_reason)p->reason));
}

void vx_dump_brief(struct vx_out *o, uint64_t number, const struct vx_packet *p, int nanosecond)
{
	vx_out_char(o, '#');
	vx_out_u64(o, number);
	vx_out_char(o, ' ');
	vx_out_time(o, &p->ts, nanosecond);
	vx_out_str(o, " vni=");
	if (p->vni == VX_VNI_NONE)
		vx_out_char(o, '-');
	else
		vx_out_u64(o, p->vni);
	vx_out_char(o, ' ');
	if (p->has_l3) {
		const char *name = proto_name(p->key.proto);
		/* Ports only where this fragment carried a TCP/UDP header. */
		int ports = p->has_ports;
		if (name) {
			vx_out_str(o, name);
		} else {
			vx_out_str(o, "ip-proto-");
			vx_out_u64(o, p->key.proto);
		}
		vx_out_char(o, ' ');
		out_endpoint(o, p->key.src, p->key.family, p->key.sport, ports);
		vx_out_str(o, " > ");
		out_endpoint(o, p->key.dst, p->key.family, p->key.dport, ports);
		if (p->is_fragment)
			vx_out_str(o, p->first_fragment ? " frag=first" : " frag=more");
	} else if (p->nlayers) {
		/* No IP: name the innermost header that was decoded. */
		int i = p->nlayers - 1;
		if (p->layers[i].kind == VX_LAYER_PAYLOAD && i > 0)
			i--;
		vx_out_str(o, vx_layer_name((enum vx_layer_kind)p->layers[i].kind));
	} else {
		vx_out_char(o, '-');
	}
	vx_out_str(o, " len=");
	vx_out_u64(o, p->wirelen);
	vx_out_str(o, " cap=");
	vx_out_u64(o, p->caplen);
	vx_out_char(o, ' ');
	out_status(o, p);
	vx_out_char(o, '\n');
}

static const char *ext_name(uint8_t type)
{
	switch (type) {
	case 0:
		return "hop-by-hop";
	case 43:
		return "routing";
	case 60:
		return "destination-options";
	case 51:
		return "authentication";
	case 135:
		return "mobility";
	default:
		return "extension";
	}
}

static void out_tcp_flags(struct vx_out *o, uint8_t f)
{
	static const struct {
		uint8_t bit;
		char c;
	} names[] = {{VX_TCP_FIN, 'F'}, {VX_TCP_SYN, 'S'}, {VX_TCP_RST, 'R'}, {VX_TCP_PSH, 'P'},
		     {VX_TCP_URG, 'U'}, {VX_TCP_ECE, 'E'}, {VX_TCP_CWR, 'W'}, {VX_TCP_ACK, '.'}};
	vx_out_char(o, '[');
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			vx_out_char(o, names[i].c);
	if (!f)
		vx_out_str(o, "none");
	vx_out_char(o, ']');
}

/* Print one layer's fields; *next_hdr carries IPv6's next-header value from
 * one header to the extension header after it. */
static void dump_layer(struct vx_out *o, const struct vx_packet *p, const struct vx_layer *l,
		       uint8_t *next_hdr)
{
	const uint8_t *h = p->data + l->off;

	for (int i = 0; i <= l->inner; i++)
		vx_out_str(o, "  ");
	vx_out_str(o, vx_layer_name((enum vx_layer_kind)l->kind));
	vx_out_char(o, ' ');
	switch (l->kind) {
	case VX_LAYER_NULL:
		vx_out_str(o, "family ");
		/* Written in the capturing host's byte order. */
		vx_out_u64(o, h[2] == 0 && h[3] == 0 ? (uint32_t)(h[0] | h[1] << 8) : be32(h));
		break;
	case VX_LAYER_SLL:
		vx_out_str(o, "pkttype ");
		vx_out_u64(o, be16(h));
		vx_out_str(o, " type ");
		out_hex16(o, be16(h + 14));
		break;
	case VX_LAYER_ETH:
		out_mac(o, h + 6);
		vx_out_str(o, " > ");
		out_mac(o, h);
		vx_out_str(o, " type ");
		out_hex16(o, be16(h + 12));
		break;
	case VX_LAYER_VLAN: {
		uint16_t tci = be16(h);
		vx_out_str(o, "id ");
		vx_out_u64(o, tci & 0xfff);
		vx_out_str(o, " pcp ");
		vx_out_u64(o, tci >> 13);
		vx_out_str(o, " type ");
		out_hex16(o, be16(h + 2));
		break;
	}
	case VX_LAYER_MPLS:
		for (uint32_t i = 0; i + 4 <= l->len; i += 4) {
			uint32_t e = be32(h + i);
			if (i)
				vx_out_str(o, ", ");
			vx_out_str(o, "label ");
			vx_out_u64(o, e >> 12);
			vx_out_str(o, " exp ");
			vx_out_u64(o, (e >> 9) & 7);
			vx_out_str(o, " ttl ");
			vx_out_u64(o, e & 0xff);
		}
		break;
	case VX_LAYER_ARP: {
		uint16_t op = be16(h + 6);
		vx_out_str(o, op == 1 ? "request" : op == 2 ? "reply" : "op");
		if (op != 1 && op != 2) {
			vx_out_char(o, ' ');
			vx_out_u64(o, op);
		}
		if (h[4] == 6 && h[5] == 4 && l->len >= 28) {
			vx_out_str(o, " sender ");
			vx_out_addr(o, h + 14, 4);
			vx_out_char(o, ' ');
			out_mac(o, h + 8);
			vx_out_str(o, " target ");
			vx_out_addr(o, h + 24, 4);
		}
		break;
	}
	case VX_LAYER_IPV4: {
		uint16_t frag = be16(h + 6);
		vx_out_addr(o, h + 12, 4);
		vx_out_str(o, " > ");
		vx_out_addr(o, h + 16, 4);
		vx_out_str(o, " proto ");
		vx_out_u64(o, h[9]);
		vx_out_str(o, " ttl ");
		vx_out_u64(o, h[8]);
		vx_out_str(o, " id ");
		vx_out_u64(o, be16(h + 4));
		vx_out_str(o, " len ");
		vx_out_u64(o, be16(h + 2));
		vx_out_str(o, " hlen ");
		vx_out_u64(o, l->len);
		if (frag & 0x4000)
			vx_out_str(o, " DF");
		if (frag & 0x2000)
			vx_out_str(o, " MF");
		if (frag & 0x1fff) {
			vx_out_str(o, " offset ");
			vx_out_u64(o, (frag & 0x1fffu) * 8);
		}
		break;
	}
	case VX_LAYER_IPV6:
		vx_out_addr(o, h + 8, 6);
		vx_out_str(o, " > ");
		vx_out_addr(o, h + 24, 6);
		vx_out_str(o, " next ");
		vx_out_u64(o, h[6]);
		vx_out_str(o, " hlim ");
		vx_out_u64(o, h[7]);
		vx_out_str(o, " plen ");
		vx_out_u64(o, be16(h + 4));
		vx_out_str(o, " flow 0x");
		vx_out_hex8(o, h[1] & 0xf);
		vx_out_hex8(o, h[2]);
		vx_out_hex8(o, h[3]);
		*next_hdr = h[6];
		break;
	case VX_LAYER_IPV6_EXT:
		vx_out_str(o, ext_name(*next_hdr));
		vx_out_str(o, " next ");
		vx_out_u64(o, h[0]);
		vx_out_str(o, " len ");
		vx_out_u64(o, l->len);
		*next_hdr = h[0];
		break;
	case VX_LAYER_IPV6_FRAG: {
		uint16_t fo = be16(h + 2);
		vx_out_str(o, "next ");
		vx_out_u64(o, h[0]);
		vx_out_str(o, " offset ");
		vx_out_u64(o, fo & 0xfff8);
		if (fo & 1)
			vx_out_str(o, " MF");
		vx_out_str(o, " id 0x");
		for (int i = 4; i < 8; i++)
			vx_out_hex8(o, h[i]);
		*next_hdr = h[0];
		break;
	}
	case VX_LAYER_TCP:
		vx_out_u64(o, be16(h));
		vx_out_str(o, " > ");
		vx_out_u64(o, be16(h + 2));
		vx_out_str(o, " flags ");
		out_tcp_flags(o, h[13]);
		vx_out_str(o, " seq ");
		vx_out_u64(o, be32(h + 4));
		vx_out_str(o, " ack ");
		vx_out_u64(o, be32(h + 8));
		vx_out_str(o, " win ");
		vx_out_u64(o, be16(h + 14));
		vx_out_str(o, " hlen ");
		vx_out_u64(o, l->len);
		break;
	case VX_LAYER_UDP:
		vx_out_u64(o, be16(h));
		vx_out_str(o, " > ");
		vx_out_u64(o, be16(h + 2));
		vx_out_str(o, " len ");
		vx_out_u64(o, be16(h + 4));
		break;
	case VX_LAYER_ICMP:
	case VX_LAYER_ICMPV6:
		vx_out_str(o, "type ");
		vx_out_u64(o, h[0]);
		vx_out_str(o, " code ");
		vx_out_u64(o, h[1]);
		break;
	case VX_LAYER_VXLAN:
		vx_out_str(o, "flags 0x");
		vx_out_hex8(o, h[0]);
		vx_out_str(o, " vni ");
		vx_out_u64(o, (uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6]);
		break;
	case VX_LAYER_GENEVE:
		vx_out_str(o, "vni ");
		vx_out_u64(o, (uint32_t)h[4] << 16 | (uint32_t)h[5] << 8 | h[6]);
		vx_out_str(o, " type ");
		out_hex16(o, be16(h + 2));
		vx_out_str(o, " optlen ");
		vx_out_u64(o, (h[0] & 0x3fu) * 4);
		break;
	case VX_LAYER_PAYLOAD:
		vx_out_u64(o, p->caplen - l->off);
		vx_out_str(o, " bytes");
		break;
	default:
		break;
	}
	vx_out_char(o, '\n');
}

void vx_dump_hex(struct vx_out *o, const uint8_t *data, uint32_t len)
{
	for (uint32_t off = 0; off < len; off += 16) {
		uint32_t n = len - off < 16 ? len - off : 16;
		vx_out_str(o, "    0x");
		vx_out_hex8(o, (uint8_t)(off >> 8));
		vx_out_hex8(o, (uint8_t)off);
		vx_out_str(o, ": ");
		for (uint32_t i = 0; i < 16; i++) {
			if (i % 2 == 0)
				vx_out_char(o, ' ');
			if (i < n) {
				vx_out_hex8(o, data[off + i]);
			} else {
				vx_out_str(o, "  ");
			}
		}
		vx_out_str(o, "  ");
		for (uint32_t i = 0; i < n; i++) {
			uint8_t c = data[off + i];
			vx_out_char(o, c >= 0x20 && c < 0x7f ? (char)c : '.');
		}
		vx_out_char(o, '\n');
	}
}

void vx_dump_layers(struct vx_out *o, uint64_t number, const struct vx_packet *p, int nanosecond)
{
	uint8_t next_hdr = 0;

	vx_dump_brief(o, number, p, nanosecond);
	for (unsigned i = 0; i < p->nlayers; i++)
		dump_layer(o, p, &p->layers[i], &next_hdr);
	vx_dump_hex(o, p->data + p->inner_off, p->caplen - p->inner_off);
}
