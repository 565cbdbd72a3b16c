/* fuzz_sim_request.c - the simulated API server's request handling on
 * arbitrary input, without sockets: method, path, query, Content-Type,
 * Accept and body, one per line (the body is the rest), through route
 * parsing, query decoding, continue tokens, media types, body decoding and
 * the handlers against a live store. No crash, no leak, always a status. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/server.h"

static struct sim *sim;
static unsigned runs;

/* Next line of [*p, end) as a new string; NULL at the end. */
static char *line(const char **p, const char *end)
{
	if (*p >= end)
		return NULL;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = strndup(*p, n);
	*p += n + (nl != NULL);
	return s;
}

/* key=value&... into q (values point into buf, which stays alive). */
static void parse_query(char *buf, struct sim_query *q)
{
	char *save = NULL;
	for (char *kv = strtok_r(buf, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq++ = '\0';
		sim_query_set(q, kv, eq);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sim || ++runs % 2000 == 0) {
		sim_free(sim);
		struct sim_opts o = { .speed = 1, .seed = 1, .history = 256 };
		sim = sim_new(&o, NULL);
		if (!sim)
			abort();
	}
	const char *p = (const char *)data, *end = p + size;
	char *method = line(&p, end), *path = line(&p, end), *query = line(&p, end),
	     *ctype = line(&p, end), *accept = line(&p, end);
	struct sim_request rq;
	memset(&rq, 0, sizeof rq);
	rq.sim = sim;
	rq.method = method ? method : "GET";
	rq.path = path ? path : "/";
	rq.ctype = ctype;
	rq.accept = accept;
	rq.body = p;
	rq.body_len = (size_t)(end - p);
	rq.client_fd = -1;
	rq.server_addr = "127.0.0.1:1";
	if (query)
		parse_query(query, &rq.q);

	struct sim_status st = { 0 };
	struct sim_resp r;
	memset(&r, 0, sizeof r);
	if (rq.q.cont) {
		unsigned long long rv;
		char key[520];
		sim_continue_decode(rq.q.cont, &rv, key, sizeof key, &st);
		sim_status_clear(&st);
	}
	json_t *b = sim_body_decode(ctype, rq.body, rq.body_len, &st);
	json_decref(b);
	sim_status_clear(&st);
	if (sim_route_parse(rq.path, &rq.route, &st) < 0) {
		sim_resp_status(&r, &st);
	} else if (rq.route.type == SIM_ROUTE_COLLECTION ||
		   rq.route.type == SIM_ROUTE_OBJECT) {
		/* Streams block for their client: not here. */
		int streams = sim_query_bool(rq.q.watch) ||
			      (sim_query_bool(rq.q.follow) && strcmp(rq.route.sub, "log") == 0) ||
			      strcmp(rq.route.sub, "proxy") == 0;
		if (!streams)
			sim_api_handle(&rq, &r);
	} else if (rq.route.type != SIM_ROUTE_FAULTS) {
		sim_discovery_handle(&rq, &r);
	}
	sim_status_clear(&st);
	if (r.stream)
		r.done(r.stream);
	free(r.body);
	json_decref(r.warnings);
	free(method);
	free(path);
	free(query);
	free(ctype);
	free(accept);
	return 0;
}
