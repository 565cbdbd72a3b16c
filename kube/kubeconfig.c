/*
 * kubeconfig.c - reading kubeconfig files as kubectl reads them.
 *
 * Files are parsed with libyaml into a document tree and merged by
 * client-go's rules (clientcmd/loader.go): for clusters, users and contexts
 * the first file to define a name keeps the whole entry; current-context is
 * the first non-empty one. Relative paths are resolved against the
 * directory of the file that names them. With no configuration at all,
 * the in-cluster service account becomes one context named "in-cluster".
 * Resolving a context reads certificate files; token files and exec
 * plugins are left to request time (transport.c), because both change.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

/* Certificates, keys and tokens are small; a kubeconfig bigger than this
 * is not one. */
#define KC_MAX_FILE (4u << 20)
#define KC_MAX_CERT (1u << 20)

#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

struct kc_cluster {
	char *name;
	char *server;
	char *ca_file;
	char *ca_data;
	size_t ca_data_len;
	char *tls_server_name;
	char *proxy_url;
	int insecure;
};

struct kc_user {
	char *name;
	char *token;
	char *token_file;
	char *cert_file;
	char *cert_data;
	size_t cert_data_len;
	char *key_file;
	char *key_data;
	size_t key_data_len;
	char *username;
	char *password;
	char *auth_provider; /* named only, to refuse it clearly */
	struct kube_exec_conf *exec;
};

struct kc_context {
	char *name;
	char *cluster;
	char *user;
	char *namespace;
};

struct kube_config {
	struct kc_cluster *clusters;
	size_t nclusters;
	struct kc_user *users;
	size_t nusers;
	struct kc_context *contexts;
	size_t ncontexts;
	const char **context_names; /* borrowed from contexts[] */
	char *current;
	struct dbuf sources; /* "a:b" for messages */
};

/* Where one parse is: the file for messages and relative paths. */
struct kc_parse {
	const char *path;
	char *dir; /* with trailing '/', or "" */
	yaml_document_t *doc;
	struct perr *e;
};

struct kube_config *kube_config_new(void)
{
	struct kube_config *cfg = xcalloc(1, sizeof *cfg);
	dbuf_init(&cfg->sources, 0);
	return cfg;
}

void kube_exec_conf_free(struct kube_exec_conf *x)
{
	if (!x)
		return;
	free(x->api_version);
	free(x->command);
	for (char **p = x->args; p && *p; p++)
		free(*p);
	free(x->args);
	for (char **p = x->env; p && *p; p++)
		free(*p);
	free(x->env);
	free(x->install_hint);
	free(x->interactive_mode);
	free(x);
}

static void kc_cluster_clear(struct kc_cluster *c)
{
	free(c->name);
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	free(c->tls_server_name);
	free(c->proxy_url);
}

static void kc_user_clear(struct kc_user *u)
{
	free(u->name);
	free(u->token);
	free(u->token_file);
	free(u->cert_file);
	free(u->cert_data);
	free(u->key_file);
	free(u->key_data);
	free(u->username);
	free(u->password);
	free(u->auth_provider);
	kube_exec_conf_free(u->exec);
}

static void kc_context_clear(struct kc_context *c)
{
	free(c->name);
	free(c->cluster);
	free(c->user);
	free(c->namespace);
}

void kube_config_free(struct kube_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nclusters; i++)
		kc_cluster_clear(&cfg->clusters[i]);
	for (size_t i = 0; i < cfg->nusers; i++)
		kc_user_clear(&cfg->users[i]);
	for (size_t i = 0; i < cfg->ncontexts; i++)
		kc_context_clear(&cfg->contexts[i]);
	free(cfg->clusters);
	free(cfg->users);
	free(cfg->contexts);
	free(cfg->context_names);
	free(cfg->current);
	dbuf_free(&cfg->sources);
	free(cfg);
}

/* ---- the YAML tree ---- */

static void kc_err(struct kc_parse *p, yaml_node_t *n, const char *what)
{
	perr_set(p->e, "kubeconfig %s, line %zu, column %zu: %s", p->path,
		 n ? n->start_mark.line + 1 : 1, n ? n->start_mark.column + 1 : 1,
		 what);
}

static yaml_node_t *kc_node(struct kc_parse *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

/* The value under key in mapping n, or NULL. */
static yaml_node_t *kc_get(struct kc_parse *p, yaml_node_t *n, const char *key)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = kc_node(p, pr->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return kc_node(p, pr->value);
	}
	return NULL;
}

/* A null node: `key:` or `key: null` or `~`. */
static int kc_is_null(yaml_node_t *n)
{
	if (!n)
		return 1;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || strcmp(v, "null") == 0 || strcmp(v, "~") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* The string under key (a new copy in *out, replacing nothing already
 * there); -1 when it is not a scalar. */
static int kc_str(struct kc_parse *p, yaml_node_t *map, const char *key, char **out)
{
	yaml_node_t *n = kc_get(p, map, key);
	if (kc_is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s must be a string", key);
		kc_err(p, n, msg);
		return -1;
	}
	free(*out);
	*out = xstrndup((const char *)n->data.scalar.value, n->data.scalar.length);
	return 0;
}

/* A path: relative ones are taken from the file's directory. */
static int kc_path(struct kc_parse *p, yaml_node_t *map, const char *key, char **out)
{
	if (kc_str(p, map, key, out) < 0)
		return -1;
	if (*out && **out && **out != '/' && p->dir[0]) {
		char *abs = xasprintf("%s%s", p->dir, *out);
		free(*out);
		*out = abs;
	}
	return 0;
}

static int kc_bool(struct kc_parse *p, yaml_node_t *map, const char *key, int *out)
{
	yaml_node_t *n = kc_get(p, map, key);
	if (kc_is_null(n))
		return 0;
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	if (n->type == YAML_SCALAR_NODE) {
		const char *v = (const char *)n->data.scalar.value;
		for (int i = 0; yes[i]; i++) {
			if (strcasecmp(v, yes[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcasecmp(v, no[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	char msg[128];
	snprintf(msg, sizeof msg, "%s must be true or false", key);
	kc_err(p, n, msg);
	return -1;
}

/* *-data fields: base64 of PEM. */
static int kc_data(struct kc_parse *p, yaml_node_t *map, const char *key,
		   char **out, size_t *len)
{
	char *b64 = NULL;
	if (kc_str(p, map, key, &b64) < 0)
		return -1;
	if (!b64)
		return 0;
	char *bin = kube_base64_decode(b64, strlen(b64), len);
	free(b64);
	if (!bin) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s is not valid base64", key);
		kc_err(p, kc_get(p, map, key), msg);
		return -1;
	}
	free(*out);
	*out = bin;
	return 0;
}

/* A NULL-terminated list of strings from a sequence of scalars. */
static int kc_strlist(struct kc_parse *p, yaml_node_t *map, const char *key, char ***out)
{
	yaml_node_t *n = kc_get(p, map, key);
	if (kc_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		kc_err(p, n, "args must be a list of strings");
		return -1;
	}
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	char **v = xcalloc(cnt + 1, sizeof *v);
	size_t i = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *s = kc_node(p, *it);
		if (!s || s->type != YAML_SCALAR_NODE) {
			kc_err(p, s ? s : n, "args must be a list of strings");
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return -1;
		}
		v[i++] = xstrndup((const char *)s->data.scalar.value, s->data.scalar.length);
	}
	*out = v;
	return 0;
}

static int kc_exec(struct kc_parse *p, yaml_node_t *n, struct kube_exec_conf **out)
{
	if (n->type != YAML_MAPPING_NODE) {
		kc_err(p, n, "exec must be a mapping");
		return -1;
	}
	struct kube_exec_conf *x = xcalloc(1, sizeof *x);
	int rc = -1;
	if (kc_str(p, n, "apiVersion", &x->api_version) < 0 ||
	    kc_str(p, n, "command", &x->command) < 0 ||
	    kc_strlist(p, n, "args", &x->args) < 0 ||
	    kc_str(p, n, "installHint", &x->install_hint) < 0 ||
	    kc_str(p, n, "interactiveMode", &x->interactive_mode) < 0 ||
	    kc_bool(p, n, "provideClusterInfo", &x->provide_cluster_info) < 0)
		goto out;
	if (!x->command || !*x->command) {
		kc_err(p, n, "exec needs a command");
		goto out;
	}
	/* client-go resolves a relative command only when it has a slash;
	 * a bare name is looked up in PATH. */
	if (x->command[0] != '/' && strchr(x->command, '/') && p->dir[0]) {
		char *abs = xasprintf("%s%s", p->dir, x->command);
		free(x->command);
		x->command = abs;
	}
	yaml_node_t *env = kc_get(p, n, "env");
	if (!kc_is_null(env)) {
		if (env->type != YAML_SEQUENCE_NODE) {
			kc_err(p, env, "exec env must be a list of name/value pairs");
			goto out;
		}
		size_t cnt = (size_t)(env->data.sequence.items.top - env->data.sequence.items.start);
		x->env = xcalloc(cnt + 1, sizeof *x->env);
		size_t i = 0;
		for (yaml_node_item_t *it = env->data.sequence.items.start;
		     it < env->data.sequence.items.top; it++) {
			yaml_node_t *pair = kc_node(p, *it);
			char *name = NULL, *value = NULL;
			if (!pair || pair->type != YAML_MAPPING_NODE ||
			    kc_str(p, pair, "name", &name) < 0 ||
			    kc_str(p, pair, "value", &value) < 0 || !name) {
				kc_err(p, pair ? pair : env, "exec env entries need a name and a value");
				free(name);
				free(value);
				goto out;
			}
			x->env[i++] = xasprintf("%s=%s", name, value ? value : "");
			free(name);
			free(value);
		}
	}
	if (x->interactive_mode && strcmp(x->interactive_mode, "Never") != 0 &&
	    strcmp(x->interactive_mode, "IfAvailable") != 0 &&
	    strcmp(x->interactive_mode, "Always") != 0) {
		kc_err(p, kc_get(p, n, "interactiveMode"),
		       "interactiveMode must be Never, IfAvailable or Always");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		kube_exec_conf_free(x);
	else
		*out = x;
	return rc;
}

/* Iterate a named list (clusters, users, contexts): each item a mapping
 * with "name" and the body under body_key. fn fills one entry. */
typedef int (*kc_item_fn)(struct kc_parse *p, struct kube_config *cfg,
			  const char *name, yaml_node_t *body, yaml_node_t *item);

static int kc_list(struct kc_parse *p, struct kube_config *cfg, yaml_node_t *root,
		   const char *key, const char *body_key, kc_item_fn fn)
{
	yaml_node_t *n = kc_get(p, root, key);
	if (kc_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s must be a list", key);
		kc_err(p, n, msg);
		return -1;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = kc_node(p, *it);
		char *name = NULL;
		if (!item || item->type != YAML_MAPPING_NODE) {
			char msg[128];
			snprintf(msg, sizeof msg, "each entry of %s must be a mapping with a name", key);
			kc_err(p, item ? item : n, msg);
			return -1;
		}
		if (kc_str(p, item, "name", &name) < 0)
			return -1;
		if (!name || !*name) {
			char msg[128];
			snprintf(msg, sizeof msg, "an entry of %s has no name", key);
			kc_err(p, item, msg);
			free(name);
			return -1;
		}
		yaml_node_t *body = kc_get(p, item, body_key);
		if (!kc_is_null(body) && body->type != YAML_MAPPING_NODE) {
			char msg[128];
			snprintf(msg, sizeof msg, "%s of %s \"%s\" must be a mapping", body_key, key, name);
			kc_err(p, body, msg);
			free(name);
			return -1;
		}
		int rc = fn(p, cfg, name, kc_is_null(body) ? NULL : body, item);
		free(name);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static struct kc_cluster *kc_find_cluster(const struct kube_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nclusters; i++)
		if (strcmp(cfg->clusters[i].name, name) == 0)
			return &cfg->clusters[i];
	return NULL;
}

static struct kc_user *kc_find_user(const struct kube_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			return &cfg->users[i];
	return NULL;
}

static struct kc_context *kc_find_context(const struct kube_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ncontexts; i++)
		if (strcmp(cfg->contexts[i].name, name) == 0)
			return &cfg->contexts[i];
	return NULL;
}

static int kc_cluster_item(struct kc_parse *p, struct kube_config *cfg,
			   const char *name, yaml_node_t *b, yaml_node_t *item)
{
	(void)item;
	struct kc_cluster c = { 0 };
	int rc = -1;
	if (b && (kc_str(p, b, "server", &c.server) < 0 ||
		  kc_path(p, b, "certificate-authority", &c.ca_file) < 0 ||
		  kc_data(p, b, "certificate-authority-data", &c.ca_data, &c.ca_data_len) < 0 ||
		  kc_str(p, b, "tls-server-name", &c.tls_server_name) < 0 ||
		  kc_str(p, b, "proxy-url", &c.proxy_url) < 0 ||
		  kc_bool(p, b, "insecure-skip-tls-verify", &c.insecure) < 0))
		goto out;
	rc = 0;
	if (kc_find_cluster(cfg, name))
		goto out; /* an earlier file (or entry) set it: it wins */
	c.name = xstrdup(name);
	cfg->clusters = xrealloc(cfg->clusters, (cfg->nclusters + 1) * sizeof *cfg->clusters);
	cfg->clusters[cfg->nclusters++] = c;
	return 0;
out:
	kc_cluster_clear(&c);
	return rc;
}

static int kc_user_item(struct kc_parse *p, struct kube_config *cfg,
			const char *name, yaml_node_t *b, yaml_node_t *item)
{
	(void)item;
	struct kc_user u = { 0 };
	int rc = -1;
	if (b && (kc_str(p, b, "token", &u.token) < 0 ||
		  kc_path(p, b, "tokenFile", &u.token_file) < 0 ||
		  kc_path(p, b, "client-certificate", &u.cert_file) < 0 ||
		  kc_data(p, b, "client-certificate-data", &u.cert_data, &u.cert_data_len) < 0 ||
		  kc_path(p, b, "client-key", &u.key_file) < 0 ||
		  kc_data(p, b, "client-key-data", &u.key_data, &u.key_data_len) < 0 ||
		  kc_str(p, b, "username", &u.username) < 0 ||
		  kc_str(p, b, "password", &u.password) < 0))
		goto out;
	if (b) {
		yaml_node_t *ap = kc_get(p, b, "auth-provider");
		if (!kc_is_null(ap) && kc_str(p, ap, "name", &u.auth_provider) < 0)
			goto out;
		if (!kc_is_null(ap) && !u.auth_provider)
			u.auth_provider = xstrdup("(unnamed)");
		yaml_node_t *x = kc_get(p, b, "exec");
		if (!kc_is_null(x) && kc_exec(p, x, &u.exec) < 0)
			goto out;
	}
	rc = 0;
	if (kc_find_user(cfg, name))
		goto out;
	u.name = xstrdup(name);
	cfg->users = xrealloc(cfg->users, (cfg->nusers + 1) * sizeof *cfg->users);
	cfg->users[cfg->nusers++] = u;
	return 0;
out:
	kc_user_clear(&u);
	return rc;
}

/* Append a context (taking its strings) and keep the name list current. */
static void kc_push_context(struct kube_config *cfg, struct kc_context *c)
{
	cfg->contexts = xrealloc(cfg->contexts, (cfg->ncontexts + 1) * sizeof *cfg->contexts);
	cfg->contexts[cfg->ncontexts++] = *c;
	cfg->context_names = xrealloc(cfg->context_names,
				      (cfg->ncontexts + 1) * sizeof *cfg->context_names);
	for (size_t i = 0; i < cfg->ncontexts; i++)
		cfg->context_names[i] = cfg->contexts[i].name;
	cfg->context_names[cfg->ncontexts] = NULL;
}

static int kc_context_item(struct kc_parse *p, struct kube_config *cfg,
			   const char *name, yaml_node_t *b, yaml_node_t *item)
{
	(void)item;
	struct kc_context c = { 0 };
	int rc = -1;
	if (b && (kc_str(p, b, "cluster", &c.cluster) < 0 ||
		  kc_str(p, b, "user", &c.user) < 0 ||
		  kc_str(p, b, "namespace", &c.namespace) < 0))
		goto out;
	rc = 0;
	if (kc_find_context(cfg, name))
		goto out;
	c.name = xstrdup(name);
	kc_push_context(cfg, &c);
	return 0;
out:
	kc_context_clear(&c);
	return rc;
}

static void kc_add_source(struct kube_config *cfg, const char *path)
{
	if (cfg->sources.len)
		dbuf_puts(&cfg->sources, ":");
	dbuf_puts(&cfg->sources, path);
}

int kube_config_parse(struct kube_config *cfg, const char *path,
		      const char *text, size_t len, struct perr *e)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int have_doc = 0, rc = -1;
	struct kc_parse p = { .path = path, .e = e, .doc = &doc };
	const char *slash = strrchr(path, '/');
	p.dir = slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");

	if (!yaml_parser_initialize(&parser)) {
		perr_set(e, "kubeconfig %s: cannot start the YAML parser", path);
		free(p.dir);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.context)
			perr_set(e, "kubeconfig %s, line %zu, column %zu: %s %s (which began at line %zu, column %zu)",
				 path, parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				 parser.problem ? parser.problem : "invalid YAML", parser.context,
				 parser.context_mark.line + 1, parser.context_mark.column + 1);
		else
			perr_set(e, "kubeconfig %s, line %zu, column %zu: %s", path,
				 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				 parser.problem ? parser.problem : "invalid YAML");
		goto out;
	}
	have_doc = 1;
	kc_add_source(cfg, path);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || kc_is_null(root)) { /* an empty file is an empty config */
		rc = 0;
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		kc_err(&p, root, "a kubeconfig is a mapping (apiVersion, kind, clusters, users, contexts)");
		goto out;
	}
	char *cur = NULL;
	if (kc_str(&p, root, "current-context", &cur) < 0)
		goto out;
	if (cur && *cur && !cfg->current)
		cfg->current = cur;
	else
		free(cur);
	if (kc_list(&p, cfg, root, "clusters", "cluster", kc_cluster_item) < 0 ||
	    kc_list(&p, cfg, root, "users", "user", kc_user_item) < 0 ||
	    kc_list(&p, cfg, root, "contexts", "context", kc_context_item) < 0)
		goto out;
	rc = 0;
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(p.dir);
	return rc;
}

/* ---- finding the files ---- */

static int kc_load_file(struct kube_config *cfg, const char *path, int must_exist,
			struct perr *e)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (!must_exist && errno == ENOENT)
			return 0;
		perr_set(e, "kubeconfig %s: %s", path, strerror(errno));
		return -1;
	}
	char *text;
	size_t len;
	if (read_file(path, KC_MAX_FILE, &text, &len, e) < 0)
		return -1;
	int rc = kube_config_parse(cfg, path, text, len, e);
	free(text);
	return rc;
}

static const char *kc_sa_dir(void)
{
	const char *d = getenv("PODIUM_SERVICEACCOUNT_DIR");
	return d && *d ? d : SA_DIR_DEFAULT;
}

/* The in-cluster service account as a context "in-cluster", as
 * rest.InClusterConfig builds it; 0 when not in a cluster. */
static int kc_in_cluster(struct kube_config *cfg)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!host || !*host || !port || !*port)
		return 0;
	const char *dir = kc_sa_dir();
	char *token = xasprintf("%s/token", dir);
	struct stat st;
	if (stat(token, &st) < 0) {
		free(token);
		return 0;
	}
	struct kc_cluster c = { 0 };
	c.name = xstrdup("in-cluster");
	/* net.JoinHostPort: brackets around IPv6 addresses */
	c.server = strchr(host, ':') ? xasprintf("https://[%s]:%s", host, port)
				     : xasprintf("https://%s:%s", host, port);
	c.ca_file = xasprintf("%s/ca.crt", dir);
	if (stat(c.ca_file, &st) < 0) {
		free(c.ca_file);
		c.ca_file = NULL;
	}
	struct kc_user u = { 0 };
	u.name = xstrdup("in-cluster");
	u.token_file = token;
	struct kc_context x = { 0 };
	x.name = xstrdup("in-cluster");
	x.cluster = xstrdup("in-cluster");
	x.user = xstrdup("in-cluster");
	char *nsfile = xasprintf("%s/namespace", dir), *ns = NULL;
	size_t nslen;
	struct perr ignore = { { 0 } };
	if (read_file(nsfile, 4096, &ns, &nslen, &ignore) == 0) {
		char *end = ns + strcspn(ns, " \t\r\n");
		*end = '\0';
		if (*ns)
			x.namespace = xstrdup(ns);
		free(ns);
	}
	free(nsfile);
	cfg->clusters = xrealloc(cfg->clusters, (cfg->nclusters + 1) * sizeof *cfg->clusters);
	cfg->clusters[cfg->nclusters++] = c;
	cfg->users = xrealloc(cfg->users, (cfg->nusers + 1) * sizeof *cfg->users);
	cfg->users[cfg->nusers++] = u;
	kc_push_context(cfg, &x);
	free(cfg->current);
	cfg->current = xstrdup("in-cluster");
	dbuf_reset(&cfg->sources);
	dbuf_printf(&cfg->sources, "the in-cluster service account (%s)", dir);
	return 1;
}

struct kube_config *kube_config_load(const struct kube_config_opts *o, struct perr *e)
{
	struct kube_config *cfg = kube_config_new();
	const char *env = getenv("KUBECONFIG");
	if (o && o->kubeconfig) {
		if (kc_load_file(cfg, o->kubeconfig, 1, e) < 0)
			goto fail;
		return cfg;
	}
	if (env && *env) {
		/* Every file in order; missing ones skipped, repeats read once. */
		char *list = xstrdup(env), *save = NULL;
		const char **seen = xcalloc(strlen(env) + 1, sizeof *seen);
		size_t nseen = 0;
		int rc = 0;
		for (char *f = strtok_r(list, ":", &save); f && rc == 0;
		     f = strtok_r(NULL, ":", &save)) {
			int dup = 0;
			for (size_t i = 0; i < nseen; i++)
				dup |= strcmp(seen[i], f) == 0;
			if (dup)
				continue;
			seen[nseen++] = f;
			rc = kc_load_file(cfg, f, 0, e);
		}
		free(seen);
		free(list);
		if (rc < 0)
			goto fail;
	} else {
		const char *home = getenv("HOME");
		if (home && *home) {
			char *path = xasprintf("%s/.kube/config", home);
			int rc = kc_load_file(cfg, path, 0, e);
			free(path);
			if (rc < 0)
				goto fail;
		}
	}
	if (cfg->nclusters == 0 && cfg->ncontexts == 0 && cfg->nusers == 0)
		kc_in_cluster(cfg);
	return cfg;
fail:
	kube_config_free(cfg);
	return NULL;
}

const char *kube_config_current(const struct kube_config *cfg)
{
	return cfg ? cfg->current : NULL;
}

const char *const *kube_config_contexts(const struct kube_config *cfg, size_t *n)
{
	static const char *const none[] = { NULL };
	*n = cfg ? cfg->ncontexts : 0;
	return cfg && cfg->context_names ? cfg->context_names : none;
}

/* "a, b, c" of the context names, for messages. Caller frees. */
static char *kc_context_list(const struct kube_config *cfg)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	for (size_t i = 0; i < cfg->ncontexts; i++)
		dbuf_printf(&b, "%s%s", i ? ", " : "", cfg->contexts[i].name);
	if (!b.len)
		dbuf_puts(&b, "none");
	return dbuf_take(&b);
}

static const char *kc_sources(const struct kube_config *cfg)
{
	return cfg->sources.len ? cfg->sources.p : "no kubeconfig file";
}

/* Read a PEM file named by the kubeconfig into *out. */
static int kc_read_pem(const char *path, const char *what, const char *owner,
		       char **out, size_t *len, struct perr *e)
{
	struct perr fe = { { 0 } };
	if (read_file(path, KC_MAX_CERT, out, len, &fe) < 0) {
		perr_set(e, "cannot read the %s of %s: %s", what, owner, fe.msg);
		return -1;
	}
	return 0;
}

static struct kube_exec_conf *kc_exec_copy(const struct kube_exec_conf *x)
{
	if (!x)
		return NULL;
	struct kube_exec_conf *c = xcalloc(1, sizeof *c);
	c->api_version = xstrdup(x->api_version);
	c->command = xstrdup(x->command);
	c->install_hint = xstrdup(x->install_hint);
	c->interactive_mode = xstrdup(x->interactive_mode);
	c->provide_cluster_info = x->provide_cluster_info;
	size_t n = 0;
	while (x->args && x->args[n])
		n++;
	c->args = xcalloc(n + 1, sizeof *c->args);
	for (size_t i = 0; i < n; i++)
		c->args[i] = xstrdup(x->args[i]);
	n = 0;
	while (x->env && x->env[n])
		n++;
	c->env = xcalloc(n + 1, sizeof *c->env);
	for (size_t i = 0; i < n; i++)
		c->env[i] = xstrdup(x->env[i]);
	return c;
}

static void *kc_memdup(const char *p, size_t n)
{
	char *c = xmalloc(n + 1);
	memcpy(c, p, n);
	c[n] = '\0';
	return c;
}

struct kube_conn *kube_config_resolve(const struct kube_config *cfg, const char *context,
				      const char *ns, struct perr *e)
{
	const char *name = context && *context ? context : cfg->current;
	if (!name) {
		if (cfg->ncontexts == 0)
			perr_set(e, "no configuration: no context in %s, and not in a cluster "
				    "(use --kubeconfig, KUBECONFIG or ~/.kube/config)", kc_sources(cfg));
		else {
			char *list = kc_context_list(cfg);
			perr_set(e, "current-context is not set in %s: choose one with --context (contexts: %s)",
				 kc_sources(cfg), list);
			free(list);
		}
		return NULL;
	}
	const struct kc_context *x = kc_find_context(cfg, name);
	if (!x) {
		char *list = kc_context_list(cfg);
		perr_set(e, "context \"%s\" not found in %s (contexts: %s)", name, kc_sources(cfg), list);
		free(list);
		return NULL;
	}
	const struct kc_cluster *cl = x->cluster ? kc_find_cluster(cfg, x->cluster) : NULL;
	if (!cl) {
		if (x->cluster && *x->cluster)
			perr_set(e, "context \"%s\" names cluster \"%s\", which is not in %s",
				 name, x->cluster, kc_sources(cfg));
		else
			perr_set(e, "context \"%s\" names no cluster", name);
		return NULL;
	}
	if (!cl->server || !*cl->server) {
		perr_set(e, "cluster \"%s\" (context \"%s\") has no server", cl->name, name);
		return NULL;
	}
	/* A missing user is anonymous, as client-go has it. */
	const struct kc_user *u = x->user ? kc_find_user(cfg, x->user) : NULL;
	if (u && u->auth_provider) {
		perr_set(e, "user \"%s\" uses auth-provider \"%s\", which podium does not support: "
			    "use an exec credential plugin", u->name, u->auth_provider);
		return NULL;
	}

	struct kube_conn *c = xcalloc(1, sizeof *c);
	c->context = xstrdup(name);
	c->cluster = xstrdup(cl->name);
	c->user = xstrdup(x->user && *x->user ? x->user : "");
	c->namespace = xstrdup(ns && *ns ? ns : x->namespace && *x->namespace ? x->namespace : "default");
	size_t sl = strlen(cl->server);
	while (sl > 0 && cl->server[sl - 1] == '/')
		sl--;
	c->server = xstrndup(cl->server, sl);
	c->tls_server_name = xstrdup(cl->tls_server_name);
	c->proxy_url = xstrdup(cl->proxy_url);
	c->insecure = cl->insecure;
	c->source = xstrdup(kc_sources(cfg));
	char owner[300];
	snprintf(owner, sizeof owner, "cluster \"%s\"", cl->name);
	if (cl->ca_data) {
		c->ca = kc_memdup(cl->ca_data, cl->ca_data_len);
		c->ca_len = cl->ca_data_len;
	} else if (cl->ca_file && kc_read_pem(cl->ca_file, "certificate-authority", owner,
					      &c->ca, &c->ca_len, e) < 0)
		goto fail;
	if (c->insecure && c->ca) {
		perr_set(e, "cluster \"%s\" sets both a certificate-authority and "
			    "insecure-skip-tls-verify: remove one", cl->name);
		goto fail;
	}
	if (u) {
		snprintf(owner, sizeof owner, "user \"%s\"", u->name);
		c->token = xstrdup(u->token);
		c->token_file = xstrdup(u->token_file);
		c->username = xstrdup(u->username);
		c->password = xstrdup(u->password);
		if (u->cert_data) {
			c->cert = kc_memdup(u->cert_data, u->cert_data_len);
			c->cert_len = u->cert_data_len;
		} else if (u->cert_file && kc_read_pem(u->cert_file, "client-certificate", owner,
						       &c->cert, &c->cert_len, e) < 0)
			goto fail;
		if (u->key_data) {
			c->key = kc_memdup(u->key_data, u->key_data_len);
			c->key_len = u->key_data_len;
		} else if (u->key_file && kc_read_pem(u->key_file, "client-key", owner,
						      &c->key, &c->key_len, e) < 0)
			goto fail;
		if (!c->cert != !c->key) {
			perr_set(e, "user \"%s\" has a client %s but no %s", u->name,
				 c->cert ? "certificate" : "key", c->cert ? "client-key" : "client-certificate");
			goto fail;
		}
		c->exec = kc_exec_copy(u->exec);
	}
	return c;
fail:
	kube_conn_free(c);
	return NULL;
}

struct kube_conn *kube_conn_load(const struct kube_config_opts *o, struct perr *e)
{
	struct kube_config *cfg = kube_config_load(o, e);
	if (!cfg)
		return NULL;
	struct kube_conn *c = kube_config_resolve(cfg, o ? o->context : NULL,
						  o ? o->namespace : NULL, e);
	kube_config_free(cfg);
	return c;
}

/* Overwrite secrets before freeing them: they should not linger in
 * freed memory that a later core dump would show. */
static void kc_wipe_free(char *p, size_t n)
{
	if (!p)
		return;
	volatile char *v = p;
	for (size_t i = 0; i < n; i++)
		v[i] = 0;
	free(p);
}

void kube_conn_free(struct kube_conn *c)
{
	if (!c)
		return;
	free(c->context);
	free(c->cluster);
	free(c->user);
	free(c->namespace);
	free(c->server);
	free(c->tls_server_name);
	free(c->proxy_url);
	free(c->ca);
	kc_wipe_free(c->token, c->token ? strlen(c->token) : 0);
	free(c->token_file);
	free(c->cert);
	kc_wipe_free(c->key, c->key_len);
	free(c->username);
	kc_wipe_free(c->password, c->password ? strlen(c->password) : 0);
	kube_exec_conf_free(c->exec);
	free(c->source);
	free(c);
}
