/*
 * dockerfile.c - prints the Dockerfile `podium build` puts in a model
 * image's build context (kube_build_dockerfile), FROM the base image and
 * with the port given, so tests/image/build-runtime.sh builds a model
 * image from exactly what the in-cluster builder gets.
 *
 *   image-dockerfile BASE-IMAGE PORT
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char *end = NULL;
	long port = argc == 3 ? strtol(argv[2], &end, 10) : 0;
	if (argc != 3 || *end || port < 1 || port > 65535) {
		fprintf(stderr, "usage: image-dockerfile BASE-IMAGE PORT\n");
		return 2;
	}
	char *df = kube_build_dockerfile(argv[1], (int)port);
	int rc = fputs(df, stdout) == EOF || fflush(stdout) == EOF;
	free(df);
	return rc;
}
