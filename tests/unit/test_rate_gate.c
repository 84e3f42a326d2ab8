/* Per-session caps on mirrored traffic: the GCRA gate admits the capped
 * rate over time, a bounded burst, and never more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vxtap/rate_gate.h"

#define SECOND_NS 1e9

/* Offer `n` packets of `bytes`, evenly spaced over `seconds`; count admitted. */
static unsigned offer(struct vx_rate_gate *g, const struct vx_rate_caps *c, double start_ns,
		      double seconds, unsigned n, uint32_t bytes)
{
	unsigned admitted = 0;
	for (unsigned i = 0; i < n; i++)
		admitted += vx_rate_gate_admit(g, c, start_ns + seconds * SECOND_NS * i / n, bytes);
	return admitted;
}

static void test_no_caps_admit_everything(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(0, 0, 1);
	struct vx_rate_gate g = {0};
	assert_true(vx_rate_caps_none(&c));
	assert_int_equal(offer(&g, &c, 1e9, 0.001, 100000, 9000), 100000);
}

/* 10 Mbit/s for 10 s of 1250-byte packets offered at 10x the cap: the bytes
 * let through are 10 s at the cap plus at most the burst allowance (here
 * 52 ms: one 65535-byte packet at 10 Mbit/s, more than 50 ms). */
static void test_bit_cap_over_time(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(10, 0, 1);
	struct vx_rate_gate g = {0};
	unsigned got = offer(&g, &c, 5e9, 10, 100000, 1250);
	double bits = got * 1250.0 * 8;
	assert_true(bits >= 10 * 10e6);
	assert_true(c.burst_ns > 52e6 && c.burst_ns < 53e6);
	assert_true(bits <= 10 * 10e6 + c.burst_ns / SECOND_NS * 10e6 + 1250 * 8);
}

static void test_packet_cap_over_time(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(0, 1000, 1);
	struct vx_rate_gate g = {0};
	unsigned got = offer(&g, &c, 5e9, 2, 20000, 64);
	assert_in_range(got, 2000, 2000 + 50 + 1); /* 2 s at the cap + a 50 ms burst */
}

/* Under the cap, nothing is refused. */
static void test_under_cap_admits_all(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(100, 100000, 1);
	struct vx_rate_gate g = {0};
	/* 50 Mbit/s, 5000 packets/s for 3 s */
	assert_int_equal(offer(&g, &c, 7e9, 3, 15000, 1250), 15000);
}

/* An idle gate passes one packet of any size even when it is larger than
 * the burst allowance at a small cap. */
static void test_idle_gate_passes_a_large_packet(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(1, 1, 1);
	struct vx_rate_gate g = {0};
	assert_true(vx_rate_gate_admit(&g, &c, 1e9, 65535));
	assert_false(vx_rate_gate_admit(&g, &c, 1e9 + 1e6, 64));
	/* At 1 Mbit/s, 65535 bytes take 0.52 s; at 1 packet/s, 1 s. */
	assert_true(vx_rate_gate_admit(&g, &c, 2e9 + 1, 64));
}

/* Both caps apply: whichever is tighter decides. */
static void test_tighter_cap_decides(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(1000, 100, 1); /* 100 pkt/s is tighter */
	struct vx_rate_gate g = {0};
	unsigned got = offer(&g, &c, 3e9, 1, 10000, 100);
	assert_in_range(got, 100, 100 + 5 + 1);
}

/* Each of n workers applies 1/n of the cap: together they make the cap. */
static void test_share_per_worker(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(0, 1000, 4);
	unsigned total = 0;
	for (int w = 0; w < 4; w++) {
		struct vx_rate_gate g = {0};
		total += offer(&g, &c, 5e9, 4, 40000, 64);
	}
	assert_in_range(total, 4000, 4000 + 4 * (13 + 1)); /* each: 4 s at 250/s + burst */
	assert_int_equal(c.max_pps, 1000);
}

/* A refused packet costs nothing: after a flood, the gate is open again as
 * soon as the traffic it let through has drained at the cap. */
static void test_refused_packets_cost_nothing(void **state)
{
	(void)state;
	struct vx_rate_caps c = vx_rate_caps_make(0, 10, 1);
	struct vx_rate_gate g = {0};
	offer(&g, &c, 1e9, 0.001, 1000000, 64);
	assert_true(vx_rate_gate_admit(&g, &c, 1e9 + 0.2e9, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_caps_admit_everything),
	    cmocka_unit_test(test_bit_cap_over_time),
	    cmocka_unit_test(test_packet_cap_over_time),
	    cmocka_unit_test(test_under_cap_admits_all),
	    cmocka_unit_test(test_idle_gate_passes_a_large_packet),
	    cmocka_unit_test(test_tighter_cap_decides),
	    cmocka_unit_test(test_share_per_worker),
	    cmocka_unit_test(test_refused_packets_cost_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
