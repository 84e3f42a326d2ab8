/* libFuzzer target: the AWS CLI shorthand parser (vx_shorthand_parse) on
 * arbitrary words.
 *
 * Byte 0 picks the parameter type (modulo the types the CLI parses, that is
 * every enum vx_ptype but VX_T_DOCUMENT, in enum order: each seed in
 * corpus/shorthand/ starts with the index of its type in that list); the
 * rest is split on NUL bytes into the words that followed the option on the
 * command line (so a word can hold newlines, which the parser treats as
 * blanks).
 *
 * Besides the sanitizers, it checks the function's contract: NULL comes with
 * an InvalidParameterValue error whose message is valid UTF-8 with no control
 * characters (user text is clipped and made printable), and a value comes
 * back as something that serialises. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxtap/shorthand.h"

#define MAX_WORDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_message(const struct vx_err *err)
{
	if (strcmp(err->code, "InvalidParameterValue") != 0) {
		fprintf(stderr, "unexpected error code '%s'\n", err->code);
		abort();
	}
	size_t len = strnlen(err->message, sizeof(err->message));
	if (len == 0 || len == sizeof(err->message)) {
		fprintf(stderr, "empty or unterminated message\n");
		abort();
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)err->message[i];
		if (c < 0x20 || c == 0x7f) {
			fprintf(stderr, "control byte 0x%02x in message: %s\n", c, err->message);
			abort();
		}
	}
	json_t *s = json_string(err->message); /* NULL when not valid UTF-8 */
	if (!s) {
		fprintf(stderr, "message is not valid UTF-8: %s\n", err->message);
		abort();
	}
	json_decref(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int k = data[0] % VX_T_ICMP_TYPE_CODE; /* the types but VX_T_DOCUMENT */
	enum vx_ptype type = (enum vx_ptype)(k < VX_T_DOCUMENT ? k : k + 1);

	/* One copy of the rest, NUL-terminated; each NUL ends a word. */
	char *buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	char *words[MAX_WORDS];
	int nwords = 0;
	if (size > 1) {
		char *w = buf, *end = buf + size - 1;
		for (;;) {
			if (nwords == MAX_WORDS)
				break;
			words[nwords++] = w;
			char *nul = memchr(w, '\0', (size_t)(end - w));
			if (!nul)
				break;
			w = nul + 1;
		}
	}

	struct vx_err err;
	memset(&err, 0, sizeof(err));
	json_t *v = vx_shorthand_parse("--fuzz", type, words, nwords, &err);
	if (!v) {
		check_message(&err);
	} else {
		char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!txt) {
			fprintf(stderr, "result does not serialise\n");
			abort();
		}
		free(txt);
		json_decref(v);
	}
	/* Without err: must not crash either. */
	v = vx_shorthand_parse("--fuzz", type, words, nwords, NULL);
	json_decref(v);
	free(buf);
	return 0;
}
