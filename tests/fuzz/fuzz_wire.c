/*
 * fuzz_wire.c - the CPG message decoder must reject anything malformed
 * without crashing, and what it accepts must encode back to the same
 * bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct msg	m, m2;
	struct wbuf	w;

	if (msg_decode(data, len, &m) < 0)
		return 0;
	wbuf_init(&w);
	msg_encode(&w, &m);
	if (msg_decode(w.data, w.len, &m2) < 0)
		abort();
	if (w.len != len || memcmp(w.data, data, len) != 0) {
		/* Same values must give the same bytes. */
		struct wbuf w2;

		wbuf_init(&w2);
		msg_encode(&w2, &m2);
		if (w2.len != w.len || memcmp(w2.data, w.data, w.len) != 0)
			abort();
		wbuf_free(&w2);
	}
	msg_clear(&m2);
	msg_clear(&m);
	wbuf_free(&w);
	return 0;
}
