/* Address and CIDR parsing for the control plane. */
#include "vxtap/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vx_addr_parse(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, addr) != 1)
			return -1;
		*family = 6;
		return 0;
	}
	if (inet_pton(AF_INET, s, addr) != 1)
		return -1;
	*family = 4;
	return 0;
}

int vx_cidr_parse(const char *s, struct vx_cidr *out, char *why, size_t whylen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf)) {
		if (why)
			snprintf(why, whylen, "a CIDR block is an address, '/', a prefix length");
		return -1;
	}
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (vx_addr_parse(buf, &out->family, out->addr) < 0) {
		if (why)
			snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	unsigned max = out->family == 4 ? 32 : 128;
	const char *p = slash + 1;
	char *end;
	unsigned long len = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || *end || len > max || (p[0] == '0' && p[1])) {
		if (why)
			snprintf(why, whylen, "the prefix length must be 0-%u", max);
		return -1;
	}
	out->prefix = (uint8_t)len;
	/* Host bits must be zero: a rule that says 10.0.0.1/16 is probably a typo. */
	uint8_t net[16];
	memcpy(net, out->addr, 16);
	for (unsigned bit = len; bit < max; bit++)
		net[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	if (memcmp(net, out->addr, 16)) {
		if (why) {
			char txt[INET6_ADDRSTRLEN];
			inet_ntop(out->family == 4 ? AF_INET : AF_INET6, net, txt, sizeof(txt));
			snprintf(why, whylen, "host bits are set (the network is %s/%lu)", txt, len);
		}
		return -1;
	}
	return 0;
}

int vx_cidr_contains(const struct vx_cidr *c, const uint8_t *addr)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(c->addr, addr, full))
		return 0;
	if (!rest)
		return 1;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (c->addr[full] & mask) == (addr[full] & mask);
}

int vx_cidr_canonical(const char *s, struct vx_cidr *out, char *why, size_t whylen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf)) {
		if (why)
			snprintf(why, whylen, "a CIDR block is an address, '/', a prefix length");
		return -1;
	}
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	struct vx_cidr tmp;
	if (vx_addr_parse(buf, &tmp.family, tmp.addr) < 0) {
		if (why)
			snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	unsigned max = tmp.family == 4 ? 32 : 128;
	const char *p = slash + 1;
	char *end;
	unsigned long len = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || *end || len > max || (p[0] == '0' && p[1])) {
		if (why)
			snprintf(why, whylen, "the prefix length must be 0-%u", max);
		return -1;
	}
	for (unsigned bit = len; bit < max; bit++)
		tmp.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	tmp.prefix = (uint8_t)len;
	*out = tmp;
	return 0;
}

void vx_cidr_format(const struct vx_cidr *c, char *out, size_t len)
{
	char txt[INET6_ADDRSTRLEN];
	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, txt, sizeof(txt));
	snprintf(out, len, "%s/%u", txt, c->prefix);
}
