/* fuzz_logbuf.c - the log stream's line logic (kube/logs.c) on any bytes:
 * timestamps parsed or refused, lines split across arbitrary chunks, a
 * resume in the middle, a byte limit; every line handed over lies inside
 * what was fed and the sanitiser takes it. The first byte picks the chunk
 * size, the second the options. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_line(void *ctx, const char *line, size_t n, int marker)
{
	size_t *total = ctx;
	if (!marker) {
		if (!line && n)
			__builtin_trap();
		*total += n;
	}
	free(sanitize_text(line ? line : "", line ? n : 0, 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	int opts = data[1];
	data += 2;
	size -= 2;
	long long sec;
	long nsec;
	size_t tlen;
	if (kube_log_timestamp((const char *)data, size, &sec, &nsec, &tlen) == 0 && tlen > size)
		__builtin_trap();
	size_t total = 0;
	struct kube_logbuf b;
	kube_logbuf_init(&b, opts & 1, opts & 2 ? 64 : 0, on_line, &total);
	size_t half = size / 2;
	for (size_t pos = 0; pos < size; pos += chunk) {
		size_t n = size - pos < chunk ? size - pos : chunk;
		if ((opts & 4) && pos < half && pos + n >= half) {
			kube_logbuf_resume(&b); /* the stream was cut and restarted */
			kube_logbuf_feed(&b, (const char *)data, half);
		}
		kube_logbuf_feed(&b, (const char *)data + pos, n);
	}
	kube_logbuf_finish(&b);
	kube_logbuf_free(&b);
	if (total > 2 * size + 16)
		__builtin_trap(); /* never more than was fed (twice with a replay) */
	return 0;
}
