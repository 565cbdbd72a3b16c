/*
 * server.h - internal to kube/sim: what the HTTP server's files share (the
 * parsed request, the response being built, the handlers). Code outside
 * kube/sim uses sim.h.
 */
#ifndef PODIUM_SIM_SERVER_H
#define PODIUM_SIM_SERVER_H

#include <stddef.h>

#include "kube/sim/sim_impl.h"

/* Request bodies past this are refused with 413, as the real server does
 * (3 MiB). */
#define SIM_MAX_BODY (3u * 1024 * 1024)

enum sim_route_type {
	SIM_ROUTE_NONE,
	SIM_ROUTE_VERSION,
	SIM_ROUTE_HEALTH,
	SIM_ROUTE_API,       /* /api */
	SIM_ROUTE_APIS,      /* /apis */
	SIM_ROUTE_GROUP,     /* /apis/GROUP */
	SIM_ROUTE_RESOURCES, /* /api/v1, /apis/GROUP/VERSION */
	SIM_ROUTE_OPENAPI_V2,
	SIM_ROUTE_OPENAPI_V3_INDEX,
	SIM_ROUTE_OPENAPI_V3,
	SIM_ROUTE_FAULTS,     /* /sim/v1/faults */
	SIM_ROUTE_COLLECTION, /* .../[namespaces/NS/]PLURAL */
	SIM_ROUTE_OBJECT,     /* .../PLURAL/NAME[/SUB[/REST]] */
};

/* What a request path names. */
struct sim_route {
	int type;
	char group[64];
	char version[16];
	const struct sim_kind *kind;
	int has_ns;
	char ns[254];
	char name[254];
	char sub[16];     /* "", "status", "scale", "log", "proxy" */
	char rest[1024];  /* the proxied path, after .../proxy */
	char gv_path[96]; /* openapi v3: "api/v1", "apis/apps/v1" */
};

/* Parse a (decoded) URL path. 0, or -1 with a 404 Status in st. */
int sim_route_parse(const char *path, struct sim_route *r,
		    struct sim_status *st);

/* The query parameters the server understands; values borrowed from the
 * request, NULL when absent. */
struct sim_query {
	const char *label_selector, *field_selector, *limit, *cont, *watch, *rv,
		*rv_match, *timeout_seconds, *bookmarks, *propagation, *grace,
		*field_manager, *force, *dry_run, *include_object, *container,
		*follow, *tail_lines, *since_seconds, *since_time, *timestamps,
		*previous, *limit_bytes, *field_validation, *pretty;
};

void sim_query_set(struct sim_query *q, const char *key, const char *value);
/* "true"/"1" */
int sim_query_bool(const char *v);
/* Parse an integer parameter in [min,max]: 1 parsed into *out, 0 absent,
 * -1 with a 400 in st. */
int sim_query_int(const char *name, const char *v, long long min,
		  long long max, long long *out, struct sim_status *st);

/* Whether a media-type list (Accept, Content-Type) holds type. */
int sim_media_is(const char *header, const char *type);
int sim_accept_table(const char *accept);

/* Continue tokens in the real server's format. Encode: caller frees. */
char *sim_continue_encode(unsigned long long rv, const char *key);
int sim_continue_decode(const char *tok, unsigned long long *rv, char *key,
			size_t keyn, struct sim_status *st);

/* A body in application/vnd.kubernetes.protobuf (what kubectl's typed
 * clients send) as the JSON object. New reference, or NULL with st. */
json_t *sim_protobuf_decode(const char *body, size_t len, struct sim_status *st);

/* Standard base64 with padding; caller frees. */
char *sim_base64(const void *data, size_t n);

/* Decode a request body of content type ctype (JSON or YAML) into a JSON
 * value. New reference, or NULL with a 400/415 in st. */
json_t *sim_body_decode(const char *ctype, const char *body, size_t len,
			struct sim_status *st);

/* A response being built by a handler. */
struct sim_resp {
	int code;
	char *body; /* owned */
	size_t len;
	const char *ctype;
	long long retry_after; /* seconds; 0: no Retry-After */
	json_t *warnings;      /* strings for Warning headers, or NULL; owned */
	int pretty;            /* indent JSON (curl, browsers, ?pretty=true) */
	/* Streaming (watch, log -f): the server calls next until it returns
	 * -1 (the end) or SIM_STREAM_CUT (the connection is cut, as a proxy
	 * or a restarting server cuts it: no end of the chunked body), then
	 * done. */
	void *stream;
	long (*next)(void *stream, char *buf, size_t max);
	void (*done)(void *stream);
};

/* Set the response to a JSON value (takes ownership of j). */
void sim_resp_json(struct sim_resp *r, int code, json_t *j);
#define SIM_STREAM_CUT (-2)
/* Set the response to the Status in st. */
void sim_resp_status(struct sim_resp *r, const struct sim_status *st);

/* Everything a handler sees of a request. */
struct sim_request {
	struct sim *sim;
	const char *method;
	const char *path;
	struct sim_route route;
	struct sim_query q;
	const char *accept;
	const char *ctype;
	const char *body;
	size_t body_len;
	const char *user; /* authenticated user */
	const char *server_addr; /* "127.0.0.1:PORT" */
	const char *user_agent;
	int dry; /* dryRun=All: check and answer, store nothing */
	int client_fd;           /* the client's socket, or -1 */
};

/* Discovery (discovery.c): /version, /api, /apis, group lists, resource
 * lists, health. */
void sim_discovery_handle(struct sim_request *rq, struct sim_resp *r);
/* /openapi/v2 in protobuf (openapi_pb.c). */
void sim_openapi_v2_pb_resp(struct sim_resp *r);
/* The Kubernetes API proper (api.c). */
void sim_api_handle(struct sim_request *rq, struct sim_resp *r);
/* Pod logs (logs.c): text, or a stream with follow=true. */
void sim_api_logs(struct sim_request *rq, struct sim_resp *r);
/* The service and pod proxy (modelpod.c): model pods answer with the
 * model server, anything else refuses the connection. */
void sim_api_proxy(struct sim_request *rq, struct sim_resp *r);
/* Watches (watch.c): a streaming response for a watch request. */
void sim_api_watch(struct sim_request *rq, struct sim_resp *r);

/* Certificates for TLS (tls.c): a CA, a server certificate for
 * 127.0.0.1 and localhost, and a client certificate for the admin user
 * (CN admin, O system:masters), made with GnuTLS at start. PEM strings,
 * owned. */
struct sim_tls {
	char *ca_cert, *ca_key;
	char *server_cert, *server_key;
	char *client_cert, *client_key;
};

int sim_tls_make(struct sim_tls *t, struct perr *e);
void sim_tls_free(struct sim_tls *t);

/* Write the kubeconfig for url (mode 0600): CA data when tls, the bearer
 * token when given, else the client certificate when tls. */
int sim_kubeconfig_write(const char *path, const char *url,
			 const struct sim_tls *tls, const char *token,
			 int client_cert, struct perr *e);

#endif
