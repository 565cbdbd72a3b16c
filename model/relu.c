/*
 * relu.c - the rectifier, in place both ways: the backward pass needs only
 * the output (y > 0 exactly where x > 0), so no copy of the input is kept.
 */
#include <string.h>

#include "model/model.h"

/* x [count] -> max(x, 0), in place. On the bits: a set sign bit (negative
 * or -0) clears the whole value. A branch on the sign of random
 * activations mispredicts half the time; integer masks do not branch, and
 * vectorise. */
void relu_forward(float *x, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int32_t u;
		memcpy(&u, x + i, sizeof(u));
		u &= ~(u >> 31);
		memcpy(x + i, &u, sizeof(u));
	}
}

/* dy [count] *= (y > 0), in place: y is a relu output (+0 or positive),
 * so y > 0 exactly when its bits, as an integer, are > 0. */
void relu_backward(const float *y, float *dy, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int32_t yu, du;
		memcpy(&yu, y + i, sizeof(yu));
		memcpy(&du, dy + i, sizeof(du));
		du &= -(int32_t)(yu > 0);
		memcpy(dy + i, &du, sizeof(du));
	}
}
