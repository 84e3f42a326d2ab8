/* libFuzzer target: the EC2 query API's parsing of untrusted input, without
 * a store. Byte 0 picks the operation (index into vx_ec2_operations[],
 * modulo their number); the rest is a form body. It is parsed
 * (vx_form_parse), turned into the operation's JSON request
 * (vx_query_request), and the request is written back as XML by the
 * operation's output shape (vx_xml_response), which exercises the writer on
 * any text; every error is written as EC2's error document.
 *
 * Besides the sanitizers, it checks the contract: a request is a JSON
 * object, or an error with a code and message; every document is non-empty
 * and holds no byte XML 1.0 forbids. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_xml(const char *xml, size_t len)
{
	if (!xml || !len)
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)xml[i];
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > VX_API_MAX_BODY)
		return 0;
	const struct vx_ec2_operation *op = &vx_ec2_operations[data[0] % vx_ec2_n_operations];
	struct vx_form form = {0};
	struct vx_err err = {0};
	size_t len;
	char *xml;
	if (vx_form_parse(&form, (const char *)data + 1, size - 1, &err) == 0) {
		json_t *req = vx_query_request(op, &form, &err);
		if (req) {
			if (!json_is_object(req))
				abort();
			/* The request's own members as a response: the writer
			 * sees the fuzzer's text in whichever members match. */
			xml = vx_xml_response(op, req, "fuzz", &len);
			check_xml(xml, len);
			free(xml);
			json_decref(req);
			vx_form_free(&form);
			return 0;
		}
	}
	if (!err.code[0] || !err.message[0])
		abort();
	xml = vx_xml_error(err.code, err.message, "fuzz", &len);
	check_xml(xml, len);
	free(xml);
	vx_form_free(&form);
	return 0;
}
