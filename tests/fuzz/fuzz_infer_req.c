/* fuzz_infer_req.c - the model server's request parser on any bytes: the
 * first byte picks the protocol (even: KServe v2 infer, odd: v1 predict)
 * and the model geometry; the rest is the body. A parsed request must
 * hold exactly n images of finite floats, and the replies must build. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const struct infer_spec specs[] = {
		{1, 28, 28, 1.0f / 255, 0, 4},
		{3, 2, 2, 1.0f / 255, 0, 3},
		{1, 2, 2, 1, 0, 2},
	};
	const struct infer_spec *s = &specs[(data[0] >> 1) % 3];
	struct infer_req r;
	struct perr e = {{0}};
	int rc = data[0] & 1 ? infer_req_parse_v1(s, (const char *)data + 1,
						  size - 1, &r, &e)
			     : infer_req_parse_v2(s, (const char *)data + 1,
						  size - 1, &r, &e);
	if (rc < 0) {
		if (!e.msg[0])
			abort(); /* every refusal names its problem */
		char *j = infer_req_error_json(e.msg);
		free(j);
		return 0;
	}
	if (r.n < 1 || r.n > s->max_batch)
		abort();
	size_t vals = r.n * (size_t)(s->c * s->h * s->w);
	for (size_t i = 0; i < vals; i++)
		if (!isfinite(r.x[i]))
			abort();
	float *probs = calloc(r.n * 10, sizeof *probs);
	char *a = infer_req_v2_reply(&r, probs, 10, "m", "1");
	char *b = infer_req_v1_reply(&r, probs, 10);
	free(a);
	free(b);
	free(probs);
	infer_req_free(&r);
	return 0;
}
