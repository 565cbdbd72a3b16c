/*
 * transport.c - the client: one resolved connection turned into configured
 * libcurl easy handles.
 *
 * TLS is verified by default; the CA, the client certificate and key go to
 * libcurl as in-memory blobs, never to disk. tls-server-name is honoured by
 * addressing the server by that name and connecting to the real host
 * (CURLOPT_CONNECT_TO), so SNI and certificate checks both use it. Bearer
 * tokens come from the kubeconfig, from tokenFile (read again for every
 * transfer, since service-account tokens rotate) or from an exec plugin
 * (cached until it expires or the server answers 401 to it; a 401 to an
 * older credential leaves a newer one be, so a burst of 401s runs the
 * plugin once). The debug log
 * (-v FILE) shows requests and responses with credentials removed.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_FILE_MAX (64u << 10)
#define CONNECT_TIMEOUT_MS 30000L
#define LOG_BODY_MAX 2048

struct kube_client {
	struct kube_conn *conn;
	long timeout_ms;
	FILE *log;
	char *base_url;                /* server, host replaced by tls-server-name */
	struct curl_slist *connect_to; /* tls-server-name -> the real host */
	char *warning;
	struct kube_exec_cred exec;    /* cached exec credential */
	int have_exec;
	unsigned long long cred_gen;   /* bumped each time the plugin runs */
	CURLSH *share;                 /* connections and TLS sessions reused */
};

struct kube_client *kube_client_new(struct kube_conn *conn, const struct kube_client_opts *o,
				    struct perr *e)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct kube_client *c = xcalloc(1, sizeof *c);
	c->conn = conn;
	c->timeout_ms = o ? o->timeout_ms : 0;
	/* Synchronous requests one after another (the pages of a LIST) reuse
	 * one connection instead of a TLS handshake each, as kubectl does. */
	c->share = curl_share_init();
	if (c->share) {
		curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
		curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	}
	if (strncmp(conn->server, "https://", 8) != 0 && strncmp(conn->server, "http://", 7) != 0) {
		perr_set(e, "server \"%s\" of cluster \"%s\" is not an http(s) URL", conn->server,
			 conn->cluster);
		goto fail;
	}
	c->base_url = xstrdup(conn->server);
	if (conn->tls_server_name && *conn->tls_server_name) {
		CURLU *u = curl_url();
		char *host = NULL, *port = NULL, *url = NULL;
		int ok = curl_url_set(u, CURLUPART_URL, conn->server, 0) == CURLUE_OK &&
			 curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
			 curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
			 curl_url_set(u, CURLUPART_HOST, conn->tls_server_name, 0) == CURLUE_OK &&
			 curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK;
		if (ok) {
			free(c->base_url);
			size_t n = strlen(url);
			while (n > 0 && url[n - 1] == '/')
				n--;
			c->base_url = xstrndup(url, n);
			char *ct = xasprintf("%s:%s:%s:%s", conn->tls_server_name, port, host, port);
			c->connect_to = curl_slist_append(NULL, ct);
			free(ct);
		}
		curl_free(host);
		curl_free(port);
		curl_free(url);
		curl_url_cleanup(u);
		if (!ok) {
			perr_set(e, "cannot use tls-server-name \"%s\" with server %s",
				 conn->tls_server_name, conn->server);
			goto fail;
		}
	}
	if (conn->insecure)
		c->warning = xasprintf("insecure-skip-tls-verify is set for cluster \"%s\": the "
				       "server's certificate is not checked", conn->cluster);
	if (o && o->log_file) {
		/* The log holds responses (config maps, names): the user's eyes only. */
		int fd = open(o->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		c->log = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!c->log) {
			if (fd >= 0)
				close(fd);
			perr_set(e, "cannot open the log file %s", o->log_file);
			goto fail;
		}
	}
	return c;
fail:
	kube_client_free(c);
	return NULL;
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	kube_conn_free(c->conn);
	if (c->log)
		fclose(c->log);
	free(c->base_url);
	curl_slist_free_all(c->connect_to);
	free(c->warning);
	kube_exec_cred_clear(&c->exec);
	if (c->share)
		curl_share_cleanup(c->share);
	free(c);
	curl_global_cleanup();
}

const struct kube_conn *kube_client_conn(const struct kube_client *c)
{
	return c->conn;
}

const char *kube_client_warning(const struct kube_client *c)
{
	return c ? c->warning : NULL;
}

/* ---- the debug log ---- */

/* Header lines that carry credentials. */
static int log_secret_header(const char *line, size_t n)
{
	static const char *const names[] = { "authorization:", "proxy-authorization:", "cookie:",
					     "set-cookie:", NULL };
	for (int i = 0; names[i]; i++) {
		size_t k = strlen(names[i]);
		if (n >= k && strncasecmp(line, names[i], k) == 0)
			return 1;
	}
	return 0;
}

static void log_lines(FILE *f, const char *prefix, const char *data, size_t n, int headers)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && data[j] != '\n')
			j++;
		size_t len = j - i;
		while (len > 0 && data[i + len - 1] == '\r')
			len--;
		if (headers && log_secret_header(data + i, len)) {
			const char *colon = memchr(data + i, ':', len);
			fprintf(f, "%s%.*s: <redacted>\n", prefix, (int)(colon - (data + i)), data + i);
		} else if (len) {
			char *s = sanitize_text(data + i, len, 0);
			fprintf(f, "%s%s\n", prefix, s);
			free(s);
		}
		i = j + 1;
	}
}

static int log_debug(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
	struct kube_easy *x = arg;
	FILE *f = x->client->log;
	/* Bodies of Secrets and of anything sent to them stay out of the log. */
	int secret = strstr(x->url, "/secrets") != NULL;
	(void)h;
	switch (type) {
	case CURLINFO_TEXT:
		log_lines(f, "* ", data, n, 0);
		break;
	case CURLINFO_HEADER_OUT:
		log_lines(f, "> ", data, n, 1);
		break;
	case CURLINFO_HEADER_IN:
		log_lines(f, "< ", data, n, 1);
		break;
	case CURLINFO_DATA_OUT:
	case CURLINFO_DATA_IN: {
		const char *dir = type == CURLINFO_DATA_OUT ? "sent" : "received";
		if (secret) {
			fprintf(f, "  [%zu bytes %s, not logged: secret]\n", n, dir);
		} else {
			char *s = sanitize_text(data, n < LOG_BODY_MAX ? n : LOG_BODY_MAX, 0);
			fprintf(f, "  [%zu bytes %s] %s%s\n", n, dir, s, n > LOG_BODY_MAX ? "..." : "");
			free(s);
		}
		break;
	}
	default:
		break;
	}
	fflush(f);
	return 0;
}

/* ---- credentials ---- */

/* Read tokenFile now: its content is the token, surrounding space cut. */
static char *client_token_file(struct kube_client *c, struct perr *e)
{
	char *t = NULL;
	size_t n;
	struct perr fe = { { 0 } };
	if (read_file(c->conn->token_file, TOKEN_FILE_MAX, &t, &n, &fe) < 0) {
		perr_set(e, "cannot read the tokenFile of user \"%s\": %s", c->conn->user, fe.msg);
		return NULL;
	}
	char *s = t;
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	char *tok = xstrndup(s, len);
	memset(t, 0, n);
	free(t);
	return tok;
}

/* Make sure the exec credential is there and not expired. */
static int client_exec(struct kube_client *c, struct perr *e)
{
	if (c->have_exec && (!c->exec.expires || (long long)time(NULL) < c->exec.expires))
		return 0;
	kube_exec_cred_clear(&c->exec);
	c->have_exec = 0;
	if (kube_exec_run(c->conn, &c->exec, e) < 0)
		return -1;
	c->have_exec = 1;
	c->cred_gen++;
	return 0;
}

/* Put the credentials on x. */
static int client_auth(struct kube_client *c, struct kube_easy *x, struct perr *e)
{
	const struct kube_conn *k = c->conn;
	char *token = NULL;
	const char *cert = k->cert, *key = k->key;
	size_t cert_len = k->cert_len, key_len = k->key_len;
	if (k->exec) {
		if (client_exec(c, e) < 0)
			return -1;
		x->cred_gen = c->cred_gen;
		if (c->exec.token)
			token = xstrdup(c->exec.token);
		if (c->exec.cert) {
			cert = c->exec.cert;
			cert_len = c->exec.cert_len;
			key = c->exec.key;
			key_len = c->exec.key_len;
		}
	}
	if (!token && k->token_file) {
		token = client_token_file(c, e);
		if (!token)
			return -1;
	}
	if (!token && k->token && *k->token)
		token = xstrdup(k->token);
	if (token) {
		char *h = xasprintf("Authorization: Bearer %s", token);
		x->headers = curl_slist_append(x->headers, h);
		memset(h, 0, strlen(h));
		memset(token, 0, strlen(token));
		free(h);
		free(token);
	} else if (k->username && *k->username) {
		curl_easy_setopt(x->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(x->curl, CURLOPT_USERNAME, k->username);
		curl_easy_setopt(x->curl, CURLOPT_PASSWORD, k->password ? k->password : "");
	}
	if (cert && key) {
		struct curl_blob cb = { (void *)cert, cert_len, CURL_BLOB_COPY };
		struct curl_blob kb = { (void *)key, key_len, CURL_BLOB_COPY };
		curl_easy_setopt(x->curl, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(x->curl, CURLOPT_SSLCERT_BLOB, &cb);
		curl_easy_setopt(x->curl, CURLOPT_SSLKEYTYPE, "PEM");
		curl_easy_setopt(x->curl, CURLOPT_SSLKEY_BLOB, &kb);
	}
	return 0;
}

/* ---- transfers ---- */

struct kube_easy *kube_easy_new(struct kube_client *c, const char *method, const char *path,
				const char *query, const char *accept, struct perr *e)
{
	struct kube_easy *x = xcalloc(1, sizeof *x);
	x->client = c;
	x->curl = curl_easy_init();
	if (!x->curl) {
		perr_set(e, "cannot start a transfer (libcurl)");
		free(x);
		return NULL;
	}
	x->url = xasprintf("%s%s%s%s", c->base_url, path, query && *query ? "?" : "",
			   query && *query ? query : "");
	CURL *h = x->curl;
	curl_easy_setopt(h, CURLOPT_URL, x->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "podium/" PODIUM_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	long ct = c->timeout_ms && c->timeout_ms < CONNECT_TIMEOUT_MS ? c->timeout_ms : CONNECT_TIMEOUT_MS;
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ct);
	if (method && strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (c->connect_to)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
	if (c->conn->proxy_url)
		curl_easy_setopt(h, CURLOPT_PROXY, c->conn->proxy_url);
	else
		curl_easy_setopt(h, CURLOPT_NOPROXY, ""); /* proxy-url alone decides, not http_proxy */
	if (c->conn->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->conn->ca) {
		struct curl_blob b = { c->conn->ca, c->conn->ca_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	}
	char *ah = xasprintf("Accept: %s", accept ? accept : "application/json");
	x->headers = curl_slist_append(x->headers, ah);
	free(ah);
	if (client_auth(c, x, e) < 0) {
		kube_easy_free(x);
		return NULL;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
	if (c->log) {
		fprintf(c->log, "* %s %s\n", method ? method : "GET", x->url);
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, log_debug);
		curl_easy_setopt(h, CURLOPT_DEBUGDATA, x);
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	}
	return x;
}

void kube_easy_free(struct kube_easy *x)
{
	if (!x)
		return;
	if (x->curl)
		curl_easy_cleanup(x->curl);
	/* The Authorization header holds the token: wipe before freeing. */
	for (struct curl_slist *s = x->headers; s; s = s->next)
		memset(s->data, 0, strlen(s->data));
	curl_slist_free_all(x->headers);
	free(x->url);
	free(x);
}

/* The host of a server URL ("https://h:443/x" -> "h") into buf. */
static void url_host(const char *url, char *buf, size_t n)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t len = p[0] == '[' ? strcspn(p, "]") + 1 : strcspn(p, ":/");
	snprintf(buf, n, "%.*s", (int)len, p);
}

/* The curl failure in the words a person can act on. */
static void easy_curl_error(struct kube_easy *x, CURLcode rc, struct perr *e)
{
	const struct kube_conn *k = x->client->conn;
	const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		perr_set(e, "cannot reach the server %s (context \"%s\"): host not found: %s",
			 k->server, k->context, detail);
		break;
	case CURLE_COULDNT_CONNECT:
		perr_set(e, "cannot reach the server %s (context \"%s\"): %s — is the cluster running?",
			 k->server, k->context, detail);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		/* A wrong name or date is not a CA problem: say what to check. */
		if (strstr(detail, "subject name") || strstr(detail, "host name")) {
			char host[256];
			url_host(k->server, host, sizeof host);
			perr_set(e, "the certificate of server %s is not for %s: %s "
				    "(check server and tls-server-name of cluster \"%s\" in %s)",
				 k->server, k->tls_server_name ? k->tls_server_name : host,
				 detail, k->cluster, k->source ? k->source : "the kubeconfig");
			break;
		}
		if (strstr(detail, "expired") || strstr(detail, "not yet valid")) {
			perr_set(e, "the certificate of server %s is out of its validity dates: %s "
				    "(the server's certificate needs renewing, or this machine's clock is wrong)",
				 k->server, detail);
			break;
		}
		perr_set(e, "the certificate of server %s does not verify against %s: %s "
			    "(check certificate-authority of cluster \"%s\" in %s)",
			 k->server, k->ca ? "the cluster's certificate-authority" : "the system's certificate authorities",
			 detail, k->cluster, k->source ? k->source : "the kubeconfig");
		break;
	case CURLE_SSL_CERTPROBLEM:
		perr_set(e, "the client certificate of user \"%s\" is not usable: %s", k->user, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		perr_set(e, "TLS handshake with %s failed: %s", k->server, detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		perr_set(e, "timed out waiting for %s: %s", x->url, detail);
		break;
	case CURLE_WRITE_ERROR:
		perr_set(e, "the answer from %s was too large or could not be stored", x->url);
		break;
	default:
		perr_set(e, "request to %s failed: %s", x->url, detail);
		break;
	}
}

int kube_easy_check(struct kube_easy *x, CURLcode rc, const char *body, size_t len, struct perr *e)
{
	if (rc != CURLE_OK) {
		easy_curl_error(x, rc, e);
		return -1;
	}
	long status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return 0;
	const struct kube_conn *k = x->client->conn;
	if (status == 401) {
		/* The credential is stale or wrong: fetch a new one next time.
		 * Only if it is the one x was sent with: when many requests
		 * sent with an old credential come back 401 together, the
		 * first has the plugin run again and the rest reuse that
		 * fresh credential instead of running it once each. */
		if (x->cred_gen == x->client->cred_gen) {
			kube_exec_cred_clear(&x->client->exec);
			x->client->have_exec = 0;
		}
		if (k->user && *k->user)
			perr_set(e, "Unauthorized: the server rejected the credentials of user \"%s\" in context \"%s\"",
				 k->user, k->context);
		else
			perr_set(e, "Unauthorized: the server wants credentials, and context \"%s\" has no user",
				 k->context);
		return -1;
	}
	char *msg = kube_apierror_text(status, body, len, 0);
	perr_set(e, "%s", msg);
	free(msg);
	return -1;
}

int kube_easy_reauth(struct kube_easy *x, struct perr *e)
{
	/* Every header but the old Authorization is kept (Accept, a body's
	 * Content-Type); the old token is wiped as kube_easy_free wipes it. */
	struct curl_slist *kept = NULL;
	static const char auth[] = "authorization:";
	for (struct curl_slist *s = x->headers; s; s = s->next)
		if (strncasecmp(s->data, auth, sizeof auth - 1) != 0)
			kept = curl_slist_append(kept, s->data);
	for (struct curl_slist *s = x->headers; s; s = s->next)
		memset(s->data, 0, strlen(s->data));
	curl_slist_free_all(x->headers);
	x->headers = kept;
	x->errbuf[0] = '\0';
	int rc = client_auth(x->client, x, e);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->headers);
	return rc;
}

/* Whether a 401 is worth one retry: the credential may have changed. */
int kube_client_can_refresh(const struct kube_client *c)
{
	return c->conn->exec || c->conn->token_file;
}

long kube_client_timeout(const struct kube_client *c)
{
	return c->timeout_ms;
}

void kube_easy_share(struct kube_easy *x)
{
	if (x->client->share)
		curl_easy_setopt(x->curl, CURLOPT_SHARE, x->client->share);
}
