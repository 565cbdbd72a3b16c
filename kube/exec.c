/*
 * exec.c - exec credential plugins (client.authentication.k8s.io/v1 and
 * v1beta1), as client-go's plugin/pkg/client/auth/exec runs them.
 *
 * The command is looked up in PATH here, so that a missing one gets the
 * kubeconfig's installHint instead of a bare "not found". The plugin gets
 * the environment plus the kubeconfig's env entries and
 * KUBERNETES_EXEC_INFO (an ExecCredential whose spec says whether it may
 * talk to the user and, with provideClusterInfo, the cluster). Its stdout
 * (capped) is an ExecCredential whose status holds a token or a client
 * certificate and key, and maybe an expirationTimestamp. When the plugin
 * is not interactive, its stderr is captured so a failure can quote it
 * and nothing is written over the dashboard.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define EXEC_MAX_OUT (1u << 20)
#define EXEC_MAX_ERR 4096

void kube_exec_cred_clear(struct kube_exec_cred *c)
{
	if (!c)
		return;
	if (c->token) {
		memset(c->token, 0, strlen(c->token));
		free(c->token);
	}
	free(c->cert);
	if (c->key) {
		memset(c->key, 0, c->key_len);
		free(c->key);
	}
	memset(c, 0, sizeof *c);
}

/* The executable for cmd: itself when it has a slash, else the first match
 * in PATH. Caller frees; NULL when there is none. */
static char *exec_lookup(const char *cmd)
{
	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0 ? xstrdup(cmd) : NULL;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char *dirs = xstrdup(path), *save = NULL, *found = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", *d ? d : ".", cmd);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(dirs);
	return found;
}

/* KUBERNETES_EXEC_INFO's value. Caller frees. */
static char *exec_info(const struct kube_conn *conn, int interactive)
{
	json_t *spec = json_pack("{s:b}", "interactive", interactive);
	if (conn->exec->provide_cluster_info) {
		json_t *cl = json_pack("{s:s}", "server", conn->server);
		if (conn->tls_server_name)
			json_object_set_new(cl, "tls-server-name", json_string(conn->tls_server_name));
		if (conn->insecure)
			json_object_set_new(cl, "insecure-skip-tls-verify", json_true());
		if (conn->ca) {
			char *b64 = kube_base64_encode(conn->ca, conn->ca_len);
			json_object_set_new(cl, "certificate-authority-data", json_string(b64));
			free(b64);
		}
		if (conn->proxy_url)
			json_object_set_new(cl, "proxy-url", json_string(conn->proxy_url));
		json_object_set_new(spec, "cluster", cl);
	}
	json_t *info = json_pack("{s:s, s:s, s:o}", "kind", "ExecCredential", "apiVersion",
				 conn->exec->api_version, "spec", spec);
	char *s = json_dumps(info, JSON_COMPACT);
	json_decref(info);
	return s;
}

/* Parse an RFC 3339 time (as the plugin or the API server writes it) into
 * Unix seconds. */
static int exec_time(const char *s, long long *out)
{
	return kube_parse_time(s, out);
}

int kube_exec_decode(const struct kube_conn *conn, const char *out, size_t len,
		      struct kube_exec_cred *cred, struct perr *e)
{
	const char *cmd = conn->exec->command;
	json_error_t je;
	json_t *root = json_loadb(out, len, 0, &je);
	int rc = -1;
	if (!root || !json_is_object(root)) {
		perr_set(e, "exec plugin \"%s\" did not write an ExecCredential (line %d: %s)", cmd,
			 je.line, root ? "not an object" : je.text);
		goto out;
	}
	const char *av = json_string_value(json_object_get(root, "apiVersion"));
	const char *kind = json_string_value(json_object_get(root, "kind"));
	if (!kind || strcmp(kind, "ExecCredential") != 0) {
		perr_set(e, "exec plugin \"%s\" wrote kind %s, not ExecCredential", cmd, kind ? kind : "(none)");
		goto out;
	}
	if (!av || strcmp(av, conn->exec->api_version) != 0) {
		perr_set(e, "exec plugin \"%s\" is configured to use API version %s, plugin returned version %s",
			 cmd, conn->exec->api_version, av ? av : "(none)");
		goto out;
	}
	json_t *st = json_object_get(root, "status");
	if (!json_is_object(st)) {
		perr_set(e, "exec plugin \"%s\" didn't return a status field", cmd);
		goto out;
	}
	const char *tok = json_string_value(json_object_get(st, "token"));
	const char *crt = json_string_value(json_object_get(st, "clientCertificateData"));
	const char *key = json_string_value(json_object_get(st, "clientKeyData"));
	const char *exp = json_string_value(json_object_get(st, "expirationTimestamp"));
	if ((!tok || !*tok) && (!crt || !*crt || !key || !*key)) {
		if ((crt && *crt) != (key && *key))
			perr_set(e, "exec plugin \"%s\" returned a client %s without a %s", cmd,
				 crt && *crt ? "certificate" : "key", crt && *crt ? "key" : "certificate");
		else
			perr_set(e, "exec plugin \"%s\" didn't return a token or cert/key pair", cmd);
		goto out;
	}
	if (exp && *exp && exec_time(exp, &cred->expires) < 0) {
		perr_set(e, "exec plugin \"%s\" returned an invalid expirationTimestamp", cmd);
		goto out;
	}
	if (tok && *tok)
		cred->token = xstrdup(tok);
	if (crt && *crt && key && *key) {
		cred->cert = xstrdup(crt);
		cred->cert_len = strlen(crt);
		cred->key = xstrdup(key);
		cred->key_len = strlen(key);
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* The last non-empty line of the plugin's stderr, made safe. Caller frees. */
static char *exec_err_line(const struct dbuf *b)
{
	if (!b->len)
		return NULL;
	size_t end = b->len;
	while (end > 0 && (b->p[end - 1] == '\n' || b->p[end - 1] == '\r' || b->p[end - 1] == ' '))
		end--;
	size_t start = end;
	while (start > 0 && b->p[start - 1] != '\n')
		start--;
	return end > start ? sanitize_text(b->p + start, end - start, 0) : NULL;
}

int kube_exec_run(const struct kube_conn *conn, struct kube_exec_cred *out, struct perr *e)
{
	const struct kube_exec_conf *x = conn->exec;
	memset(out, 0, sizeof *out);
	if (!x) {
		perr_set(e, "user \"%s\" has no exec plugin", conn->user);
		return -1;
	}
	if (!x->api_version || (strcmp(x->api_version, "client.authentication.k8s.io/v1") != 0 &&
				strcmp(x->api_version, "client.authentication.k8s.io/v1beta1") != 0)) {
		perr_set(e, "exec plugin of user \"%s\": apiVersion %s is not supported "
			    "(client.authentication.k8s.io/v1 or v1beta1)",
			 conn->user, x->api_version ? x->api_version : "is missing and");
		return -1;
	}
	const char *mode = x->interactive_mode;
	if (!mode) {
		if (strcmp(x->api_version, "client.authentication.k8s.io/v1") == 0) {
			perr_set(e, "exec plugin of user \"%s\": interactiveMode must be specified for "
				    "client.authentication.k8s.io/v1", conn->user);
			return -1;
		}
		mode = "IfAvailable";
	}
	int tty = isatty(STDIN_FILENO);
	if (strcmp(mode, "Always") == 0 && !tty) {
		perr_set(e, "exec plugin \"%s\" needs a terminal (interactiveMode Always), "
			    "but standard input is not one", x->command);
		return -1;
	}
	int interactive = tty && strcmp(mode, "Never") != 0;

	char *path = exec_lookup(x->command);
	if (!path) {
		char *hint = x->install_hint ? sanitize_text(x->install_hint, strlen(x->install_hint), 0) : NULL;
		perr_set(e, "exec plugin: executable %s not found%s%s", x->command,
			 hint ? ": " : "", hint ? hint : "");
		free(hint);
		return -1;
	}

	/* argv and envp are built before fork: the child only calls
	 * async-signal-safe functions. */
	size_t na = 0, ne = 0, nx = 0;
	while (x->args && x->args[na])
		na++;
	while (environ && environ[ne])
		ne++;
	while (x->env && x->env[nx])
		nx++;
	char **argv = xcalloc(na + 2, sizeof *argv);
	argv[0] = x->command;
	for (size_t i = 0; i < na; i++)
		argv[i + 1] = x->args[i];
	char **envp = xcalloc(ne + nx + 2, sizeof *envp);
	size_t k = 0;
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) != 0)
			envp[k++] = environ[i];
	for (size_t i = 0; i < nx; i++)
		envp[k++] = x->env[i];
	char *info = exec_info(conn, interactive);
	char *info_env = xasprintf("KUBERNETES_EXEC_INFO=%s", info);
	free(info);
	envp[k++] = info_env;

	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int rc = -1;
	struct dbuf ob, eb;
	dbuf_init(&ob, EXEC_MAX_OUT);
	dbuf_init(&eb, 0);
	if (pipe(outp) < 0 || (!interactive && pipe(errp) < 0)) {
		perr_set(e, "exec plugin \"%s\": pipe: %s", x->command, strerror(errno));
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perr_set(e, "exec plugin \"%s\": fork: %s", x->command, strerror(errno));
		goto out;
	}
	if (pid == 0) {
		dup2(outp[1], STDOUT_FILENO);
		if (!interactive) {
			dup2(errp[1], STDERR_FILENO);
			int dn = open("/dev/null", O_RDONLY);
			if (dn >= 0)
				dup2(dn, STDIN_FILENO);
		}
		/* Only the standard descriptors go to the plugin. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execve(path, argv, envp);
		_exit(127);
	}
	close(outp[1]);
	outp[1] = -1;
	if (errp[1] >= 0) {
		close(errp[1]);
		errp[1] = -1;
	}
	int too_big = 0;
	struct pollfd pf[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	int open_fds = errp[0] >= 0 ? 2 : 1;
	while (open_fds > 0) {
		if (poll(pf, errp[0] >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			char buf[8192];
			ssize_t got = read(pf[i].fd, buf, sizeof buf);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0 && dbuf_append(&ob, buf, (size_t)got) < 0)
				too_big = 1;
			if (i == 1 && eb.len < EXEC_MAX_ERR)
				dbuf_append(&eb, buf, (size_t)got);
		}
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *line = exec_err_line(&eb);
		if (WIFEXITED(status))
			perr_set(e, "exec plugin \"%s\" failed with exit code %d%s%s", x->command,
				 WEXITSTATUS(status), line ? ": " : "", line ? line : "");
		else
			perr_set(e, "exec plugin \"%s\" was killed by signal %d", x->command,
				 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		free(line);
		goto out;
	}
	if (too_big) {
		perr_set(e, "exec plugin \"%s\" wrote more than %u bytes", x->command, EXEC_MAX_OUT);
		goto out;
	}
	rc = kube_exec_decode(conn, ob.p ? ob.p : "", ob.len, out, e);
out:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (ob.p)
		memset(ob.p, 0, ob.len);
	dbuf_free(&ob);
	dbuf_free(&eb);
	free(info_env);
	free(envp);
	free(argv);
	free(path);
	return rc;
}
