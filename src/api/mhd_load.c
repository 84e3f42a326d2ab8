/* libmicrohttpd, loaded on first use (see mhd_load.h). */
#include "mhd_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The soname of the libmicrohttpd the build was made against (API 0.9.x,
 * ABI 12). */
#define MHD_SONAME "libmicrohttpd.so.12"

static struct vx_mhd mhd;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Resolve name into *slot; 0, or -1 with load_error set. */
static int resolve(void *lib, const char *name, void *slot)
{
	void *f = dlsym(lib, name);
	if (!f) {
		snprintf(load_error, sizeof(load_error), "%s has no %s", MHD_SONAME, name);
		return -1;
	}
	/* POSIX: a function pointer and an object pointer have one size. */
	memcpy(slot, &f, sizeof(f));
	return 0;
}

static void load(void)
{
	void *lib = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(load_error, sizeof(load_error),
			 "cannot load %s (the EC2 API needs it; Debian package libmicrohttpd12): %s",
			 MHD_SONAME, dlerror());
		return;
	}
	struct vx_mhd m;
	if (resolve(lib, "MHD_start_daemon", &m.start_daemon) < 0 ||
	    resolve(lib, "MHD_quiesce_daemon", &m.quiesce_daemon) < 0 ||
	    resolve(lib, "MHD_stop_daemon", &m.stop_daemon) < 0 ||
	    resolve(lib, "MHD_create_response_from_buffer", &m.create_response_from_buffer) < 0 ||
	    resolve(lib, "MHD_add_response_header", &m.add_response_header) < 0 ||
	    resolve(lib, "MHD_queue_response", &m.queue_response) < 0 ||
	    resolve(lib, "MHD_destroy_response", &m.destroy_response) < 0 ||
	    resolve(lib, "MHD_get_connection_info", &m.get_connection_info) < 0 ||
	    resolve(lib, "MHD_get_connection_values", &m.get_connection_values) < 0 ||
	    resolve(lib, "MHD_lookup_connection_value", &m.lookup_connection_value) < 0) {
		dlclose(lib);
		return;
	}
	/* Kept loaded for the life of the process. */
	mhd = m;
}

const struct vx_mhd *vx_mhd_load(char *why, size_t whylen)
{
	pthread_once(&once, load);
	if (!mhd.start_daemon) {
		snprintf(why, whylen, "%s", load_error);
		return NULL;
	}
	return &mhd;
}
