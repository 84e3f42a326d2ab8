#include "testutil.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tf_reset(struct tframe *f)
{
	f->len = 0;
}

void tf_bytes(struct tframe *f, const void *p, size_t n)
{
	size_t room = f->len < sizeof(f->b) ? sizeof(f->b) - f->len : 0;
	if (n > room)
		n = room;
	if (n == 0) /* p may be NULL then, and memcpy must not see it */
		return;
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

void tf_u8(struct tframe *f, uint8_t v)
{
	tf_bytes(f, &v, 1);
}

void tf_be16(struct tframe *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	tf_bytes(f, b, 2);
}

void tf_be32(struct tframe *f, uint32_t v)
{
	tf_be16(f, (uint16_t)(v >> 16));
	tf_be16(f, (uint16_t)v);
}

void tf_eth(struct tframe *f, uint16_t ethertype)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
	tf_bytes(f, macs, sizeof(macs));
	tf_be16(f, ethertype);
}

void tf_ipv4(struct tframe *f, const char *src, const char *dst, uint8_t proto, uint16_t plen)
{
	uint8_t a[4], b[4];
	inet_pton(AF_INET, src, a);
	inet_pton(AF_INET, dst, b);
	tf_u8(f, 0x45);
	tf_u8(f, 0);
	tf_be16(f, (uint16_t)(20 + plen));
	tf_be16(f, 1);      /* id */
	tf_be16(f, 0x4000); /* DF */
	tf_u8(f, 64);
	tf_u8(f, proto);
	tf_be16(f, 0); /* checksum: not checked by the decoder */
	tf_bytes(f, a, 4);
	tf_bytes(f, b, 4);
}

void tf_ipv6(struct tframe *f, const char *src, const char *dst, uint8_t next, uint16_t plen)
{
	uint8_t a[16], b[16];
	inet_pton(AF_INET6, src, a);
	inet_pton(AF_INET6, dst, b);
	tf_be32(f, 0x60000000);
	tf_be16(f, plen);
	tf_u8(f, next);
	tf_u8(f, 64);
	tf_bytes(f, a, 16);
	tf_bytes(f, b, 16);
}

void tf_tcp(struct tframe *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
	    uint8_t flags)
{
	tf_be16(f, sport);
	tf_be16(f, dport);
	tf_be32(f, seq);
	tf_be32(f, ack);
	tf_u8(f, 5 << 4);
	tf_u8(f, flags);
	tf_be16(f, 65535);
	tf_be16(f, 0);
	tf_be16(f, 0);
}

void tf_udp(struct tframe *f, uint16_t sport, uint16_t dport, uint16_t plen)
{
	tf_be16(f, sport);
	tf_be16(f, dport);
	tf_be16(f, (uint16_t)(8 + plen));
	tf_be16(f, 0);
}

void tf_vxlan(struct tframe *f, uint32_t vni)
{
	tf_be32(f, 0x08000000);
	tf_be32(f, vni << 8);
}

void tf_tcp4_frame(struct tframe *f, const char *src, uint16_t sport, const char *dst,
		   uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const void *payload,
		   size_t plen)
{
	tf_reset(f);
	tf_eth(f, 0x0800);
	tf_ipv4(f, src, dst, 6, (uint16_t)(20 + plen));
	tf_tcp(f, sport, dport, seq, ack, flags);
	tf_bytes(f, payload, plen);
}

int tu_tmp_make(char *dir, size_t len, const char *test)
{
	snprintf(dir, len, "/tmp/vxtap-test-%s-XXXXXX", test);
	return mkdtemp(dir) ? 0 : -1;
}

void tu_tmp_path(const char *dir, char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

int tu_tmp_remove(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}
