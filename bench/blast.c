/*
 * vxtap-blast — UDP traffic generator for the mirroring benchmark (bench/mirror.sh).
 *
 * Sends Ethernet/IPv4/UDP frames of one size through an AF_PACKET socket on one
 * interface, as fast as one thread can (or at --rate packets per second), for a
 * fixed time. The source port cycles over --flows values so that the packets
 * belong to that many flows. Frames are handed straight to the driver
 * (PACKET_QDISC_BYPASS) in batches of 64 with sendmmsg.
 *
 * At the end it prints one line of key=value pairs: packets sent, wall and CPU
 * seconds of the sending loop (CPU includes the softirq work the kernel did in
 * this thread's context, on kernels without IRQ time accounting), send errors.
 *
 * With --sink PORT it instead binds a UDP socket on PORT with the smallest
 * receive buffer and never reads it, so the receiving host drops the packets at
 * the socket without answering with ICMP; it runs until a signal stops it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH     64
#define FRAME_MIN 60u   /* Ethernet minimum without the FCS */
#define FRAME_MAX 1514u /* 1500-byte MTU */
#define HDRS      42u   /* Ethernet 14 + IPv4 20 + UDP 8 */

struct opts {
	const char *dev, *dst_mac, *src, *dst;
	unsigned port, size, flows, sink;
	double seconds, rate;
};

static void usage(FILE *f)
{
	fputs("usage: vxtap-blast --dev IF --dst-mac MAC --src IP --dst IP [--port N]\n"
	      "                   [--size BYTES] [--seconds S] [--rate PPS] [--flows N]\n"
	      "       vxtap-blast --sink PORT\n"
	      "\n"
	      "Sends UDP frames of --size bytes (Ethernet header to end of payload,\n"
	      "default 64, 60-1514) from IF to MAC/IP:PORT (default port 9) for --seconds\n"
	      "(default 5), as fast as possible or at --rate packets/s; the source port\n"
	      "cycles over --flows values (default 1024). Prints\n"
	      "  sent=N seconds=WALL cpu=CPU errors=E\n"
	      "--sink PORT binds UDP PORT, never reads it, and waits for a signal.\n",
	      f);
}

static double now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static bool parse_uint(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool parse_pos(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0))
		return false;
	*out = v;
	return true;
}

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int sink(unsigned port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int small = 1; /* the kernel rounds it up to its minimum */
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vxtap-blast: sink on UDP %u: %s\n", port, strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	close(fd);
	return 0;
}

static int blast(const struct opts *o)
{
	uint8_t dmac[6], smac[6];
	struct in_addr src, dst;
	if (parse_mac(o->dst_mac, dmac) < 0 || inet_pton(AF_INET, o->src, &src) != 1 ||
	    inet_pton(AF_INET, o->dst, &dst) != 1) {
		fprintf(stderr, "vxtap-blast: bad --dst-mac, --src or --dst\n");
		return 2;
	}
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "vxtap-blast: socket(AF_PACKET): %s\n", strerror(errno));
		return 1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "vxtap-blast: %s: %s\n", o->dev, strerror(errno));
		return 1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = (int)if_nametoindex(o->dev)};
	int one = 1;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "vxtap-blast: bind %s: %s\n", o->dev, strerror(errno));
		return 1;
	}
	/* Straight to the driver; without it the frames pass the (empty) qdisc. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));

	/* One frame per batch slot; only the UDP source port changes. */
	static uint8_t frames[BATCH][FRAME_MAX];
	static struct iovec iov[BATCH];
	static struct mmsghdr msgs[BATCH];
	uint8_t proto[FRAME_MAX];
	memset(proto, 0, sizeof(proto));
	memcpy(proto, dmac, 6);
	memcpy(proto + 6, smac, 6);
	put16(proto + 12, ETHERTYPE_IP);
	uint8_t *ip = proto + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(o->size - 14));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, ip_checksum(ip, 20));
	uint8_t *udp = ip + 20;
	put16(udp + 2, (uint16_t)o->port);
	put16(udp + 4, (uint16_t)(o->size - 34));
	/* UDP checksum 0: none, as IPv4 allows. */
	for (unsigned i = HDRS; i < o->size; i++)
		proto[i] = (uint8_t)i;
	for (int i = 0; i < BATCH; i++) {
		memcpy(frames[i], proto, o->size);
		iov[i] = (struct iovec){frames[i], o->size};
		msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
	}

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	uint64_t sent = 0, errors = 0, seq = 0;
	double t0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	double end = t0 + o->seconds, t = t0;
	while (!stop && t < end) {
		for (int i = 0; i < BATCH; i++, seq++)
			put16(frames[i] + 34, (uint16_t)(10000 + seq % o->flows));
		int done = 0;
		while (done < BATCH) {
			int r = sendmmsg(fd, msgs + done, (unsigned)(BATCH - done), 0);
			if (r > 0) {
				done += r;
				continue;
			}
			if (r < 0 && errno == EINTR) {
				if (stop)
					break;
				continue;
			}
			/* The driver would not take one (ENOBUFS and the like):
			 * count it and go on with the next. */
			errors++;
			done++;
		}
		sent += (uint64_t)done;
		t = now_s(CLOCK_MONOTONIC);
		if (o->rate > 0) {
			double due = t0 + (double)sent / o->rate;
			if (due > t) {
				double whole = (double)(time_t)due;
				struct timespec ts = {.tv_sec = (time_t)due,
						      .tv_nsec = (long)((due - whole) * 1e9)};
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				t = now_s(CLOCK_MONOTONIC);
			}
		}
	}
	double cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("sent=%" PRIu64 " seconds=%.6f cpu=%.6f errors=%" PRIu64 "\n", sent - errors, t - t0,
	       cpu, errors);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.port = 9, .size = 64, .flows = 1024, .seconds = 5};
	static const struct option longopts[] = {
		{"dev", required_argument, NULL, 'd'},
		{"dst-mac", required_argument, NULL, 'm'},
		{"src", required_argument, NULL, 's'},
		{"dst", required_argument, NULL, 't'},
		{"port", required_argument, NULL, 'p'},
		{"size", required_argument, NULL, 'z'},
		{"seconds", required_argument, NULL, 'S'},
		{"rate", required_argument, NULL, 'r'},
		{"flows", required_argument, NULL, 'f'},
		{"sink", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	bool ok = true;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dev = optarg;
			break;
		case 'm':
			o.dst_mac = optarg;
			break;
		case 's':
			o.src = optarg;
			break;
		case 't':
			o.dst = optarg;
			break;
		case 'p':
			ok = parse_uint(optarg, 65535, &o.port) && ok;
			break;
		case 'z':
			ok = parse_uint(optarg, FRAME_MAX, &o.size) && o.size >= FRAME_MIN && ok;
			break;
		case 'f':
			ok = parse_uint(optarg, 65535 - 10000, &o.flows) && o.flows > 0 && ok;
			break;
		case 'k':
			ok = parse_uint(optarg, 65535, &o.sink) && o.sink > 0 && ok;
			break;
		case 'S':
			ok = parse_pos(optarg, &o.seconds) && ok;
			break;
		case 'r':
			ok = parse_pos(optarg, &o.rate) && ok;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!ok || optind != argc) {
		fprintf(stderr, "vxtap-blast: bad arguments\n");
		usage(stderr);
		return 2;
	}
	if (o.sink)
		return sink(o.sink);
	if (!o.dev || !o.dst_mac || !o.src || !o.dst) {
		fprintf(stderr, "vxtap-blast: --dev, --dst-mac, --src and --dst are required\n");
		usage(stderr);
		return 2;
	}
	return blast(&o);
}
