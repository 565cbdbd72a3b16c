/*
 * maxpool.c - max pooling with the argmax of each window kept, so that the
 * backward pass routes each gradient to the one input that won.
 */
#include <string.h>

#include "model/model.h"

/* Output size (floor, like Keras's valid pooling); -1 when nothing fits. */
int maxpool_shape_init(struct pool_shape *s)
{
	if (s->c <= 0 || s->h <= 0 || s->w <= 0 || s->ph <= 0 || s->pw <= 0 ||
	    s->stride <= 0 || s->ph > s->h || s->pw > s->w)
		return -1;
	s->oh = (s->h - s->ph) / s->stride + 1;
	s->ow = (s->w - s->pw) / s->stride + 1;
	return 0;
}

/* x [N,C,H,W] -> y [N,C,OH,OW], arg [N,C,OH,OW] (index in the H*W plane;
 * the first maximum wins ties). */
void maxpool_forward(const struct pool_shape *s, int n, const float *x,
		     float *y, int32_t *arg)
{
	size_t planes = (size_t)n * s->c;
	for (size_t pl = 0; pl < planes; pl++) {
		const float *xp = x + pl * s->h * s->w;
		for (int oy = 0; oy < s->oh; oy++)
			for (int ox = 0; ox < s->ow; ox++) {
				int best = (oy * s->stride) * s->w + ox * s->stride;
				float bv = xp[best];
				for (int i = 0; i < s->ph; i++)
					for (int j = 0; j < s->pw; j++) {
						int at = (oy * s->stride + i) * s->w +
							 ox * s->stride + j;
						if (xp[at] > bv) {
							bv = xp[at];
							best = at;
						}
					}
				*y++ = bv;
				*arg++ = best;
			}
	}
}

/* dy [N,C,OH,OW] -> dx [N,C,H,W]: zero, then each gradient to its argmax
 * (summed when overlapping windows share a winner). */
void maxpool_backward(const struct pool_shape *s, int n, const float *dy,
		      const int32_t *arg, float *dx)
{
	size_t planes = (size_t)n * s->c, opl = (size_t)s->oh * s->ow;
	memset(dx, 0, sizeof(float) * planes * s->h * s->w);
	for (size_t pl = 0; pl < planes; pl++) {
		float *dxp = dx + pl * s->h * s->w;
		for (size_t q = 0; q < opl; q++)
			dxp[arg[q]] += dy[q];
		dy += opl;
		arg += opl;
	}
}
