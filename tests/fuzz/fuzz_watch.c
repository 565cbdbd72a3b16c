/* fuzz_watch.c - the watch-stream decoder and the JSON tokenizer under
 * libFuzzer. The first byte picks a chunk size, so line splitting across
 * chunks is exercised as well as the JSON grammar; every event's object is
 * walked and converted to jansson so lookups stay in bounds. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static void walk(const struct jtok_doc *d, int tok, int depth)
{
	if (depth > 300)
		return;
	for (int c = jtok_child(d, tok, -1); c >= 0; c = jtok_child(d, tok, c)) {
		char *s = jtok_str(d, c);
		free(s);
		long long v;
		(void)jtok_int(d, c, &v);
		walk(d, d->t[tok].type == JTOK_OBJECT ? c + 1 : c, depth + 1);
	}
}

static int on_event(void *ctx, const struct kube_watch_event *ev, struct perr *e)
{
	(void)ctx;
	(void)e;
	walk(ev->doc, ev->object, 0);
	json_t *j = jtok_to_json(ev->doc, ev->object);
	json_decref(j);
	char *name = jtok_str(ev->doc, jtok_path(ev->doc, ev->object,
						 (const char *const[]){ "metadata", "name", NULL }));
	free(name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	struct kube_watch *w = kube_watch_new(4096);
	struct perr e = { { 0 } };
	int rc = 0;
	for (size_t pos = 0; pos < size && rc == 0; pos += chunk) {
		size_t n = size - pos < chunk ? size - pos : chunk;
		char *copy = malloc(n);
		memcpy(copy, data + pos, n);
		rc = kube_watch_feed(w, copy, n, on_event, NULL, &e);
		free(copy);
	}
	if (rc == 0)
		(void)kube_watch_finish(w, &e);
	kube_watch_free(w);

	struct jtok_doc d = { 0 };
	if (jtok_parse(&d, (const char *)data, size, &e) == 0) {
		walk(&d, 0, 0);
		json_decref(jtok_to_json(&d, 0));
	}
	jtok_doc_free(&d);
	return 0;
}
