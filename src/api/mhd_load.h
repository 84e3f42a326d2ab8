/* mhd_load — libmicrohttpd, loaded when the EC2 API server starts instead of
 * linked into vxtap. The library brings GnuTLS, whose initialisation at
 * program start cost every vxtap command about 2 ms; only
 * `vxtap run --api-listen` serves HTTP. Private to src/api/. */
#ifndef VXTAP_MHD_LOAD_H
#define VXTAP_MHD_LOAD_H

#include <stddef.h>

#include <microhttpd.h>

/* The functions the server calls, with libmicrohttpd's signatures. */
struct vx_mhd {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	MHD_socket (*quiesce_daemon)(struct MHD_Daemon *daemon);
	void (*stop_daemon)(struct MHD_Daemon *daemon);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
							    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *connection,
					  unsigned int status_code, struct MHD_Response *response);
	void (*destroy_response)(struct MHD_Response *response);
	const union MHD_ConnectionInfo *(*get_connection_info)(
	    struct MHD_Connection *connection, enum MHD_ConnectionInfoType info_type, ...);
	int (*get_connection_values)(struct MHD_Connection *connection, enum MHD_ValueKind kind,
				     MHD_KeyValueIterator iterator, void *iterator_cls);
	const char *(*lookup_connection_value)(struct MHD_Connection *connection,
					       enum MHD_ValueKind kind, const char *key);
};

/* The library's functions, loaded once (thread-safe); NULL with the reason
 * in why when the library or one of its functions is missing. */
const struct vx_mhd *vx_mhd_load(char *why, size_t whylen);

#endif
