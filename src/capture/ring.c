/* AF_PACKET TPACKET_V3 capture ring (see vxtap/ring.h). */
#include "vxtap/ring.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

struct vx_ring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t block_size, block_count;
	uint32_t current;  /* next block to read */
	uint32_t held;     /* blocks handed out by the last call, released next time */
	uint32_t held_first;
	/* The block being read and where in it; a block may span several calls
	 * when it holds more frames than the caller's batch. */
	struct tpacket3_hdr *next_frame;
	uint32_t frames_left;
	uint64_t frames;
	uint64_t drops;
	int fanout_id; /* -1: not in a fanout group */
};

static struct tpacket_block_desc *block(struct vx_ring *r, uint32_t i)
{
	return (struct tpacket_block_desc *)(r->map + (size_t)i * r->block_size);
}

/* Drop, in the kernel, packets that carry the agent's mark. */
static int attach_mark_filter(int fd, uint32_t mark)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_MARK)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mark, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0x40000),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

struct vx_ring *vx_ring_open(const struct vx_ring_options *opt, char *err, size_t errlen)
{
	struct vx_ring *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", opt->ifname);
		return NULL;
	}
	r->fd = -1;
	r->fanout_id = -1;
	unsigned ifindex = if_nametoindex(opt->ifname);
	const char *step = "no such interface";
	if (!ifindex)
		goto fail;
	step = "socket(AF_PACKET)";
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* bound below: nothing queued yet */
	if (r->fd < 0)
		goto fail;
	/* The filter goes on before the bind so no marked packet slips in. */
	step = "attach the mark filter";
	if (opt->ignore_mark && attach_mark_filter(r->fd, opt->ignore_mark) < 0)
		goto fail;
	int version = TPACKET_V3;
	step = "PACKET_VERSION";
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0)
		goto fail;
	r->block_size = opt->block_size ? opt->block_size : 1u << 20;
	r->block_count = opt->block_count ? opt->block_count : 16;
	uint32_t snap = opt->snaplen ? opt->snaplen : 65535;
	uint32_t frame_size = TPACKET_ALIGN(TPACKET3_HDRLEN + snap);
	if (frame_size > r->block_size)
		r->block_size = (frame_size + 4095) & ~4095u;
	struct tpacket_req3 req = {
		.tp_block_size = r->block_size,
		.tp_block_nr = r->block_count,
		.tp_frame_size = frame_size,
		.tp_frame_nr = (r->block_size / frame_size) * r->block_count,
		.tp_retire_blk_tov = opt->retire_ms ? opt->retire_ms : 10,
		.tp_feature_req_word = 0,
	};
	step = "PACKET_RX_RING";
	if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		goto fail;
	r->map_len = (size_t)r->block_size * r->block_count;
	step = "mmap the ring";
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, r->fd, 0);
	if (r->map == MAP_FAILED) /* MAP_LOCKED may exceed RLIMIT_MEMLOCK: try without */
		r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		goto fail;
	}
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)ifindex,
	};
	step = "bind";
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	if (opt->fanout_group >= 0 || opt->fanout_group == VX_RING_FANOUT_NEW) {
		/* A new group gets an ID no other process uses (UNIQUEID), so two
		 * agents on one interface never share a group by accident. Fragments
		 * are reassembled for the hash so they follow their flow. */
		int flags = PACKET_FANOUT_FLAG_DEFRAG;
		int id = opt->fanout_group;
		if (id == VX_RING_FANOUT_NEW) {
			flags |= PACKET_FANOUT_FLAG_UNIQUEID;
			id = 0;
		}
		/* Built unsigned: the DEFRAG flag lands in the sign bit. */
		uint32_t word = ((uint32_t)id & 0xffff) | ((uint32_t)(PACKET_FANOUT_HASH | flags) << 16);
		int fanout;
		memcpy(&fanout, &word, sizeof(fanout));
		step = "PACKET_FANOUT";
		if (setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)) < 0)
			goto fail;
		socklen_t len = sizeof(fanout);
		if (getsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &fanout, &len) < 0)
			goto fail;
		r->fanout_id = fanout & 0xffff;
	}
	return r;
fail:
	snprintf(err, errlen, "%s: %s: %s", opt->ifname, step,
		 errno == EPERM ? "permission denied (capture needs root or CAP_NET_RAW)"
				: strerror(errno));
	vx_ring_close(r);
	return NULL;
}

/* Give the blocks read by the previous call back to the kernel. */
static void release_held(struct vx_ring *r)
{
	for (uint32_t k = 0; k < r->held; k++) {
		struct tpacket_block_desc *b = block(r, (r->held_first + k) % r->block_count);
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	}
	r->held = 0;
}

int vx_ring_next(struct vx_ring *r, struct vx_ring_frame *frames, int max, int timeout_ms)
{
	if (!r->frames_left)
		release_held(r);
	int n = 0;
	while (n < max) {
		if (!r->frames_left) {
			struct tpacket_block_desc *b = block(r, r->current);
			uint32_t status = __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
			if (!(status & TP_STATUS_USER)) {
				if (n > 0)
					break;
				struct pollfd pfd = {.fd = r->fd, .events = POLLIN | POLLERR};
				int p = poll(&pfd, 1, timeout_ms);
				if (p < 0)
					return errno == EINTR ? 0 : -1;
				status = __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
				if (!(status & TP_STATUS_USER))
					return 0;
			}
			if (!r->held)
				r->held_first = r->current;
			r->held++;
			r->current = (r->current + 1) % r->block_count;
			r->frames_left = b->hdr.bh1.num_pkts;
			r->next_frame = (struct tpacket3_hdr *)((uint8_t *)b +
								b->hdr.bh1.offset_to_first_pkt);
			if (!r->frames_left)
				continue;
		}
		struct tpacket3_hdr *h = r->next_frame;
		const struct sockaddr_ll *sll =
			(const struct sockaddr_ll *)((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));
		struct vx_ring_frame *f = &frames[n++];
		f->data = (const uint8_t *)h + h->tp_mac;
		f->caplen = h->tp_snaplen;
		f->wirelen = h->tp_len;
		f->ts.sec = h->tp_sec;
		f->ts.nsec = h->tp_nsec;
		f->egress = sll->sll_pkttype == PACKET_OUTGOING;
		r->frames_left--;
		r->next_frame = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
		/* Stop at a block boundary once the caller's batch holds frames of
		 * two blocks at most: blocks are released a call later. */
		if (!r->frames_left && r->held >= r->block_count / 2)
			break;
	}
	r->frames += (uint64_t)n;
	return n;
}

void vx_ring_stats(struct vx_ring *r, struct vx_ring_stats *out)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);
	if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		r->drops += st.tp_drops; /* the kernel resets them on each read */
	out->frames = r->frames;
	out->kernel_drops = r->drops;
}

int vx_ring_fd(const struct vx_ring *r)
{
	return r->fd;
}

int vx_ring_fanout_id(const struct vx_ring *r)
{
	return r->fanout_id;
}

void vx_ring_close(struct vx_ring *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}
