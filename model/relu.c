/*
 * relu.c - the rectifier, in place both ways: the backward pass needs only
 * the output (y > 0 exactly where x > 0), so no copy of the input is kept.
 */
#include "model/model.h"

/* x [count] -> max(x, 0), in place. */
void relu_forward(float *x, size_t count)
{
	for (size_t i = 0; i < count; i++)
		x[i] = x[i] > 0 ? x[i] : 0;
}

/* dy [count] *= (y > 0), in place. */
void relu_backward(const float *y, float *dy, size_t count)
{
	for (size_t i = 0; i < count; i++)
		dy[i] = y[i] > 0 ? dy[i] : 0;
}
