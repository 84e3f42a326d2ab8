/* live — capture on an interface through libpcap.
 *
 * libpcap hands each packet to a callback in its ring; on Linux the ring slot
 * (TPACKET_V2) or block (TPACKET_V3) goes back to the kernel as soon as the
 * callback returns or the block is done, so a packet's bytes are not safe to
 * keep until the next dispatch. Frames are therefore copied into an arena
 * allocated at open, sized so that one dispatch can never overflow it.
 */
#include "source_internal.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_DEFAULT_FILTER "udp port 4789"
#define LIVE_MAX_SNAPLEN    262144
#define LIVE_BUFFER_SIZE    (32 << 20)
#define LIVE_BATCH          64
#define LIVE_ARENA_MAX      ((size_t)16 << 20)

struct live_source {
	struct vx_source base;
	pcap_t *pcap;
	int fd;
	uint32_t frac_scale; /* 1 when libpcap gives nanoseconds, else 1000 */
	size_t slot;         /* arena bytes one frame may take */
	struct vx_arena arena;
	char name[64];

	/* The batch being filled by the callback. */
	struct vx_frame *out;
	int n;
};

static void live_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct live_source *l = (struct live_source *)user;
	struct vx_frame *fr = &l->out[l->n];
	uint32_t caplen = h->caplen;
	const uint8_t *copy;

	/* libpcap never hands out more than the snaplen; stay safe if it did. */
	if (caplen > l->slot)
		caplen = (uint32_t)l->slot;
	copy = vx_arena_copy(&l->arena, bytes, caplen);
	if (!copy)
		return;
	fr->data = copy;
	fr->caplen = caplen;
	fr->wirelen = h->len;
	fr->ts = vx_time_make((int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec * l->frac_scale);
	fr->sender_ipv4 = 0;
	l->n++;
}

static int live_dispatch(struct live_source *l, int cnt)
{
	int rc = pcap_dispatch(l->pcap, cnt, live_packet, (u_char *)l);

	if (rc == PCAP_ERROR) {
		vx_source_seterr(&l->base, "%s: %s", l->name, pcap_geterr(l->pcap));
		return VX_SOURCE_ERROR;
	}
	return l->n;
}

static int live_next(struct vx_source *s, struct vx_frame *frames, int max, int timeout_ms)
{
	struct live_source *l = (struct live_source *)s;
	int cnt = (int)(l->arena.size / l->slot);
	int rc;

	if (cnt > max)
		cnt = max;
	vx_arena_reset(&l->arena);
	l->out = frames;
	l->n = 0;
	rc = live_dispatch(l, cnt);
	if (rc != 0)
		return rc;
	rc = vx_source_wait(s, l->fd, timeout_ms, l->name);
	if (rc != 0)
		return rc;
	rc = live_dispatch(l, cnt);
	return rc != 0 ? rc : VX_SOURCE_TIMEOUT;
}

static void live_stats(struct vx_source *s)
{
	struct live_source *l = (struct live_source *)s;
	struct pcap_stat ps;

	if (pcap_stats(l->pcap, &ps) == 0)
		s->stats.kernel_drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
}

static void live_close(struct vx_source *s)
{
	struct live_source *l = (struct live_source *)s;

	if (l->pcap)
		pcap_close(l->pcap);
	vx_arena_free(&l->arena);
	free(l);
}

static const struct vx_source_ops live_ops = {
    .next = live_next,
    .stats = live_stats,
    .close = live_close,
};

static void activate_error(struct live_source *l, int rc, char *err, size_t errlen)
{
	const char *detail = pcap_geterr(l->pcap);

	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, errlen, "%s: no such interface", l->name);
		break;
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(err, errlen,
		         "%s: permission denied: capturing on an interface needs root or "
		         "CAP_NET_RAW (%s)",
		         l->name, detail[0] ? detail : pcap_statustostr(rc));
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, errlen, "%s: interface is not up", l->name);
		break;
	default:
		snprintf(err, errlen, "%s: %s", l->name,
		         rc == PCAP_ERROR && detail[0] ? detail : pcap_statustostr(rc));
		break;
	}
}

struct vx_source *vx_source_open_live(const char *ifname, const char *bpf, int snaplen, char *err,
                                      size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	const char *expr = bpf ? bpf : LIVE_DEFAULT_FILTER;
	struct bpf_program prog;
	struct live_source *l;
	size_t arena;
	int rc, dlt, link;

	if (!ifname || !ifname[0]) {
		snprintf(err, errlen, "no interface given");
		return NULL;
	}
	if (snaplen < 0 || snaplen > LIVE_MAX_SNAPLEN) {
		snprintf(err, errlen, "%s: bad snaplen %d: expected 0 (the default, %d) to %d",
		         ifname, snaplen, LIVE_MAX_SNAPLEN, LIVE_MAX_SNAPLEN);
		return NULL;
	}
	if (snaplen == 0)
		snaplen = LIVE_MAX_SNAPLEN;
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "%s: out of memory", ifname);
		return NULL;
	}
	vx_source_init(&l->base, &live_ops, VX_SOURCE_LIVE);
	snprintf(l->name, sizeof(l->name), "%s", ifname);

	l->pcap = pcap_create(ifname, ebuf);
	if (!l->pcap) {
		snprintf(err, errlen, "%s: %s", l->name, ebuf);
		goto fail;
	}
	/* Errors from these setters only matter once activated; pcap_activate()
	 * reports them. */
	(void)pcap_set_snaplen(l->pcap, snaplen);
	(void)pcap_set_promisc(l->pcap, 0);
	(void)pcap_set_immediate_mode(l->pcap, 1);
	(void)pcap_set_buffer_size(l->pcap, LIVE_BUFFER_SIZE);
	(void)pcap_set_tstamp_precision(l->pcap, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(l->pcap);
	if (rc < 0) {
		activate_error(l, rc, err, errlen);
		goto fail;
	}
	l->base.nanosecond = pcap_get_tstamp_precision(l->pcap) == PCAP_TSTAMP_PRECISION_NANO;
	l->frac_scale = l->base.nanosecond ? 1 : 1000;

	dlt = pcap_datalink(l->pcap);
	link = vx_link_from_dlt(dlt);
	if (link < 0) {
		snprintf(err, errlen, "%s: unsupported link type %d (%s)", l->name, dlt,
		         vx_dlt_name(dlt));
		goto fail;
	}
	l->base.link = (enum vx_link)link;

	if (pcap_compile(l->pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s: bad filter \"%s\": %s", l->name, expr,
		         pcap_geterr(l->pcap));
		goto fail;
	}
	rc = pcap_setfilter(l->pcap, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot set filter \"%s\": %s", l->name, expr,
		         pcap_geterr(l->pcap));
		goto fail;
	}
	if (pcap_setnonblock(l->pcap, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: %s", l->name, ebuf);
		goto fail;
	}
	l->fd = pcap_get_selectable_fd(l->pcap);
	if (l->fd < 0) {
		snprintf(err, errlen, "%s: no selectable descriptor for this capture", l->name);
		goto fail;
	}

	/* Room for a full batch of snaplen frames, capped; a smaller snaplen
	 * gets the same batch in less memory. */
	l->slot = ((size_t)pcap_snapshot(l->pcap) + 7) & ~(size_t)7;
	if (l->slot == 0 || l->slot > ((size_t)LIVE_MAX_SNAPLEN))
		l->slot = LIVE_MAX_SNAPLEN;
	arena = l->slot * LIVE_BATCH;
	if (arena > LIVE_ARENA_MAX)
		arena = LIVE_ARENA_MAX;
	if (vx_arena_init(&l->arena, arena) < 0) {
		snprintf(err, errlen, "%s: out of memory", l->name);
		goto fail;
	}
	return &l->base;
fail:
	live_close(&l->base);
	return NULL;
}
