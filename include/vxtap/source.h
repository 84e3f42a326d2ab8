/* source — where frames come from: a pcap or pcapng file, a UDP socket that
 * receives VXLAN datagrams, or a live interface.
 *
 * Output: batches of struct vx_frame. A batch's frame pointers stay valid
 * until the next vx_source_next() or vx_source_close() on that source.
 * Files are read without a copy per packet where the format allows it.
 */
#ifndef VXTAP_SOURCE_H
#define VXTAP_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "vxtap/decode.h"

struct vx_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	struct vx_time ts;
	/* A UDP listener's datagram: the sender's IPv4 address (network order),
	 * which for a mirror session is the source interface's primary address;
	 * 0 for other sources and IPv6 senders. */
	uint32_t sender_ipv4;
};

enum vx_source_kind { VX_SOURCE_FILE, VX_SOURCE_UDP, VX_SOURCE_LIVE };

struct vx_source_stats {
	uint64_t frames;         /* frames handed out */
	uint64_t bytes;          /* captured bytes handed out */
	uint64_t kernel_drops;   /* drops reported by the kernel (socket overflow, ring) */
	uint64_t bad_records;    /* file records that could not be read (corrupt length, ...) */
	uint64_t oversize;       /* datagrams larger than the receive slot, cut */
};

struct vx_source;

/* Return values of vx_source_next(). */
#define VX_SOURCE_EOF   0  /* file finished (never for sockets and interfaces) */
#define VX_SOURCE_ERROR (-1)

/* Open a pcap or pcapng file. On failure returns NULL and writes a one-line
 * reason naming the file into err. */
struct vx_source *vx_source_open_file(const char *path, char *err, size_t errlen);

/* Listen for VXLAN datagrams on "ADDR:PORT" ("0.0.0.0:4789", "[::]:4789",
 * ":4789"). SO_REUSEPORT is set so several receivers can share the port; the
 * receive buffer is raised to rcvbuf bytes when nonzero. Frames handed out
 * start at the VXLAN header (link type VX_LINK_VXLAN). */
struct vx_source *vx_source_open_udp(const char *listen, int rcvbuf, char *err, size_t errlen);
/* As vx_source_open_udp() with receive slots of slot_size bytes (0 or more
 * than 65536 means 65536, the default). Smaller slots exist for tests of the
 * oversize counter: a datagram longer than a slot is handed out cut to it. */
struct vx_source *vx_source_open_udp_slots(const char *listen, int rcvbuf, uint32_t slot_size,
					   char *err, size_t errlen);
/* The UDP port a UDP source is bound to (useful after listening on port 0);
 * -1 for other sources. */
int vx_source_udp_port(const struct vx_source *s);
/* The local address a UDP source is bound to, as getsockname() gives it
 * ("::" for ":PORT", which takes IPv4 too). Returns 0, or -1 for other
 * sources. */
int vx_source_udp_address(const struct vx_source *s, struct sockaddr_storage *ss, socklen_t *len);
/* The datagrams of a UDP source carry Geneve instead of VXLAN (a listener on
 * the Geneve port, as a Gateway Load Balancer's target receives them). */
void vx_source_udp_geneve(struct vx_source *s);

/* Capture on a live interface with libpcap; bpf is a filter expression
 * (NULL for the default "udp port 4789"), snaplen 0 means 262144. */
struct vx_source *vx_source_open_live(const char *ifname, const char *bpf, int snaplen,
				      char *err, size_t errlen);

/* Fill up to max frames. Returns the number filled (> 0), VX_SOURCE_EOF when
 * a file is done, VX_SOURCE_ERROR on a read error (message in
 * vx_source_error()), or VX_SOURCE_TIMEOUT when a socket or interface had
 * nothing within timeout_ms (kept apart from EOF on purpose). A negative
 * timeout_ms waits without limit, 0 does not wait; a signal that interrupts
 * the wait also gives VX_SOURCE_TIMEOUT. Files ignore timeout_ms. */
#define VX_SOURCE_TIMEOUT (-2)
int vx_source_next(struct vx_source *s, struct vx_frame *frames, int max, int timeout_ms);

enum vx_link vx_source_link(const struct vx_source *s);
enum vx_source_kind vx_source_kind(const struct vx_source *s);
/* True when frames come as they happen: a socket, an interface, or a file
 * read from a pipe or standard input, which another program may still be
 * writing. What is made of them should leave per batch, not per buffer. */
int vx_source_streaming(const struct vx_source *s);
/* True when timestamps carry nanoseconds (pcapng/pcap-ns files). */
int vx_source_nanosecond(const struct vx_source *s);
/* The last error, or the warning left at EOF (e.g. a record cut by the end of
 * the file); "" when there is none. */
const char *vx_source_error(const struct vx_source *s);
void vx_source_stats(struct vx_source *s, struct vx_source_stats *out);
void vx_source_close(struct vx_source *s);

/* Map a libpcap DLT_* value to our link type; -1 if unsupported. */
int vx_link_from_dlt(int dlt);

#endif
