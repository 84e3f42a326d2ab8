/* The flow-log meter: one record per interface, direction, 5-tuple, action
 * and window; packet times; tcp-flags; address substitution; NODATA and
 * SKIPDATA (SPEC.md §2.4-2.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vxtap/flowlog_stage.h"
#include "vxtap/flowmeter.h"

#define MAX_RECORDS 4096

static struct vx_flow_record records[MAX_RECORDS];
static size_t n_records;

static void collect(const struct vx_flow_record *r, void *ctx)
{
	(void)ctx;
	assert_true(n_records < MAX_RECORDS);
	records[n_records++] = *r;
}

static struct vx_meter *meter(uint32_t interval, uint32_t max_flows, uint64_t seed)
{
	n_records = 0;
	struct vx_meter_options o = {.interval_s = interval, .max_flows = max_flows, .seed = seed,
				     .emit = collect};
	char err[128];
	struct vx_meter *m = vx_meter_new(&o, err, sizeof(err));
	assert_non_null(m);
	return m;
}

static const uint8_t PRIMARY[4] = {172, 31, 16, 139};

/* A decoded packet as the decoder leaves it. */
static struct vx_packet pkt(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			    uint8_t proto, uint16_t ip_len, uint8_t tcp_flags, int64_t t)
{
	struct vx_packet p;
	memset(&p, 0, sizeof(p));
	int family = strchr(src, ':') ? 6 : 4;
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, src, p.key.src), 1);
	assert_int_equal(inet_pton(family == 6 ? AF_INET6 : AF_INET, dst, p.key.dst), 1);
	p.key.family = (uint8_t)family;
	p.key.proto = proto;
	p.key.sport = sport;
	p.key.dport = dport;
	p.has_l3 = true;
	p.has_l4 = true;
	p.has_ports = proto == 6 || proto == 17;
	p.ip_len = ip_len;
	p.tcp_flags = tcp_flags;
	p.ts.sec = t;
	return p;
}

static void feed(struct vx_meter *m, int iface, enum vx_flow_direction dir, struct vx_packet p)
{
	vx_meter_packet(m, iface, dir, VX_FLOW_ACCEPT, &p);
}

static const char *addr(const uint8_t *a, uint8_t family)
{
	static char buf[4][64];
	static int next;
	char *b = buf[next++ % 4];
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, b, 64);
	return b;
}

static void test_tcp_flags_mapping(void **state)
{
	(void)state;
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_SYN), 2);
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_SYN | VX_TCP_ACK), 18);
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_SYN | VX_TCP_ECE), 2);
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_ACK), 0);
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_ACK | VX_TCP_PSH), 0);
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_FIN | VX_TCP_ACK), 1);
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_RST), 4);
	assert_int_equal(vx_flow_tcp_flags(VX_TCP_RST | VX_TCP_ACK), 4);
}

/* A short connection: SYN, SYN-ACK, data, FIN both ways. One record per
 * direction, flags ORed: 3 and 19 (SPEC.md §2.5), the interface's side
 * shown as its primary address, times of first and last packet. */
static void test_short_connection_two_records(void **state)
{
	(void)state;
	struct vx_meter *m = meter(60, 0, 1);
	int eni = vx_meter_add_interface(m, "eni-1235b8ca123456789", PRIMARY);
	const char *c = "52.213.180.42", *s = "172.31.16.139";
	feed(m, eni, VX_FLOW_INGRESS, pkt(c, 43638, s, 5001, 6, 60, VX_TCP_SYN, 1566933133));
	feed(m, eni, VX_FLOW_EGRESS,
	     pkt(s, 5001, c, 43638, 6, 60, VX_TCP_SYN | VX_TCP_ACK, 1566933133));
	feed(m, eni, VX_FLOW_INGRESS, pkt(c, 43638, s, 5001, 6, 52, VX_TCP_ACK, 1566933134));
	feed(m, eni, VX_FLOW_INGRESS,
	     pkt(c, 43638, s, 5001, 6, 1100, VX_TCP_ACK | VX_TCP_PSH, 1566933150));
	feed(m, eni, VX_FLOW_EGRESS,
	     pkt(s, 5001, c, 43638, 6, 52, VX_TCP_FIN | VX_TCP_ACK, 1566933170));
	feed(m, eni, VX_FLOW_INGRESS,
	     pkt(c, 43638, s, 5001, 6, 52, VX_TCP_FIN | VX_TCP_ACK, 1566933171));
	assert_int_equal(n_records, 0); /* nothing before the window closes */
	vx_meter_flush(m);
	assert_int_equal(n_records, 2);
	vx_meter_flush(m); /* a second flush adds nothing (no NODATA for an empty window) */
	assert_int_equal(n_records, 2);
	const struct vx_flow_record *in = &records[0], *out = &records[1];
	assert_string_equal(in->interface_id, "eni-1235b8ca123456789");
	assert_int_equal(in->log_status, VX_FLOW_OK);
	assert_int_equal(in->direction, VX_FLOW_INGRESS);
	assert_string_equal(addr(in->srcaddr, 4), c);
	assert_string_equal(addr(in->dstaddr, 4), s);
	assert_int_equal(in->srcport, 43638);
	assert_int_equal(in->dstport, 5001);
	assert_int_equal(in->protocol, 6);
	assert_int_equal(in->packets, 4);
	assert_int_equal(in->bytes, 60 + 52 + 1100 + 52);
	assert_int_equal(in->start, 1566933133);
	assert_int_equal(in->end, 1566933171);
	assert_int_equal(in->tcp_flags, 3);
	assert_int_equal(in->action, VX_FLOW_ACCEPT);
	assert_int_equal(out->direction, VX_FLOW_EGRESS);
	assert_string_equal(addr(out->srcaddr, 4), s);
	assert_int_equal(out->packets, 2);
	assert_int_equal(out->tcp_flags, 19);
	assert_int_equal(out->start, 1566933133);
	assert_int_equal(out->end, 1566933170);
	vx_meter_free(m);
}

/* srcaddr/dstaddr show the primary private IPv4 on the interface's side;
 * pkt-srcaddr/pkt-dstaddr keep what the packets carried (SPEC.md §2.6). */
static void test_primary_address_substitution(void **state)
{
	(void)state;
	struct vx_meter *m = meter(600, 0, 1);
	int eni = vx_meter_add_interface(m, "eni-1", PRIMARY);
	/* To a secondary address, and from a foreign source (egress). */
	feed(m, eni, VX_FLOW_INGRESS, pkt("10.0.9.9", 1000, "172.31.16.200", 80, 6, 40, 0, 600));
	feed(m, eni, VX_FLOW_EGRESS, pkt("10.244.1.7", 2000, "10.0.9.9", 443, 6, 40, 0, 601));
	vx_meter_flush(m);
	assert_int_equal(n_records, 2);
	assert_string_equal(addr(records[0].dstaddr, 4), "172.31.16.139");
	assert_string_equal(addr(records[0].pkt_dstaddr, 4), "172.31.16.200");
	assert_string_equal(addr(records[0].srcaddr, 4), "10.0.9.9");
	assert_string_equal(addr(records[1].srcaddr, 4), "172.31.16.139");
	assert_string_equal(addr(records[1].pkt_srcaddr, 4), "10.244.1.7");
	assert_string_equal(addr(records[1].dstaddr, 4), "10.0.9.9");
	vx_meter_free(m);

	/* IPv6 and an interface without IPv4 keep the packets' addresses. */
	m = meter(600, 0, 1);
	eni = vx_meter_add_interface(m, "eni-2", NULL);
	int eni6 = vx_meter_add_interface(m, "eni-3", PRIMARY);
	feed(m, eni, VX_FLOW_INGRESS, pkt("10.0.9.9", 1, "10.0.0.5", 2, 17, 40, 0, 0));
	feed(m, eni6, VX_FLOW_INGRESS,
	     pkt("2001:db8:1234:a100:8d6e:3477:df66:f105", 34892,
		 "2001:db8:1234:a102:3304:8879:34cf:4071", 22, 6, 80, VX_TCP_SYN, 0));
	vx_meter_flush(m);
	assert_int_equal(n_records, 2);
	assert_string_equal(addr(records[0].dstaddr, 4), "10.0.0.5");
	assert_int_equal(records[1].family, 6);
	assert_string_equal(addr(records[1].dstaddr, 6), "2001:db8:1234:a102:3304:8879:34cf:4071");
	vx_meter_free(m);
}

/* Windows are multiples of the interval; a long flow gets a record per
 * window, each with its own packet times. */
static void test_windows_split_long_flows(void **state)
{
	(void)state;
	struct vx_meter *m = meter(60, 0, 1);
	int eni = vx_meter_add_interface(m, "eni-1", PRIMARY);
	for (int64_t t = 1000; t < 1200; t += 10)
		feed(m, eni, VX_FLOW_INGRESS, pkt("10.0.0.1", 5, "172.31.16.139", 6, 17, 100, 0, t));
	/* Windows 960-1019, 1020-1079, 1080-1139 are closed by later packets. */
	assert_int_equal(n_records, 3);
	assert_int_equal(records[0].start, 1000);
	assert_int_equal(records[0].end, 1010);
	assert_int_equal(records[0].packets, 2);
	assert_int_equal(records[1].start, 1020);
	assert_int_equal(records[1].end, 1070);
	assert_int_equal(records[1].packets, 6);
	assert_int_equal(records[2].start, 1080);
	assert_int_equal(records[2].end, 1130);
	vx_meter_flush(m);
	assert_int_equal(n_records, 4);
	assert_int_equal(records[3].start, 1140);
	assert_int_equal(records[3].end, 1190);
	assert_int_equal(records[3].packets, 6);
	uint64_t total = 0;
	for (size_t i = 0; i < n_records; i++)
		total += records[i].packets;
	assert_int_equal(total, 20);
	vx_meter_free(m);
}

/* An interface that carried traffic gets NODATA for an idle window; one
 * that never did gets nothing (SPEC.md §2.7). */
static void test_nodata(void **state)
{
	(void)state;
	struct vx_meter *m = meter(60, 0, 1);
	int a = vx_meter_add_interface(m, "eni-a", PRIMARY);
	vx_meter_add_interface(m, "eni-never", PRIMARY);
	vx_meter_advance(m, 5000); /* no traffic yet: nothing is published */
	assert_int_equal(n_records, 0);
	feed(m, a, VX_FLOW_INGRESS, pkt("10.0.0.1", 5, "172.31.16.139", 6, 17, 100, 0, 6010));
	feed(m, a, VX_FLOW_INGRESS, pkt("10.0.0.1", 5, "172.31.16.139", 6, 17, 100, 0, 6130));
	assert_int_equal(n_records, 2); /* the 6000 record and NODATA for 6060-6119 */
	assert_int_equal(records[0].log_status, VX_FLOW_OK);
	assert_int_equal(records[1].log_status, VX_FLOW_NODATA);
	assert_string_equal(records[1].interface_id, "eni-a");
	assert_int_equal(records[1].start, 6060);
	assert_int_equal(records[1].end, 6119);
	/* A clock with no traffic closes windows too. */
	vx_meter_advance(m, 6200);
	assert_int_equal(n_records, 3); /* 6120 has the packet */
	vx_meter_advance(m, 6250);
	assert_int_equal(n_records, 4);
	assert_int_equal(records[3].log_status, VX_FLOW_NODATA);
	assert_int_equal(records[3].start, 6180);
	struct vx_meter_stats st;
	vx_meter_get_stats(m, &st);
	assert_int_equal(st.nodata, 2);
	assert_int_equal(st.records, 2);
	vx_meter_free(m);
}

/* Two capture workers meter one interface: NODATA is one record, from the
 * writer, for a window neither saw traffic in, even when all the traffic
 * went to the other worker. */
static void test_nodata_shared_by_workers(void **state)
{
	(void)state;
	struct vx_meter_nodata shared;
	vx_meter_nodata_init(&shared);
	struct vx_meter *w1 = meter(60, 0, 1);
	struct vx_meter *w0 = meter(60, 0, 1);
	int a0 = vx_meter_add_interface(w0, "eni-a", PRIMARY);
	int a1 = vx_meter_add_interface(w1, "eni-a", PRIMARY);
	assert_int_equal(vx_meter_share_nodata(w0, a0, &shared, true), 0);
	assert_int_equal(vx_meter_share_nodata(w1, a1, &shared, false), 0);
	assert_int_equal(vx_meter_share_nodata(w1, 7, &shared, false), -1);

	vx_meter_advance(w0, 5000); /* no traffic anywhere yet */
	feed(w1, a1, VX_FLOW_INGRESS, pkt("10.0.0.1", 5, "172.31.16.139", 6, 17, 100, 0, 6010));
	vx_meter_advance(w0, 6059); /* the window is still open */
	assert_int_equal(n_records, 0);
	vx_meter_advance(w1, 6070);
	assert_int_equal(n_records, 1);
	assert_int_equal(records[0].log_status, VX_FLOW_OK);
	vx_meter_advance(w0, 6070); /* 6000-6059 had traffic, on the other worker */
	assert_int_equal(n_records, 1);

	vx_meter_advance(w1, 6130); /* 6060-6119: none; not this worker's to say */
	assert_int_equal(n_records, 1);
	vx_meter_advance(w0, 6130);
	assert_int_equal(n_records, 2);
	assert_int_equal(records[1].log_status, VX_FLOW_NODATA);
	assert_int_equal(records[1].start, 6060);

	feed(w0, a0, VX_FLOW_INGRESS, pkt("10.0.0.1", 5, "172.31.16.139", 6, 17, 100, 0, 6125));
	vx_meter_advance(w1, 6190);
	vx_meter_advance(w0, 6190);
	assert_int_equal(n_records, 3);
	assert_int_equal(records[2].log_status, VX_FLOW_OK);
	assert_int_equal(records[2].start, 6125);

	vx_meter_flush(w1);
	vx_meter_flush(w0); /* the open window, 6180-6239, idle: one NODATA */
	assert_int_equal(n_records, 4);
	assert_int_equal(records[3].log_status, VX_FLOW_NODATA);
	assert_int_equal(records[3].start, 6180);
	struct vx_meter_stats st;
	vx_meter_get_stats(w1, &st);
	assert_int_equal(st.nodata, 0);
	vx_meter_get_stats(w0, &st);
	assert_int_equal(st.nodata, 2);
	vx_meter_free(w0);
	vx_meter_free(w1);

	/* A writer started again (a restarted worker) goes on from the
	 * windows decided before it, without repeating them. */
	size_t before = n_records;
	struct vx_meter *w2 = meter(60, 0, 1);
	n_records = before;
	int a2 = vx_meter_add_interface(w2, "eni-a", PRIMARY);
	vx_meter_share_nodata(w2, a2, &shared, true);
	vx_meter_advance(w2, 6250);
	assert_int_equal(n_records, before);
	vx_meter_advance(w2, 6310);
	assert_int_equal(n_records, before + 1);
	assert_int_equal(records[before].log_status, VX_FLOW_NODATA);
	assert_int_equal(records[before].start, 6240);
	vx_meter_free(w2);
}

/* A full table skips the packets of new flows, counts them, and the window
 * gets one SKIPDATA record for the interface; known flows keep counting. */
static void test_skipdata_when_full(void **state)
{
	(void)state;
	struct vx_meter *m = meter(600, 100, 7);
	int eni = vx_meter_add_interface(m, "eni-full", PRIMARY);
	int other = vx_meter_add_interface(m, "eni-other", PRIMARY);
	for (int i = 0; i < 500; i++)
		feed(m, eni, VX_FLOW_INGRESS,
		     pkt("10.0.0.1", (uint16_t)(1000 + i), "172.31.16.139", 80, 6, 40, 0, 100));
	feed(m, eni, VX_FLOW_INGRESS, pkt("10.0.0.1", 1000, "172.31.16.139", 80, 6, 40, 0, 101));
	feed(m, other, VX_FLOW_INGRESS, pkt("10.0.0.2", 1, "172.31.16.139", 80, 6, 40, 0, 102));
	vx_meter_flush(m);
	assert_int_equal(n_records, 102); /* 100 flows, a SKIPDATA per interface */
	assert_int_equal(records[0].packets, 2);
	assert_int_equal(records[100].log_status, VX_FLOW_SKIPDATA);
	assert_string_equal(records[100].interface_id, "eni-full");
	assert_int_equal(records[100].start, 0);
	assert_int_equal(records[100].end, 599);
	assert_int_equal(records[101].log_status, VX_FLOW_SKIPDATA);
	assert_string_equal(records[101].interface_id, "eni-other");
	struct vx_meter_stats st;
	vx_meter_get_stats(m, &st);
	assert_int_equal(st.skipped_packets, 401); /* 400 flows + eni-other's packet */
	assert_int_equal(st.skipdata, 2);
	vx_meter_free(m);
}

/* The same 5-tuple with different actions is two records; so is the same
 * 5-tuple on two interfaces. */
static void test_action_and_interface_split_records(void **state)
{
	(void)state;
	struct vx_meter *m = meter(600, 0, 3);
	int a = vx_meter_add_interface(m, "eni-a", PRIMARY);
	int b = vx_meter_add_interface(m, "eni-b", PRIMARY);
	struct vx_packet p = pkt("203.0.113.12", 0, "172.31.16.139", 0, 1, 84, 0, 1432917027);
	vx_meter_packet(m, a, VX_FLOW_INGRESS, VX_FLOW_ACCEPT, &p);
	vx_meter_packet(m, a, VX_FLOW_INGRESS, VX_FLOW_REJECT, &p);
	vx_meter_packet(m, b, VX_FLOW_INGRESS, VX_FLOW_ACCEPT, &p);
	vx_meter_flush(m);
	assert_int_equal(n_records, 3);
	assert_int_equal(records[0].action, VX_FLOW_ACCEPT);
	assert_int_equal(records[1].action, VX_FLOW_REJECT);
	assert_string_equal(records[2].interface_id, "eni-b");
	assert_int_equal(records[0].srcport, 0);
	assert_int_equal(records[0].bytes, 84);
	vx_meter_free(m);
}

/* The order of records does not depend on the hash seed. */
static void test_order_independent_of_seed(void **state)
{
	(void)state;
	struct vx_flow_record first[64];
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct vx_meter *m = meter(600, 0, seed * 0x1234567);
		int eni = vx_meter_add_interface(m, "eni-1", PRIMARY);
		for (int i = 0; i < 64; i++)
			feed(m, eni, i % 2 ? VX_FLOW_EGRESS : VX_FLOW_INGRESS,
			     pkt("10.0.0.1", (uint16_t)(7 * i), "10.0.0.2", 53, 17, 70, 0, 10));
		vx_meter_flush(m);
		assert_int_equal(n_records, 64);
		if (seed == 1)
			memcpy(first, records, sizeof(first));
		else
			assert_memory_equal(first, records, sizeof(first));
		vx_meter_free(m);
	}
}

/* A packet older than the open window is metered there, at its start. */
static void test_late_packet(void **state)
{
	(void)state;
	struct vx_meter *m = meter(60, 0, 1);
	int eni = vx_meter_add_interface(m, "eni-1", PRIMARY);
	feed(m, eni, VX_FLOW_INGRESS, pkt("10.0.0.1", 1, "10.0.0.2", 2, 17, 30, 0, 125));
	feed(m, eni, VX_FLOW_INGRESS, pkt("10.0.0.1", 1, "10.0.0.2", 2, 17, 30, 0, 119));
	vx_meter_flush(m);
	assert_int_equal(n_records, 1);
	assert_int_equal(records[0].packets, 2);
	assert_int_equal(records[0].start, 120);
	assert_int_equal(records[0].end, 125);
	struct vx_meter_stats st;
	vx_meter_get_stats(m, &st);
	assert_int_equal(st.late_packets, 1);
	vx_meter_free(m);
}

/* A jump of packet time writes a bounded number of NODATA windows. */
static void test_time_jump_is_bounded(void **state)
{
	(void)state;
	struct vx_meter *m = meter(600, 0, 1);
	int eni = vx_meter_add_interface(m, "eni-1", PRIMARY);
	feed(m, eni, VX_FLOW_INGRESS, pkt("10.0.0.1", 1, "10.0.0.2", 2, 17, 30, 0, 0));
	feed(m, eni, VX_FLOW_INGRESS,
	     pkt("10.0.0.1", 1, "10.0.0.2", 2, 17, 30, 0, (int64_t)600 * 100000));
	struct vx_meter_stats st;
	vx_meter_get_stats(m, &st);
	assert_int_equal(st.nodata, 1440);
	assert_int_equal(st.empty_windows_not_written, 100000 - 1 - 1440);
	assert_int_equal(n_records, 1 + 1440);
	vx_meter_free(m);
}

/* Frames without IP (ARP) are counted and never logged. */
static void test_not_ip(void **state)
{
	(void)state;
	struct vx_meter *m = meter(60, 0, 1);
	int eni = vx_meter_add_interface(m, "eni-1", PRIMARY);
	struct vx_packet p;
	memset(&p, 0, sizeof(p));
	vx_meter_packet(m, eni, VX_FLOW_INGRESS, VX_FLOW_ACCEPT, &p);
	vx_meter_flush(m);
	assert_int_equal(n_records, 0);
	struct vx_meter_stats st;
	vx_meter_get_stats(m, &st);
	assert_int_equal(st.not_ip, 1);
	vx_meter_free(m);
}

/* A SYN whose TCP options a snaplen (or a mirror session's packet length)
 * cut: its flags are in the 20 bytes that are there, so the record keeps
 * them, as AWS, which sees the whole packet, would. A frame cut before the
 * flags byte adds none, whatever the packet decoded before it carried. */
static void test_tcp_flags_of_cut_header(void **state)
{
	(void)state;
	static struct tframe syn, ack;
	uint8_t options[20];
	memset(options, 1, sizeof(options)); /* NOPs */
	tf_reset(&syn);
	tf_eth(&syn, 0x0800);
	tf_ipv4(&syn, "10.0.0.1", "10.0.0.2", 6, 40);
	tf_tcp(&syn, 40000, 25, 1, 0, VX_TCP_SYN | VX_TCP_ECE | VX_TCP_CWR);
	syn.b[14 + 20 + 12] = 10 << 4; /* a 40-byte header: 20 bytes of options */
	tf_bytes(&syn, options, sizeof(options));
	tf_tcp4_frame(&ack, "10.0.0.1", 40000, "10.0.0.2", 25, 2, 1, VX_TCP_FIN | VX_TCP_ACK, NULL,
		      0);
	struct vx_decode_config cfg;
	vx_decode_config_default(&cfg);
	struct vx_meter *m = meter(60, 0, 1);
	int eni = vx_meter_add_interface(m, "eni-1", PRIMARY);
	struct vx_packet p;

	vx_decode(&cfg, VX_LINK_ETHERNET, syn.b, 14 + 20 + 30, (uint32_t)syn.len, &p);
	assert_true(p.has_ports);
	assert_false(p.has_l4);
	p.ts.sec = 1000;
	vx_meter_packet(m, eni, VX_FLOW_EGRESS, VX_FLOW_ACCEPT, &p);
	vx_meter_flush(m);
	assert_int_equal(n_records, 1);
	assert_int_equal(records[0].tcp_flags, 2);
	assert_int_equal(records[0].packets, 1);
	assert_int_equal(records[0].bytes, 60);

	n_records = 0;
	vx_decode(&cfg, VX_LINK_ETHERNET, ack.b, (uint32_t)ack.len, (uint32_t)ack.len, &p);
	vx_decode(&cfg, VX_LINK_ETHERNET, syn.b, 14 + 20 + 12, (uint32_t)syn.len, &p);
	assert_true(p.has_ports);
	p.ts.sec = 1100;
	vx_meter_packet(m, eni, VX_FLOW_EGRESS, VX_FLOW_ACCEPT, &p);
	vx_meter_flush(m);
	assert_int_equal(n_records, 1);
	assert_int_equal(records[0].tcp_flags, 0);
	vx_meter_free(m);
}

static void test_bad_options(void **state)
{
	(void)state;
	char err[128];
	struct vx_meter_options o = {.interval_s = 300, .emit = collect};
	assert_null(vx_meter_new(&o, err, sizeof(err)));
	assert_string_equal(err, "aggregation interval 300 s is not valid (allowed: 60, 600)");
}

/* ---- The analyzer's flow-log stage: which interface, which direction ---- */

/* How a mirrored copy of a TCP segment reaches the analyzer. */
enum carrier {
	CARRIER_VXLAN,	     /* a capture on the target: Ethernet, IPv4, UDP, VXLAN */
	CARRIER_GENEVE,	     /* behind a Gateway Load Balancer: the same inside Geneve */
	CARRIER_NESTED,	     /* VXLAN, around traffic that is itself VXLAN (VNI 5) */
	CARRIER_LISTEN,	     /* a --listen datagram: from the VXLAN header on */
};

#define INNER_LEN (14 + 20 + 20)		/* Ethernet, IPv4, TCP */
#define VXLAN_LEN (20 + 8 + 8 + INNER_LEN)	/* IPv4, UDP, VXLAN, inner frame */

/* A copy that the mirror session of VNI 77 on the interface 10.0.1.5 sent. */
static uint32_t mirrored(struct tframe *f, enum carrier c, const char *src, uint16_t sport,
			 const char *dst, uint16_t dport, uint8_t flags)
{
	tf_reset(f);
	if (c == CARRIER_GENEVE) {
		tf_eth(f, 0x0800);
		tf_ipv4(f, "10.0.200.1", "10.0.9.50", 17, 8 + 8 + VXLAN_LEN);
		tf_udp(f, 5555, 6081, 8 + VXLAN_LEN);
		tf_be32(f, 0x00000800); /* version 0, no options, protocol IPv4 */
		tf_be32(f, 0);		/* VNI 0 */
	} else if (c != CARRIER_LISTEN) {
		tf_eth(f, 0x0800);
	}
	if (c != CARRIER_LISTEN) {
		uint16_t more = c == CARRIER_NESTED ? 14 + VXLAN_LEN : INNER_LEN;
		tf_ipv4(f, "10.0.1.5", "10.0.9.9", 17, (uint16_t)(8 + 8 + more));
		tf_udp(f, 49152, 4789, (uint16_t)(8 + more));
	}
	tf_vxlan(f, 77);
	if (c == CARRIER_NESTED) {
		tf_eth(f, 0x0800);
		tf_ipv4(f, "10.0.1.5", "10.0.3.3", 17, 8 + 8 + INNER_LEN);
		tf_udp(f, 40000, 4789, 8 + INNER_LEN);
		tf_vxlan(f, 5);
	}
	tf_eth(f, 0x0800);
	tf_ipv4(f, src, dst, 6, 20);
	tf_tcp(f, sport, dport, 1, 0, flags);
	return c == CARRIER_LISTEN ? VX_LINK_VXLAN : VX_LINK_ETHERNET;
}

#define STAGE_FORMAT                                                                               \
	"${interface-id} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction} "   \
	"${tcp-flags}"

/* The records of a SYN from the interface to 203.0.113.5 and the SYN-ACK
 * back, mirrored by carrier c, through a stage with these options. */
static char *stage_records(enum carrier c, const char *interface_id, const char *local,
			   const char *sender)
{
	uint32_t from = 0;
	if (sender)
		assert_int_equal(inet_pton(AF_INET, sender, &from), 1);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	struct vx_flowlog_stage_options o;
	memset(&o, 0, sizeof(o));
	o.logger.log_format = STAGE_FORMAT;
	o.logger.interval_s = 60;
	o.logger.seed = 1;
	o.logger.sink.kind = VX_FLOWLOG_SINK_STDOUT;
	o.logger.sink.out = out;
	o.interface_id = interface_id;
	if (local) {
		char why[128];
		assert_int_equal(vx_cidr_parse(local, &o.local[0], why, sizeof(why)), 0);
		o.n_local = 1;
		memcpy(o.primary, o.local[0].addr, 4);
		o.has_primary = true;
	}
	char err[256];
	struct vx_flowlog_stage *s = vx_flowlog_stage_new(&o, err, sizeof(err));
	assert_non_null(s);
	struct vx_decode_config cfg;
	vx_decode_config_default(&cfg);
	static struct tframe f;
	struct vx_packet p;
	uint32_t link = mirrored(&f, c, "10.0.1.5", 40000, "203.0.113.5", 443, VX_TCP_SYN);
	assert_int_equal(vx_decode(&cfg, link, f.b, (uint32_t)f.len, (uint32_t)f.len, &p),
			 VX_STATUS_OK);
	p.ts.sec = 1566933133;
	vx_flowlog_stage_packet(s, &p, from);
	link = mirrored(&f, c, "203.0.113.5", 443, "10.0.1.5", 40000, VX_TCP_SYN | VX_TCP_ACK);
	assert_int_equal(vx_decode(&cfg, link, f.b, (uint32_t)f.len, (uint32_t)f.len, &p),
			 VX_STATUS_OK);
	p.ts.sec = 1566933134;
	vx_flowlog_stage_packet(s, &p, from);
	assert_int_equal(vx_flowlog_stage_flush(s), 0);
	vx_flowlog_stage_free(s);
	fclose(out);
	return text;
}

/* Mirrored copies: the interface is the session's (the IPv4 source and VNI
 * of the mirror's VXLAN), the same ID in every run; a packet from that
 * address is egress. */
#define MIRRORED_RECORDS                                                                           \
	"eni-b9e2782faa7f502fc 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5 egress 2\n"             \
	"eni-b9e2782faa7f502fc 203.0.113.5 10.0.1.5 203.0.113.5 10.0.1.5 ingress 18\n"

static void test_stage_mirrored_vxlan(void **state)
{
	(void)state;
	char *text = stage_records(CARRIER_VXLAN, NULL, NULL, NULL);
	assert_string_equal(text, MIRRORED_RECORDS);
	free(text);
}

/* Behind a Gateway Load Balancer the outermost IPv4 header is the load
 * balancer's (10.0.200.1): the session is still the VXLAN's carrier. */
static void test_stage_mirrored_geneve(void **state)
{
	(void)state;
	char *text = stage_records(CARRIER_GENEVE, NULL, NULL, NULL);
	assert_string_equal(text, MIRRORED_RECORDS);
	free(text);
}

/* Mirrored traffic that is VXLAN itself: the session is the outermost VXLAN
 * (VNI 77), not the mirrored host's own (VNI 5). */
static void test_stage_mirrored_nested_vxlan(void **state)
{
	(void)state;
	char *text = stage_records(CARRIER_NESTED, NULL, NULL, NULL);
	assert_string_equal(text, MIRRORED_RECORDS);
	free(text);
}

/* A --listen datagram starts at the VXLAN header: the session is its
 * sender's (the mirrored interface's primary address) and VNI, the same
 * interface as when the capture holds the outer headers. */
static void test_stage_listen_sender(void **state)
{
	(void)state;
	char *text = stage_records(CARRIER_LISTEN, NULL, NULL, "10.0.1.5");
	assert_string_equal(text, MIRRORED_RECORDS);
	free(text);
}

/* Without a sender (an IPv6 one), a datagram's traffic is the plain
 * interface's, direction from the interface's addresses. */
static void test_stage_listen_is_plain(void **state)
{
	(void)state;
	char *text =
		stage_records(CARRIER_LISTEN, "eni-1111aaaa2222bbbb3", "10.0.1.5/32", NULL);
	assert_string_equal(text,
			    "eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5 10.0.1.5 203.0.113.5 egress 2\n"
			    "eni-1111aaaa2222bbbb3 203.0.113.5 10.0.1.5 203.0.113.5 10.0.1.5 ingress 18\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_flags_mapping),
	    cmocka_unit_test(test_short_connection_two_records),
	    cmocka_unit_test(test_primary_address_substitution),
	    cmocka_unit_test(test_windows_split_long_flows),
	    cmocka_unit_test(test_nodata),
	    cmocka_unit_test(test_nodata_shared_by_workers),
	    cmocka_unit_test(test_skipdata_when_full),
	    cmocka_unit_test(test_action_and_interface_split_records),
	    cmocka_unit_test(test_order_independent_of_seed),
	    cmocka_unit_test(test_late_packet),
	    cmocka_unit_test(test_time_jump_is_bounded),
	    cmocka_unit_test(test_not_ip),
	    cmocka_unit_test(test_tcp_flags_of_cut_header),
	    cmocka_unit_test(test_bad_options),
	    cmocka_unit_test(test_stage_mirrored_vxlan),
	    cmocka_unit_test(test_stage_mirrored_geneve),
	    cmocka_unit_test(test_stage_mirrored_nested_vxlan),
	    cmocka_unit_test(test_stage_listen_sender),
	    cmocka_unit_test(test_stage_listen_is_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
