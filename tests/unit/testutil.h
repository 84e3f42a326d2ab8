/* Helpers shared by the unit tests: build frames byte by byte. */
#ifndef VXTAP_TESTUTIL_H
#define VXTAP_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A frame under construction. */
struct tframe {
	uint8_t b[16384];
	size_t len;
};

void tf_reset(struct tframe *f);
void tf_bytes(struct tframe *f, const void *p, size_t n);
void tf_u8(struct tframe *f, uint8_t v);
void tf_be16(struct tframe *f, uint16_t v);
void tf_be32(struct tframe *f, uint32_t v);

/* Ethernet header with the given ethertype (MACs fixed). */
void tf_eth(struct tframe *f, uint16_t ethertype);
/* IPv4 header (no options) for a payload of plen bytes; src/dst as "a.b.c.d". */
void tf_ipv4(struct tframe *f, const char *src, const char *dst, uint8_t proto, uint16_t plen);
/* IPv6 header for a payload of plen bytes. */
void tf_ipv6(struct tframe *f, const char *src, const char *dst, uint8_t next, uint16_t plen);
/* TCP header (20 bytes) followed by nothing. */
void tf_tcp(struct tframe *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
	    uint8_t flags);
/* UDP header for a payload of plen bytes. */
void tf_udp(struct tframe *f, uint16_t sport, uint16_t dport, uint16_t plen);
/* VXLAN header with the I flag and the VNI. */
void tf_vxlan(struct tframe *f, uint32_t vni);

/* A whole Ethernet/IPv4/TCP frame carrying payload. */
void tf_tcp4_frame(struct tframe *f, const char *src, uint16_t sport, const char *dst,
		   uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *payload,
		   size_t plen);

/* A scratch directory under /tmp for tests that write files: tu_tmp_make()
 * creates it (0 or -1), tu_tmp_path() names a file in it, tu_tmp_remove()
 * deletes it with its contents. */
int tu_tmp_make(char *dir, size_t len, const char *test);
void tu_tmp_path(const char *dir, char *buf, size_t len, const char *name);
int tu_tmp_remove(const char *dir);

#endif
