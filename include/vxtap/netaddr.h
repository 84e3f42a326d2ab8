/* Addresses and CIDR blocks as users write them, parsed and checked. */
#ifndef VXTAP_NETADDR_H
#define VXTAP_NETADDR_H

#include <stddef.h>
#include <stdint.h>

struct vx_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* 0-32 or 0-128 */
	uint8_t addr[16];
};

/* Parse "a.b.c.d" or an IPv6 address: 0, or -1 when it is not one. */
int vx_addr_parse(const char *s, uint8_t *family, uint8_t addr[16]);

/* Parse "addr/len". The address must be the network address (no host bits):
 * on -1, why (when not NULL) says what is wrong, e.g. "host bits are set
 * (the network is 10.0.0.0/16)". */
int vx_cidr_parse(const char *s, struct vx_cidr *out, char *why, size_t whylen);

/* Parse "addr/len" as vx_cidr_parse does, but clear host bits instead of
 * refusing them (10.0.0.1/16 is 10.0.0.0/16), as AWS does with the CIDR
 * blocks of security-group rules. */
int vx_cidr_canonical(const char *s, struct vx_cidr *out, char *why, size_t whylen);

/* "addr/len" (IPv6 in its canonical text form). */
void vx_cidr_format(const struct vx_cidr *c, char *out, size_t len);

/* Whether addr (of the CIDR's family) lies inside it. */
int vx_cidr_contains(const struct vx_cidr *c, const uint8_t *addr);

#endif
