/* health — answer a load balancer's TCP health checks on an analyzer.
 *
 * The agent (and an AWS Network Load Balancer) counts a member as healthy
 * while a TCP connection to its health-check port succeeds. The listener
 * accepts each connection and closes it at once, on a thread of its own so
 * that the packet path never waits for it. Closing the listener makes the
 * checks fail, which moves the member's flows elsewhere.
 */
#ifndef VXTAP_HEALTH_H
#define VXTAP_HEALTH_H

#include <stdint.h>
#include <sys/socket.h>

struct vx_health_stats {
	uint64_t checks;        /* connections accepted and closed */
	uint64_t accept_errors; /* accept() failures other than a check given up by its sender */
};

struct vx_health;

/* Listen on TCP port (0: a free port, see vx_health_port) of the address
 * in addr (its port is ignored; "::" also takes IPv4) and start answering.
 * On failure returns NULL and writes a one-line reason naming the address
 * into err. */
struct vx_health *vx_health_open(const struct sockaddr *addr, socklen_t addrlen, uint16_t port,
                                 char *err, size_t errlen);
/* The TCP port listened on. */
uint16_t vx_health_port(const struct vx_health *h);
void vx_health_stats(const struct vx_health *h, struct vx_health_stats *out);
/* Stop answering (new checks are refused from here on) and free. */
void vx_health_close(struct vx_health *h);

#endif
