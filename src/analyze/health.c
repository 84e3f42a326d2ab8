/* health — a TCP listener that accepts and closes health-check connections
 * (see vxtap/health.h).
 *
 * One thread polls the listening socket and a pipe; closing writes to the
 * pipe, so the thread ends at once without a timeout to wait out. The
 * thread blocks every signal: SIGTERM and friends go to the main thread,
 * whose receive loop is the one that must see them.
 */
#include "vxtap/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vx_health {
	int fd;
	int wake[2]; /* closing writes to wake[1] */
	uint16_t port;
	pthread_t thread;
	_Atomic uint64_t checks;
	_Atomic uint64_t accept_errors;
};

/* Accept everything queued, closing each connection: the completed
 * handshake was the answer. */
static void drain(struct vx_health *h)
{
	for (;;) {
		int c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);

		if (c >= 0) {
			close(c);
			atomic_fetch_add_explicit(&h->checks, 1, memory_order_relaxed);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue; /* ECONNABORTED: the checker gave up before we took it */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* Out of descriptors or memory: the connection stays queued.
		 * Count it and back off instead of spinning on it. */
		atomic_fetch_add_explicit(&h->accept_errors, 1, memory_order_relaxed);
		struct pollfd p = {.fd = h->wake[0], .events = POLLIN};
		(void)poll(&p, 1, 100);
		return;
	}
}

static void *health_main(void *arg)
{
	struct vx_health *h = arg;
	struct pollfd p[2] = {
	    {.fd = h->fd, .events = POLLIN},
	    {.fd = h->wake[0], .events = POLLIN},
	};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents)
			drain(h);
	}
	return NULL;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" for messages. */
static void format_addr(const struct sockaddr_storage *ss, uint16_t port, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, host,
		          sizeof(host));
		snprintf(out, len, "[%s]:%u", host, port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, host, sizeof(host));
		snprintf(out, len, "%s:%u", host, port);
	}
}

struct vx_health *vx_health_open(const struct sockaddr *addr, socklen_t addrlen, uint16_t port,
                                 char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	char where[INET6_ADDRSTRLEN + 16];
	int one = 1, zero = 0;

	if (addrlen > sizeof(ss) || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return NULL;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, addr, addrlen);
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	format_addr(&ss, port, where, sizeof(where));

	struct vx_health *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "%s (TCP): out of memory", where);
		return NULL;
	}
	h->wake[0] = h->wake[1] = -1;
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		snprintf(err, errlen, "%s (TCP): socket: %s", where, strerror(errno));
		goto fail;
	}
	/* "::" answers IPv4 checks too, as the UDP listener beside it receives
	 * IPv4 datagrams. */
	if (ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr))
		(void)setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* SO_REUSEADDR: a restarted analyzer binds at once, despite connections
	 * of its predecessor in TIME_WAIT. SO_REUSEPORT: as on the UDP port,
	 * analyzers sharing the port all answer, so the member stays healthy
	 * while any of them runs. */
	(void)setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	(void)setsockopt(h->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&ss, addrlen) < 0) {
		snprintf(err, errlen, "%s (TCP): bind: %s", where, strerror(errno));
		goto fail;
	}
	if (listen(h->fd, SOMAXCONN) < 0) {
		snprintf(err, errlen, "%s (TCP): listen: %s", where, strerror(errno));
		goto fail;
	}
	socklen_t len = sizeof(ss);
	if (getsockname(h->fd, (struct sockaddr *)&ss, &len) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                         : ((struct sockaddr_in *)&ss)->sin_port);
	if (pipe2(h->wake, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s (TCP): pipe: %s", where, strerror(errno));
		goto fail;
	}

	/* The thread inherits the mask in force at its creation. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&h->thread, NULL, health_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "%s (TCP): cannot start its thread: %s", where, strerror(rc));
		goto fail;
	}
	return h;
fail:
	if (h->fd >= 0)
		close(h->fd);
	if (h->wake[0] >= 0) {
		close(h->wake[0]);
		close(h->wake[1]);
	}
	free(h);
	return NULL;
}

uint16_t vx_health_port(const struct vx_health *h)
{
	return h->port;
}

void vx_health_stats(const struct vx_health *h, struct vx_health_stats *out)
{
	out->checks = atomic_load_explicit(&h->checks, memory_order_relaxed);
	out->accept_errors = atomic_load_explicit(&h->accept_errors, memory_order_relaxed);
}

void vx_health_close(struct vx_health *h)
{
	if (!h)
		return;
	/* A full pipe cannot happen: this is its only write. */
	while (write(h->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(h->thread, NULL);
	close(h->fd);
	close(h->wake[0]);
	close(h->wake[1]);
	free(h);
}
