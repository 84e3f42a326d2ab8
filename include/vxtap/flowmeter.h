/* flowmeter — the flow-log meter: decoded packets in, flow-log records out
 * (SPEC.md §2.2-2.7).
 *
 * Input:  per packet, the interface it was seen on (registered once with its
 *         eni- ID and primary private IPv4), its direction relative to that
 *         interface, the decoded flow key, IP length, TCP flags, time and
 *         the action (ACCEPT unless security groups or ACLs say otherwise).
 * Work:   one fixed-capacity table of flows per window; windows are aligned
 *         to multiples of the aggregation interval (60 or 600 s) and advance
 *         with packet time, so a capture replayed gives the same records.
 *         A record is one interface, one direction of one 5-tuple, one
 *         action, one window. The table is keyed with XXH3 and a random seed,
 *         so crafted traffic cannot make the lookups degrade. When the table
 *         is full, packets of new flows are skipped and counted, and the
 *         window's records for that interface include one SKIPDATA record.
 *         An interface that carried traffic once gets a NODATA record for
 *         each later window without any.
 *         A packet older than the open window (out of order across a
 *         window's edge) is metered in the open window, at its start, and
 *         counted as late.
 * Output: records through a callback, when a window closes: on a packet of
 *         a later window, vx_meter_advance() (a clock for live capture), or
 *         vx_meter_flush() (shutdown, end of file). A window's records come
 *         in the order their flows were first seen, then its SKIPDATA and
 *         NODATA records in the order the interfaces were registered. Those
 *         carry the window's first and last second as start and end. When a
 *         packet or the clock has closed windows, a second callback (if set)
 *         says where the open window now starts.
 *
 * Memory is allocated once: per tracked flow one 64-byte entry and two to
 * four 4-byte index slots, at most 80 bytes. The packet path does not
 * allocate, lock or make a syscall. One meter belongs to one thread. */
#ifndef VXTAP_FLOWMETER_H
#define VXTAP_FLOWMETER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vxtap/decode.h"
#include "vxtap/flowlog.h"

#define VX_METER_MAX_INTERFACES 1024

typedef void (*vx_meter_emit_fn)(const struct vx_flow_record *r, void *ctx);
/* Windows have closed: every record that ends before next_start has been
 * emitted. */
typedef void (*vx_meter_closed_fn)(int64_t next_start, void *ctx);

struct vx_meter_options {
	uint32_t max_flows;  /* flows tracked per window; 0: 1,000,000 */
	uint32_t interval_s; /* 60 or 600; 0: 600 */
	uint64_t seed;	     /* the table's hash seed; 0: random */
	vx_meter_emit_fn emit;
	vx_meter_closed_fn closed; /* optional; called with emit_ctx */
	void *emit_ctx;
};

struct vx_meter_stats {
	uint64_t packets;	  /* packets metered */
	uint64_t skipped_packets; /* packets of flows the full table could not take */
	uint64_t late_packets;	  /* packets older than the open window (metered in it) */
	uint64_t not_ip;	  /* frames without an IP layer (ARP...): never logged */
	uint64_t windows;	  /* windows closed */
	uint64_t records;	  /* OK records emitted */
	uint64_t nodata, skipdata;/* NODATA and SKIPDATA records emitted */
	uint32_t peak_flows;	  /* most flows in one window */
	uint64_t empty_windows_not_written; /* beyond a jump's NODATA limit */
};

struct vx_meter;

/* The NODATA state several meters share for one interface: capture workers
 * that each meter a share of its flows. Traffic any of them meters marks
 * its window; a window none of them saw traffic in gets one NODATA record,
 * from the meter that writes for them all. Initialise with
 * vx_meter_nodata_init(); it must outlive the meters. */
struct vx_meter_nodata {
	_Atomic int64_t last_window; /* start of the latest window with traffic */
	_Atomic int64_t decided_to;  /* the writer has decided the windows before this */
};

void vx_meter_nodata_init(struct vx_meter_nodata *shared);

/* NULL with a reason in err (bad options, out of memory). */
struct vx_meter *vx_meter_new(const struct vx_meter_options *opt, char *err, size_t errlen);
void vx_meter_free(struct vx_meter *m);

/* Register an interface; returns its index for vx_meter_packet(), or -1
 * when VX_METER_MAX_INTERFACES are registered. primary_ipv4 may be NULL
 * (an interface without IPv4: records keep the packets' addresses). */
int vx_meter_add_interface(struct vx_meter *m, const char *interface_id,
			   const uint8_t primary_ipv4[4]);

/* Decide interface iface's NODATA records with the other meters sharing
 * `shared`: this one writes them when `writer` (exactly one meter should),
 * for windows none of them saw traffic in; a writer that saw no traffic
 * itself publishes from the others' first window on. Each meter closes
 * windows by its own clock: traffic of a window that another meter meters
 * only after the writer closed that window does not take back its NODATA
 * record. 0, or -1 for an unknown iface. */
int vx_meter_share_nodata(struct vx_meter *m, int iface, struct vx_meter_nodata *shared,
			  bool writer);

/* Meter one decoded packet seen on interface `iface`. Packets without an IP
 * layer are counted and ignored. A packet of a later window closes the
 * open one (and emits NODATA for the empty windows in between). */
void vx_meter_packet(struct vx_meter *m, int iface, enum vx_flow_direction dir,
		     enum vx_flow_action action, const struct vx_packet *p);

/* The same for a batch of decoded packets, faster: vx_meter_hash_batch()
 * sets hashes[i] = vx_meter_hash(m, &pkts[i]) for all of them first, then
 * each packet is metered with its hash by vx_meter_packet_hashed(). */
uint64_t vx_meter_hash(const struct vx_meter *m, const struct vx_packet *p);
void vx_meter_hash_batch(const struct vx_meter *m, const struct vx_packet *pkts, int n,
			 uint64_t *hashes);
void vx_meter_packet_hashed(struct vx_meter *m, int iface, enum vx_flow_direction dir,
			    enum vx_flow_action action, const struct vx_packet *p, uint64_t hash);

/* Close every window that ended at or before now_s (Unix seconds): for
 * live capture, called with the clock once a second or so. */
void vx_meter_advance(struct vx_meter *m, int64_t now_s);

/* Close the open window now, with what it has (shutdown, end of input).
 * No window is open afterwards: flushing twice emits nothing more, and a
 * later packet opens the window it belongs to. */
void vx_meter_flush(struct vx_meter *m);

void vx_meter_get_stats(const struct vx_meter *m, struct vx_meter_stats *out);

/* AWS's tcp-flags of one TCP header's flags (SPEC.md §2.5). */
static inline uint8_t vx_flow_tcp_flags(uint8_t tcp)
{
	uint8_t f = tcp & (VX_TCP_FIN | VX_TCP_RST);
	if (tcp & VX_TCP_SYN)
		f |= (tcp & VX_TCP_ACK) ? VX_FLOW_TCP_SYN_ACK : VX_FLOW_TCP_SYN;
	return f;
}

#endif
