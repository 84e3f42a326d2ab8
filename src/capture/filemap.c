/* filemap — a sliding read-only window over a regular file, for the pcap
 * file source.
 *
 * A mapped file whose cache lines the reader prefetches in order ahead of
 * itself (pcapfile.c) is read in about half the time of read() into a
 * buffer: the lines stream from memory once, where read() also copies every
 * byte. Only a window (VX_FILEMAP_WINDOW) is mapped at a time, so resident
 * memory does not grow with the file.
 *
 * A mapped file that is cut shorter while it is read would raise SIGBUS at the
 * first access past its new end. A process-wide handler catches the faults
 * that fall in a registered window, puts a page of zeros at the address so
 * the access completes, and flags the window's owner, which stops reading
 * with an error. Faults anywhere else go to the handler that was there
 * before (or the default action).
 */
#include "source_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUARD_SLOTS 16

/* Registered windows: [lo, hi) and the flag to raise. hi == 0: free slot. */
static struct {
	_Atomic uintptr_t lo, hi;
	volatile sig_atomic_t *_Atomic cut;
} guard[GUARD_SLOTS];
static struct sigaction guard_prev;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < GUARD_SLOTS; i++) {
		uintptr_t lo = atomic_load(&guard[i].lo), hi = atomic_load(&guard[i].hi);

		if (hi != 0 && a >= lo && a < hi) {
			void *at = (void *)(a & ~(uintptr_t)(page - 1));

			/* Zeros in place of the page the file no longer has. */
			if (mmap(at, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			         -1, 0) == MAP_FAILED)
				break;
			*atomic_load(&guard[i].cut) = 1;
			return;
		}
	}
	/* Not ours: hand it to whoever had it before. */
	if (guard_prev.sa_flags & SA_SIGINFO) {
		if (guard_prev.sa_sigaction) {
			guard_prev.sa_sigaction(sig, si, uctx);
			return;
		}
	} else if (guard_prev.sa_handler != SIG_DFL && guard_prev.sa_handler != SIG_IGN) {
		guard_prev.sa_handler(sig);
		return;
	}
	/* Default action: returning re-runs the access, which faults again. */
	signal(SIGBUS, SIG_DFL);
}

/* Put the handler in place unless it is there already: checked at every
 * window, since code that runs later (a test harness, a library) may have
 * installed its own since. Returns 0, or -1 when it cannot be installed. */
static int guard_install(void)
{
	struct sigaction cur, sa;
	int rc = 0;

	pthread_mutex_lock(&guard_lock);
	if (sigaction(SIGBUS, NULL, &cur) < 0) {
		rc = -1;
	} else if (!((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		guard_prev = cur;
		rc = sigaction(SIGBUS, &sa, NULL);
	}
	pthread_mutex_unlock(&guard_lock);
	return rc;
}

static int guard_register(struct vx_filemap *m)
{
	if (guard_install() < 0)
		return -1;
	for (int i = 0; i < GUARD_SLOTS; i++) {
		volatile sig_atomic_t *none = NULL;

		if (atomic_compare_exchange_strong(&guard[i].cut, &none, &m->cut))
			return i;
	}
	return -1;
}

static void guard_set(int slot, const uint8_t *lo, size_t len)
{
	if (slot < 0 || slot >= GUARD_SLOTS)
		return;
	atomic_store(&guard[slot].hi, 0);
	atomic_store(&guard[slot].lo, (uintptr_t)lo);
	atomic_store(&guard[slot].hi, lo ? (uintptr_t)lo + len : 0);
}

int vx_filemap_open(struct vx_filemap *m, int fd)
{
	memset(m, 0, sizeof(*m));
	m->fd = fd;
	m->cut = 0;
	m->slot = guard_register(m);
	/* Without the guard a shrinking file would kill the process: the
	 * caller reads with read() instead. */
	return m->slot < 0 ? -1 : 0;
}

static void unmap(struct vx_filemap *m)
{
	if (!m->map)
		return;
	guard_set(m->slot, NULL, 0);
	munmap(m->map, m->map_len);
	m->map = NULL;
	m->map_len = 0;
}

/* Map len bytes of fd from offset base (VX_FILEMAP_ALIGN aligned) at an
 * address aligned the same way: reserve a little more, map over it, give back
 * the rest. */
static void *map_aligned(int fd, size_t len, uint64_t base)
{
	size_t span = len + VX_FILEMAP_ALIGN;
	uint8_t *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *at;
	void *map;

	if (r == MAP_FAILED)
		return MAP_FAILED;
	at = (uint8_t *)(((uintptr_t)r + VX_FILEMAP_ALIGN - 1) & ~(uintptr_t)(VX_FILEMAP_ALIGN - 1));
	map = mmap(at, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, (off_t)base);
	if (map == MAP_FAILED) {
		munmap(r, span);
		return MAP_FAILED;
	}
	/* The mapping covers whole pages: the rest starts at the next one. */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *end = at + ((len + page - 1) & ~(page - 1));
	if (at > r)
		munmap(r, (size_t)(at - r));
	if (r + span > end)
		munmap(end, (size_t)(r + span - end));
	return map;
}

int vx_filemap_window(struct vx_filemap *m, uint64_t at, const uint8_t **p, size_t *avail,
                      int *last, char *err, size_t errlen)
{
	/* 2 MiB aligned, as a huge page is: the kernel can then map the page
	 * cache's large folios whole instead of 4 KiB at a time. */
	uint64_t base = at & ~(uint64_t)(VX_FILEMAP_ALIGN - 1), size;
	struct stat st;
	void *map;

	unmap(m);
	if (guard_install() < 0) {
		snprintf(err, errlen, "cannot catch SIGBUS: %s", strerror(errno));
		return -1;
	}
	/* The size now, not at open: a capture still being written grows. */
	if (fstat(m->fd, &st) < 0) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	if (at >= size) {
		*p = NULL;
		*avail = 0;
		*last = 1;
		return 0;
	}
	m->map_len = size - base < VX_FILEMAP_WINDOW ? (size_t)(size - base) : VX_FILEMAP_WINDOW;
	map = map_aligned(m->fd, m->map_len, base);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		m->map_len = 0;
		return -1;
	}
	(void)madvise(map, m->map_len, MADV_SEQUENTIAL);
	m->map = map;
	m->map_off = base;
	guard_set(m->slot, m->map, m->map_len);
	*p = m->map + (at - base);
	*avail = m->map_len - (size_t)(at - base);
	*last = base + m->map_len >= size;
	return 0;
}

void vx_filemap_close(struct vx_filemap *m)
{
	unmap(m);
	if (m->slot >= 0) {
		atomic_store(&guard[m->slot].cut, NULL);
		m->slot = -1;
	}
}
