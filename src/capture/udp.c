/* udp — receive VXLAN datagrams on a UDP socket, as a load balancer's target
 * does. No root needed.
 *
 * A batch is one recvmmsg() into slots allocated at open; poll() is only
 * called when the socket was empty, so a busy socket costs one system call
 * per batch. Each datagram carries its kernel receive time (SO_TIMESTAMPNS)
 * and the socket's cumulative drop counter (SO_RXQ_OVFL).
 */
#include "source_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define UDP_SLOTS     64
#define UDP_SLOT_SIZE 65536u

/* Room for one timestamp and one drop counter per datagram. */
#define UDP_CMSG_SPACE (CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)))

struct udp_source {
	struct vx_source base;
	int fd;
	int port;
	struct sockaddr_storage addr; /* bound address, for a health-check listener beside it */
	socklen_t addrlen;
	uint32_t slot_size;
	uint8_t *bufs;
	struct mmsghdr msgs[UDP_SLOTS];
	struct iovec iov[UDP_SLOTS];
	struct sockaddr_storage from[UDP_SLOTS]; /* each datagram's sender */
	union {
		char buf[UDP_CMSG_SPACE];
		struct cmsghdr align;
	} ctl[UDP_SLOTS];
};

static int udp_recv(struct udp_source *u, int n)
{
	for (int i = 0; i < n; i++) {
		/* The kernel overwrites these on every receive. */
		u->msgs[i].msg_hdr.msg_controllen = sizeof(u->ctl[i].buf);
		u->msgs[i].msg_hdr.msg_namelen = sizeof(u->from[i]);
		u->msgs[i].msg_hdr.msg_flags = 0;
	}
	/* MSG_TRUNC: msg_len is the datagram's real length even when it was
	 * longer than the slot. */
	return recvmmsg(u->fd, u->msgs, (unsigned)n, MSG_DONTWAIT | MSG_TRUNC, NULL);
}

/* The sender's IPv4 address, also when an IPv6 socket received it as an
 * IPv4-mapped address; 0 otherwise. */
static uint32_t sender_ipv4(const struct sockaddr_storage *ss, socklen_t len)
{
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr;
	if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			uint32_t v;
			memcpy(&v, &a->s6_addr[12], 4);
			return v;
		}
	}
	return 0;
}

static int udp_next(struct vx_source *s, struct vx_frame *frames, int max, int timeout_ms)
{
	struct udp_source *u = (struct udp_source *)s;
	int n = max > UDP_SLOTS ? UDP_SLOTS : max;
	struct timespec now;
	int have_now = 0;
	int rc;

	rc = udp_recv(u, n);
	if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		char what[32];

		snprintf(what, sizeof(what), "udp port %d", u->port);
		rc = vx_source_wait(s, u->fd, timeout_ms, what);
		if (rc != 0)
			return rc;
		rc = udp_recv(u, n);
	}
	if (rc < 0) {
		/* A signal, or a wake-up another receiver on the port won. */
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return VX_SOURCE_TIMEOUT;
		vx_source_seterr(s, "udp port %d: recvmmsg: %s", u->port, strerror(errno));
		return VX_SOURCE_ERROR;
	}

	for (int i = 0; i < rc; i++) {
		struct msghdr *mh = &u->msgs[i].msg_hdr;
		uint32_t len = u->msgs[i].msg_len;
		int have_ts = 0;

		for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_TIMESTAMPNS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				frames[i].ts = vx_time_make(ts.tv_sec, ts.tv_nsec);
				have_ts = 1;
			} else if (c->cmsg_type == SO_RXQ_OVFL &&
			           c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
				uint32_t drops;

				/* Cumulative since the socket opened: keep the latest. */
				memcpy(&drops, CMSG_DATA(c), sizeof(drops));
				s->stats.kernel_drops = drops;
			}
		}
		if (!have_ts) {
			if (!have_now) {
				clock_gettime(CLOCK_REALTIME, &now);
				have_now = 1;
			}
			frames[i].ts = vx_time_make(now.tv_sec, now.tv_nsec);
		}
		frames[i].data = u->iov[i].iov_base;
		frames[i].wirelen = len;
		frames[i].caplen = len;
		frames[i].sender_ipv4 = sender_ipv4(&u->from[i], mh->msg_namelen);
		if ((mh->msg_flags & MSG_TRUNC) || len > u->slot_size) {
			frames[i].caplen = u->slot_size;
			s->stats.oversize++;
		}
	}
	return rc > 0 ? rc : VX_SOURCE_TIMEOUT;
}

static void udp_close(struct vx_source *s)
{
	struct udp_source *u = (struct udp_source *)s;

	if (u->fd >= 0)
		close(u->fd);
	free(u->bufs);
	free(u);
}

static const struct vx_source_ops udp_ops = {
    .next = udp_next,
    .stats = NULL,
    .close = udp_close,
};

/* Parse "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT". *any is set for ":PORT",
 * which listens on every address of both families. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen, int *any,
                        char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port, *colon;
	size_t hlen;
	unsigned long p = 0;

	memset(ss, 0, sizeof(*ss));
	*any = 0;
	if (listen[0] == '[') {
		const char *close_br = strchr(listen, ']');

		if (!close_br || close_br[1] != ':') {
			snprintf(err, errlen, "bad listen address \"%s\": expected [V6ADDR]:PORT",
			         listen);
			return -1;
		}
		hlen = (size_t)(close_br - listen - 1);
		if (hlen >= sizeof(host))
			goto bad_addr;
		memcpy(host, listen + 1, hlen);
		host[hlen] = '\0';
		port = close_br + 2;
	} else {
		colon = strrchr(listen, ':');
		if (!colon) {
			snprintf(err, errlen,
			         "bad listen address \"%s\": expected ADDR:PORT, [V6ADDR]:PORT "
			         "or :PORT",
			         listen);
			return -1;
		}
		if (strchr(listen, ':') != colon) {
			snprintf(err, errlen,
			         "bad listen address \"%s\": put an IPv6 address in brackets, "
			         "as in [::1]:4789",
			         listen);
			return -1;
		}
		hlen = (size_t)(colon - listen);
		if (hlen >= sizeof(host))
			goto bad_addr;
		memcpy(host, listen, hlen);
		host[hlen] = '\0';
		port = colon + 1;
		*any = hlen == 0;
	}

	if (port[0] == '\0' || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
	    (p = strtoul(port, NULL, 10)) > 65535) {
		snprintf(err, errlen, "bad port \"%s\" in listen address \"%s\": expected 0-65535",
		         port, listen);
		return -1;
	}

	if (*any) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*s6);
	} else if (listen[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad_addr;
		*sslen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad_addr;
		*sslen = sizeof(*s4);
	}
	return 0;
bad_addr:
	snprintf(err, errlen, "bad address in listen address \"%s\": expected a numeric %s address",
	         listen, listen[0] == '[' ? "IPv6" : "IPv4");
	return -1;
}

static void set_rcvbuf(struct udp_source *u, const char *listen, int rcvbuf)
{
	int got = 0;
	socklen_t len = sizeof(got);

	/* SO_RCVBUFFORCE passes net.core.rmem_max but needs CAP_NET_ADMIN;
	 * without it SO_RCVBUF gives as much as the limit allows. */
	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* The kernel reports twice what it grants (bookkeeping overhead). */
	if (getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 < rcvbuf)
		vx_source_seterr(&u->base,
		                 "%s: receive buffer is %d bytes, not the %d asked for "
		                 "(raise net.core.rmem_max or run with CAP_NET_ADMIN)",
		                 listen, got / 2, rcvbuf);
}

struct vx_source *vx_source_open_udp_slots(const char *listen, int rcvbuf, uint32_t slot_size,
                                           char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct udp_source *u;
	int any, one = 1, zero = 0;

	if (!listen) {
		snprintf(err, errlen, "no listen address given: expected ADDR:PORT");
		return NULL;
	}
	if (slot_size == 0 || slot_size > UDP_SLOT_SIZE)
		slot_size = UDP_SLOT_SIZE;
	if (parse_listen(listen, &ss, &sslen, &any, err, errlen) < 0)
		return NULL;

	u = calloc(1, sizeof(*u));
	if (!u || !(u->bufs = malloc((size_t)UDP_SLOTS * slot_size))) {
		snprintf(err, errlen, "%s: out of memory", listen);
		free(u);
		return NULL;
	}
	vx_source_init(&u->base, &udp_ops, VX_SOURCE_UDP);
	u->base.link = VX_LINK_VXLAN;
	u->base.nanosecond = 1;
	u->slot_size = slot_size;

	u->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->fd < 0 && any && errno == EAFNOSUPPORT) {
		/* No IPv6 on this host: all IPv4 addresses then. */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = port;
		sslen = sizeof(*s4);
		any = 0;
		u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	if (u->fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", listen, strerror(errno));
		goto fail;
	}
	if (any && setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0) {
		snprintf(err, errlen, "%s: IPV6_V6ONLY: %s", listen, strerror(errno));
		goto fail;
	}
	if (setsockopt(u->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "%s: SO_REUSEPORT: %s", listen, strerror(errno));
		goto fail;
	}
	if (rcvbuf > 0)
		set_rcvbuf(u, listen, rcvbuf);
	/* Both are best effort: without them drops are not counted and the
	 * batch's clock time stands in for the receive time. */
	(void)setsockopt(u->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	(void)setsockopt(u->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (bind(u->fd, (struct sockaddr *)&ss, sslen) < 0) {
		snprintf(err, errlen, "%s: bind: %s", listen, strerror(errno));
		goto fail;
	}
	sslen = sizeof(ss);
	if (getsockname(u->fd, (struct sockaddr *)&ss, &sslen) < 0) {
		snprintf(err, errlen, "%s: getsockname: %s", listen, strerror(errno));
		goto fail;
	}
	u->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                         : ((struct sockaddr_in *)&ss)->sin_port);
	u->addr = ss;
	u->addrlen = sslen;

	for (int i = 0; i < UDP_SLOTS; i++) {
		u->iov[i].iov_base = u->bufs + (size_t)i * slot_size;
		u->iov[i].iov_len = slot_size;
		u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
		u->msgs[i].msg_hdr.msg_iovlen = 1;
		u->msgs[i].msg_hdr.msg_control = u->ctl[i].buf;
		u->msgs[i].msg_hdr.msg_controllen = sizeof(u->ctl[i].buf);
		u->msgs[i].msg_hdr.msg_name = &u->from[i];
		u->msgs[i].msg_hdr.msg_namelen = sizeof(u->from[i]);
	}
	return &u->base;
fail:
	udp_close(&u->base);
	return NULL;
}

struct vx_source *vx_source_open_udp(const char *listen, int rcvbuf, char *err, size_t errlen)
{
	return vx_source_open_udp_slots(listen, rcvbuf, 0, err, errlen);
}

void vx_source_udp_geneve(struct vx_source *s)
{
	if (s->kind == VX_SOURCE_UDP)
		s->link = VX_LINK_GENEVE;
}

int vx_source_udp_port(const struct vx_source *s)
{
	if (s->kind != VX_SOURCE_UDP)
		return -1;
	return ((const struct udp_source *)s)->port;
}

int vx_source_udp_address(const struct vx_source *s, struct sockaddr_storage *ss, socklen_t *len)
{
	if (s->kind != VX_SOURCE_UDP)
		return -1;
	*ss = ((const struct udp_source *)s)->addr;
	*len = ((const struct udp_source *)s)->addrlen;
	return 0;
}
