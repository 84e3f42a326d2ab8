/* Next hops over rtnetlink (see vxtap/nexthop.h). Not on the packet path:
 * called when a plan is built and when next hops are refreshed. */
#include "vxtap/nexthop.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define NL_BUF 32768

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = 1};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The route to dst: outgoing interface and next hop (the gateway, or dst
 * itself on a connected network). */
static int route_get(int fd, const uint8_t dst[4], int *oif, uint8_t via[4], char *why,
		     size_t whylen)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		struct rtattr dst_attr;
		uint8_t dst[4];
	} req = {
		.nh = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETROUTE,
		       .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1},
		.rt = {.rtm_family = AF_INET, .rtm_dst_len = 32},
		.dst_attr = {.rta_len = RTA_LENGTH(4), .rta_type = RTA_DST},
	};
	memcpy(req.dst, dst, 4);
	if (send(fd, &req, sizeof(req), 0) < 0) {
		snprintf(why, whylen, "route request: %s", strerror(errno));
		return -1;
	}
	static __thread uint8_t buf[NL_BUF];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		snprintf(why, whylen, "route reply: %s", strerror(errno));
		return -1;
	}
	*oif = 0;
	memcpy(via, dst, 4);
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			snprintf(why, whylen, "no route: %s", strerror(-e->error));
			return -1;
		}
		if (h->nlmsg_type != RTM_NEWROUTE)
			continue;
		const struct rtmsg *rt = NLMSG_DATA(h);
		if (rt->rtm_type != RTN_UNICAST) {
			snprintf(why, whylen, "the route is not unicast (type %u)", rt->rtm_type);
			return -1;
		}
		int len = (int)RTM_PAYLOAD(h);
		for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= 4)
				memcpy(oif, RTA_DATA(a), 4);
			else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == 4)
				memcpy(via, RTA_DATA(a), 4);
		}
	}
	if (!*oif) {
		snprintf(why, whylen, "the route names no interface");
		return -1;
	}
	return 0;
}

/* The neighbour entry of `via` on `oif`, if it is usable. */
static int neigh_get(int fd, int oif, const uint8_t via[4], uint8_t mac[6], char *why,
		     size_t whylen)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req = {
		.nh = {.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETNEIGH,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 2},
		.nd = {.ndm_family = AF_INET, .ndm_ifindex = oif},
	};
	if (send(fd, &req, sizeof(req), 0) < 0) {
		snprintf(why, whylen, "neighbour request: %s", strerror(errno));
		return -1;
	}
	static __thread uint8_t buf[NL_BUF];
	bool found = false;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			snprintf(why, whylen, "neighbour reply: %s", strerror(errno));
			return -1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto done;
			if (h->nlmsg_type == NLMSG_ERROR) {
				snprintf(why, whylen, "neighbour table: error");
				return -1;
			}
			if (h->nlmsg_type != RTM_NEWNEIGH || found)
				continue;
			const struct ndmsg *nd = NLMSG_DATA(h);
			const uint16_t usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
						NUD_PERMANENT;
			if (nd->ndm_ifindex != oif || !(nd->ndm_state & usable))
				continue;
			const uint8_t *dst = NULL, *ll = NULL;
			int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
			for (struct rtattr *a = (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd)));
			     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4)
					dst = RTA_DATA(a);
				else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6)
					ll = RTA_DATA(a);
			}
			if (dst && ll && !memcmp(dst, via, 4)) {
				memcpy(mac, ll, 6);
				found = true;
			}
		}
	}
done:
	if (!found)
		snprintf(why, whylen, "no usable neighbour entry for the next hop yet");
	return found ? 0 : -1;
}

int vx_nexthop_resolve(const uint8_t dst[4], struct vx_nexthop *out, char *why, size_t whylen)
{
	int fd = nl_open();
	if (fd < 0) {
		snprintf(why, whylen, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	uint8_t via[4];
	struct vx_nexthop nh = {0};
	int rc = route_get(fd, dst, &nh.ifindex, via, why, whylen);
	if (rc == 0) {
		struct ifreq ifr = {0};
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || !if_indextoname((unsigned)nh.ifindex, ifr.ifr_name) ||
		    ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
			snprintf(why, whylen, "the interface's address: %s", strerror(errno));
			rc = -1;
		} else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
			snprintf(why, whylen, "%s is not an Ethernet interface", ifr.ifr_name);
			rc = -1;
		} else {
			memcpy(nh.src_mac, ifr.ifr_hwaddr.sa_data, 6);
			/* The agent checks its copies against it: frames of
			 * its transmit ring skip the kernel's check. */
			if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
				nh.mtu = ifr.ifr_mtu;
		}
		if (s >= 0)
			close(s);
	}
	if (rc == 0)
		rc = neigh_get(fd, nh.ifindex, via, nh.dst_mac, why, whylen);
	close(fd);
	if (rc == 0)
		*out = nh;
	return rc;
}
