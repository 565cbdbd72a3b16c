/*
 * route.c - the simulated API server's request parsing, apart from the
 * HTTP library so that it can be tested and fuzzed on its own: the URL
 * path to what it names (discovery, OpenAPI, a collection, an object and
 * its subresource), the query parameters the server understands, the
 * media types of Accept and Content-Type, and continue tokens.
 *
 * Everything here reads outside input: every copy is bounded and every
 * number is range-checked.
 */
#include "kube/sim/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split path into at most max segments (in place in buf). */
static int split(char *buf, char **seg, int max)
{
	int n = 0;
	char *p = buf;
	while (*p == '/')
		p++;
	while (*p) {
		if (n == max)
			return -1;
		seg[n++] = p;
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n;
}

static int copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len >= n)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

static void not_found(struct sim_status *st)
{
	sim_status_set(st, 404, "NotFound",
		       "the server could not find the requested resource");
	if (st)
		st->details = json_object();
}

/* Is group/version one the server serves? */
static int gv_served(const char *group, const char *version)
{
	for (const struct sim_kind *k = sim_kinds; k->kind; k++)
		if (strcmp(k->group, group) == 0 && strcmp(k->version, version) == 0)
			return 1;
	return 0;
}

/* The resource part: PLURAL[/NAME[/SUB[/REST...]]] after an optional
 * namespaces/NS. seg[0..n) starts at the first segment after the
 * group-version. */
static int parse_resource(struct sim_route *r, char **seg, int n,
			  const char *rest_path, struct sim_status *st)
{
	int i = 0;
	if (n >= 2 && strcmp(seg[0], "namespaces") == 0 &&
	    !(n == 3 && (strcmp(seg[2], "status") == 0 ||
			 strcmp(seg[2], "finalize") == 0)) &&
	    n != 2) {
		if (copy(r->ns, sizeof r->ns, seg[1]) < 0 || !*seg[1])
			goto nf;
		r->has_ns = 1;
		i = 2;
	}
	if (i >= n)
		goto nf;
	r->kind = sim_kind_find(r->group, seg[i]);
	if (!r->kind || (r->has_ns && !r->kind->namespaced))
		goto nf;
	i++;
	if (i == n) {
		r->type = SIM_ROUTE_COLLECTION;
		return 0;
	}
	if (copy(r->name, sizeof r->name, seg[i]) < 0 || !*seg[i])
		goto nf;
	if (r->kind->namespaced && !r->has_ns)
		goto nf;
	i++;
	r->type = SIM_ROUTE_OBJECT;
	if (i == n)
		return 0;
	if (copy(r->sub, sizeof r->sub, seg[i]) < 0)
		goto nf;
	i++;
	/* Which subresources each kind has: status and scale from the
	 * table's flags, log and proxy from extra_sub. */
	int ok = 0;
	if (strcmp(r->sub, "status") == 0)
		ok = r->kind->has_status;
	else if (strcmp(r->sub, "scale") == 0)
		ok = r->kind->has_scale;
	else if (r->kind->extra_sub) {
		const char *p = r->kind->extra_sub;
		size_t len = strlen(r->sub);
		while (*p) {
			size_t m = strcspn(p, ",");
			if (m == len && strncmp(p, r->sub, m) == 0)
				ok = 1;
			p += m + (p[m] == ',');
		}
	}
	if (!ok)
		goto nf;
	if (i < n) {
		if (strcmp(r->sub, "proxy") != 0)
			goto nf;
		/* The rest of the original path, slashes kept. */
		if (copy(r->rest, sizeof r->rest, rest_path ? rest_path : "") < 0)
			goto nf;
	}
	return 0;
nf:
	not_found(st);
	return -1;
}

/* Where the proxied path starts: after .../proxy/ in the original. */
static const char *proxy_rest(const char *path)
{
	const char *p = strstr(path, "/proxy/");
	return p ? p + 6 : NULL;
}

/* What a decoded URL path names; 404 Status in st when nothing. */
int sim_route_parse(const char *path, struct sim_route *r, struct sim_status *st)
{
	memset(r, 0, sizeof *r);
	char buf[2048];
	char *seg[16];
	if (!path || copy(buf, sizeof buf, path) < 0) {
		not_found(st);
		return -1;
	}
	/* Long proxied paths may have many segments: count only the API's. */
	int n = split(buf, seg, 16);
	if (n < 0) {
		const char *pr = proxy_rest(path);
		if (!pr)
			goto nf;
		size_t head = (size_t)(pr - path);
		if (head >= sizeof buf)
			goto nf;
		memcpy(buf, path, head);
		buf[head] = '\0';
		/* One slot stays free for the stand-in of the rest. */
		n = split(buf, seg, 15);
		if (n < 0)
			goto nf;
		seg[n++] = "x";
	}
	if (n == 0)
		goto nf;
	static const struct {
		const char *path;
		int type;
	} fixed[] = {
		{ "version", SIM_ROUTE_VERSION }, { "healthz", SIM_ROUTE_HEALTH },
		{ "livez", SIM_ROUTE_HEALTH },	   { "readyz", SIM_ROUTE_HEALTH },
		{ NULL, 0 },
	};
	for (int i = 0; fixed[i].path; i++)
		if (strcmp(seg[0], fixed[i].path) == 0 && n <= 2) {
			r->type = fixed[i].type;
			return 0;
		}
	if (strcmp(seg[0], "sim") == 0) {
		if (n == 3 && strcmp(seg[1], "v1") == 0 && strcmp(seg[2], "faults") == 0) {
			r->type = SIM_ROUTE_FAULTS;
			return 0;
		}
		goto nf;
	}
	if (strcmp(seg[0], "openapi") == 0) {
		if (n == 2 && strcmp(seg[1], "v2") == 0) {
			r->type = SIM_ROUTE_OPENAPI_V2;
			return 0;
		}
		if (n >= 2 && strcmp(seg[1], "v3") == 0) {
			if (n == 2) {
				r->type = SIM_ROUTE_OPENAPI_V3_INDEX;
				return 0;
			}
			if (n == 4 && strcmp(seg[2], "api") == 0 &&
			    strcmp(seg[3], "v1") == 0) {
				r->type = SIM_ROUTE_OPENAPI_V3;
				snprintf(r->gv_path, sizeof r->gv_path, "api/v1");
				return 0;
			}
			if (n == 5 && strcmp(seg[2], "apis") == 0 &&
			    strlen(seg[3]) < 64 && strlen(seg[4]) < 16 &&
			    gv_served(seg[3], seg[4])) {
				r->type = SIM_ROUTE_OPENAPI_V3;
				snprintf(r->gv_path, sizeof r->gv_path, "apis/%s/%s",
					 seg[3], seg[4]);
				return 0;
			}
		}
		goto nf;
	}
	const char *rest = proxy_rest(path);
	if (strcmp(seg[0], "api") == 0) {
		if (n == 1) {
			r->type = SIM_ROUTE_API;
			return 0;
		}
		if (strcmp(seg[1], "v1") != 0)
			goto nf;
		snprintf(r->version, sizeof r->version, "v1");
		if (n == 2) {
			r->type = SIM_ROUTE_RESOURCES;
			return 0;
		}
		return parse_resource(r, seg + 2, n - 2, rest, st);
	}
	if (strcmp(seg[0], "apis") == 0) {
		if (n == 1) {
			r->type = SIM_ROUTE_APIS;
			return 0;
		}
		if (copy(r->group, sizeof r->group, seg[1]) < 0)
			goto nf;
		if (n == 2) {
			if (!gv_served(r->group, r->group[0] == 'm' ? "v1beta1" : "v1"))
				goto nf;
			r->type = SIM_ROUTE_GROUP;
			return 0;
		}
		if (copy(r->version, sizeof r->version, seg[2]) < 0 ||
		    !gv_served(r->group, r->version))
			goto nf;
		if (n == 3) {
			r->type = SIM_ROUTE_RESOURCES;
			return 0;
		}
		return parse_resource(r, seg + 3, n - 3, rest, st);
	}
nf:
	not_found(st);
	return -1;
}

/* ---- query parameters ---- */

#define Q(f) offsetof(struct sim_query, f)
static const struct {
	const char *name;
	size_t off;
} query_params[] = {
	{ "labelSelector", Q(label_selector) },
	{ "fieldSelector", Q(field_selector) },
	{ "limit", Q(limit) },
	{ "continue", Q(cont) },
	{ "watch", Q(watch) },
	{ "resourceVersion", Q(rv) },
	{ "resourceVersionMatch", Q(rv_match) },
	{ "timeoutSeconds", Q(timeout_seconds) },
	{ "allowWatchBookmarks", Q(bookmarks) },
	{ "propagationPolicy", Q(propagation) },
	{ "gracePeriodSeconds", Q(grace) },
	{ "fieldManager", Q(field_manager) },
	{ "force", Q(force) },
	{ "dryRun", Q(dry_run) },
	{ "includeObject", Q(include_object) },
	{ "container", Q(container) },
	{ "follow", Q(follow) },
	{ "tailLines", Q(tail_lines) },
	{ "sinceSeconds", Q(since_seconds) },
	{ "sinceTime", Q(since_time) },
	{ "timestamps", Q(timestamps) },
	{ "previous", Q(previous) },
	{ "limitBytes", Q(limit_bytes) },
	{ "fieldValidation", Q(field_validation) },
	{ "pretty", Q(pretty) },
	{ NULL, 0 },
};
#undef Q

/* Remember a known parameter (borrowed value); unknown ones are ignored
 * as the real server ignores them. */
void sim_query_set(struct sim_query *q, const char *key, const char *value)
{
	if (!key)
		return;
	for (size_t i = 0; query_params[i].name; i++)
		if (strcmp(query_params[i].name, key) == 0) {
			*(const char **)((char *)q + query_params[i].off) =
				value ? value : "";
			return;
		}
}

/* Whether a query value means true. */
int sim_query_bool(const char *v)
{
	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
		     strcmp(v, "True") == 0 || strcmp(v, "t") == 0);
}

/* A bounded integer parameter: 1 parsed, 0 absent, -1 with 400. */
int sim_query_int(const char *name, const char *v, long long min, long long max,
		  long long *out, struct sim_status *st)
{
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end || end == v || x < min || x > max) {
		sim_status_bad_request(st, "invalid value for %s: \"%.64s\"", name, v);
		return -1;
	}
	*out = x;
	return 1;
}

/* ---- media types ---- */

int sim_media_is(const char *header, const char *type)
{
	if (!header)
		return 0;
	size_t n = strlen(type);
	const char *p = header;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncasecmp(p, type, n) == 0 &&
		    (p[n] == '\0' || p[n] == ';' || p[n] == ',' || p[n] == ' '))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* Does Accept ask for the meta.k8s.io Table form (first choice that is
 * not a plain type)? */
int sim_accept_table(const char *accept)
{
	return accept && strstr(accept, "as=Table") != NULL &&
	       strstr(accept, "g=meta.k8s.io") != NULL;
}

/* ---- continue tokens ---- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; caller frees. */
char *sim_base64(const void *data, size_t n)
{
	const char *in = data;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Base64 (standard or URL alphabet, padding optional); NULL when bad. */
static char *b64_decode(const char *in, size_t *outlen)
{
	size_t n = strlen(in);
	char *out = xmalloc(n * 3 / 4 + 4);
	size_t o = 0;
	unsigned v = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		int d;
		if (c == '=')
			break;
		if (c == '-')
			d = 62;
		else if (c == '_')
			d = 63;
		else {
			const char *p = strchr(b64, c);
			if (!p || !c) {
				free(out);
				return NULL;
			}
			d = (int)(p - b64);
		}
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* The real server's token: base64 of {"v":"meta.k8s.io/v1","rv":N,
 * "start":"KEY\u0000"}, KEY the next object's key under the list. */
char *sim_continue_encode(unsigned long long rv, const char *key)
{
	json_t *t = json_object();
	json_object_set_new(t, "v", json_string("meta.k8s.io/v1"));
	json_object_set_new(t, "rv", json_integer((json_int_t)rv));
	size_t n = strlen(key);
	char *start = xmalloc(n + 2);
	memcpy(start, key, n + 1);
	json_object_set_new(t, "start", json_stringn(start, n + 1));
	free(start);
	char *txt = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	char *tok = sim_base64(txt, strlen(txt));
	free(txt);
	/* The real server uses unpadded URL-safe base64 (RawURLEncoding). */
	for (char *p = tok; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	char *pad = strchr(tok, '=');
	if (pad)
		*pad = '\0';
	return tok;
}

/* The resourceVersion and start key of a continue token; 400 when bad. */
int sim_continue_decode(const char *tok, unsigned long long *rv, char *key,
			size_t keyn, struct sim_status *st)
{
	size_t len;
	char *txt = tok ? b64_decode(tok, &len) : NULL;
	json_t *t = txt ? json_loadb(txt, len, JSON_ALLOW_NUL, NULL) : NULL;
	free(txt);
	const char *v = json_string_value(json_object_get(t, "v"));
	json_t *jrv = json_object_get(t, "rv");
	json_t *js = json_object_get(t, "start");
	if (!v || strcmp(v, "meta.k8s.io/v1") != 0 || !json_is_integer(jrv) ||
	    json_integer_value(jrv) < 0 || !json_is_string(js) ||
	    json_string_length(js) == 0 || json_string_length(js) >= keyn) {
		json_decref(t);
		sim_status_bad_request(st, "continue key is not valid: incorrect "
					   "encoded start resourceVersion (version "
					   "meta.k8s.io/v1)");
		return -1;
	}
	*rv = (unsigned long long)json_integer_value(jrv);
	/* Drop the trailing NUL the real server appends. */
	size_t n = json_string_length(js);
	memcpy(key, json_string_value(js), n);
	key[n] = '\0';
	if (n && key[n - 1] == '\0')
		n--;
	key[n] = '\0';
	json_decref(t);
	return 0;
}
