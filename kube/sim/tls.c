/*
 * tls.c - the simulated cluster's certificates and its kubeconfig. At
 * start, GnuTLS makes a CA, a server certificate for 127.0.0.1 and
 * localhost, and a client certificate for the admin user (CN admin,
 * O system:masters, as kubeadm issues one), all ECDSA P-256 and valid for
 * a year. Nothing is written to disk but the kubeconfig, mode 0600, which
 * kubectl and Podium accept as is.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct keypair {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
};

static void keypair_free(struct keypair *kp)
{
	if (kp->crt)
		gnutls_x509_crt_deinit(kp->crt);
	if (kp->key)
		gnutls_x509_privkey_deinit(kp->key);
	kp->crt = NULL;
	kp->key = NULL;
}

static char *export_crt(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = { NULL, 0 };
	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
		return NULL;
	char *s = xstrndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	return s;
}

static char *export_key(gnutls_x509_privkey_t key)
{
	gnutls_datum_t d = { NULL, 0 };
	if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
					      GNUTLS_PKCS_PLAIN, &d) < 0)
		return NULL;
	char *s = xstrndup((const char *)d.data, d.size);
	gnutls_free(d.data);
	return s;
}

enum cert_role { ROLE_CA, ROLE_SERVER, ROLE_CLIENT };

/* Make a key and a certificate for role, signed by ca (NULL: self). */
static int make_cert(struct keypair *kp, enum cert_role role, const char *cn,
		     const char *org, struct keypair *ca, struct perr *e)
{
	int rc;
	unsigned char serial[16], id[64];
	size_t idlen = sizeof id;
	time_t now = time(NULL);
	if ((rc = gnutls_x509_privkey_init(&kp->key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate(
		     kp->key, GNUTLS_PK_ECDSA,
		     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (rc = gnutls_x509_crt_init(&kp->crt)) < 0)
		goto fail;
	if ((rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
		goto fail;
	serial[0] &= 0x7f;
	gnutls_x509_crt_set_version(kp->crt, 3);
	gnutls_x509_crt_set_serial(kp->crt, serial, sizeof serial);
	gnutls_x509_crt_set_activation_time(kp->crt, now - 3600);
	gnutls_x509_crt_set_expiration_time(kp->crt, now + 365 * 86400);
	if ((rc = gnutls_x509_crt_set_dn_by_oid(kp->crt, GNUTLS_OID_X520_COMMON_NAME, 0,
						cn, (unsigned)strlen(cn))) < 0)
		goto fail;
	if (org && (rc = gnutls_x509_crt_set_dn_by_oid(
			    kp->crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, org,
			    (unsigned)strlen(org))) < 0)
		goto fail;
	if ((rc = gnutls_x509_crt_set_key(kp->crt, kp->key)) < 0)
		goto fail;
	if ((rc = gnutls_x509_crt_get_key_id(kp->crt, 0, id, &idlen)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_key_id(kp->crt, id, idlen)) < 0)
		goto fail;
	switch (role) {
	case ROLE_CA:
		gnutls_x509_crt_set_basic_constraints(kp->crt, 1, -1);
		gnutls_x509_crt_set_key_usage(kp->crt, GNUTLS_KEY_KEY_CERT_SIGN |
							      GNUTLS_KEY_CRL_SIGN |
							      GNUTLS_KEY_DIGITAL_SIGNATURE);
		break;
	case ROLE_SERVER: {
		static const unsigned char lo[4] = { 127, 0, 0, 1 };
		gnutls_x509_crt_set_basic_constraints(kp->crt, 0, -1);
		gnutls_x509_crt_set_key_usage(kp->crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
		gnutls_x509_crt_set_key_purpose_oid(kp->crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
		if ((rc = gnutls_x509_crt_set_subject_alt_name(
			     kp->crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
			     GNUTLS_FSAN_APPEND)) < 0 ||
		    (rc = gnutls_x509_crt_set_subject_alt_name(
			     kp->crt, GNUTLS_SAN_IPADDRESS, lo, 4, GNUTLS_FSAN_APPEND)) < 0)
			goto fail;
		break;
	}
	case ROLE_CLIENT:
		gnutls_x509_crt_set_basic_constraints(kp->crt, 0, -1);
		gnutls_x509_crt_set_key_usage(kp->crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
		gnutls_x509_crt_set_key_purpose_oid(kp->crt, GNUTLS_KP_TLS_WWW_CLIENT, 0);
		break;
	}
	if (ca) {
		unsigned char caid[64];
		size_t calen = sizeof caid;
		if (gnutls_x509_crt_get_subject_key_id(ca->crt, caid, &calen, NULL) >= 0)
			gnutls_x509_crt_set_authority_key_id(kp->crt, caid, calen);
	}
	rc = gnutls_x509_crt_sign2(kp->crt, ca ? ca->crt : kp->crt,
				   ca ? ca->key : kp->key, GNUTLS_DIG_SHA256, 0);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	perr_set(e, "making the %s certificate: %s", cn, gnutls_strerror(rc));
	keypair_free(kp);
	return -1;
}

/* Make the CA, server and client certificates (PEM) with GnuTLS. */
int sim_tls_make(struct sim_tls *t, struct perr *e)
{
	struct keypair ca = { 0 }, srv = { 0 }, cli = { 0 };
	int rc = -1;
	memset(t, 0, sizeof *t);
	if (make_cert(&ca, ROLE_CA, "podium-sim-ca", NULL, NULL, e) < 0 ||
	    make_cert(&srv, ROLE_SERVER, "podium-sim-apiserver", NULL, &ca, e) < 0 ||
	    make_cert(&cli, ROLE_CLIENT, "admin", "system:masters", &ca, e) < 0)
		goto out;
	t->ca_cert = export_crt(ca.crt);
	t->ca_key = export_key(ca.key);
	t->server_cert = export_crt(srv.crt);
	t->server_key = export_key(srv.key);
	t->client_cert = export_crt(cli.crt);
	t->client_key = export_key(cli.key);
	if (!t->ca_cert || !t->ca_key || !t->server_cert || !t->server_key ||
	    !t->client_cert || !t->client_key) {
		perr_set(e, "exporting the simulated cluster's certificates failed");
		sim_tls_free(t);
		goto out;
	}
	rc = 0;
out:
	keypair_free(&ca);
	keypair_free(&srv);
	keypair_free(&cli);
	return rc;
}

/* Free the PEM strings; accepts NULL. */
void sim_tls_free(struct sim_tls *t)
{
	if (!t)
		return;
	free(t->ca_cert);
	free(t->ca_key);
	free(t->server_cert);
	free(t->server_key);
	free(t->client_cert);
	free(t->client_key);
	memset(t, 0, sizeof *t);
}

/* A YAML double-quoted scalar. */
static void yaml_quoted(struct dbuf *b, const char *s)
{
	dbuf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			dbuf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			dbuf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			dbuf_append(b, s, 1);
	}
	dbuf_puts(b, "\"");
}

static void data_field(struct dbuf *b, const char *indent, const char *key,
		       const char *pem)
{
	char *enc = sim_base64(pem, strlen(pem));
	dbuf_printf(b, "%s%s: %s\n", indent, key, enc);
	free(enc);
}

/* Write the kubeconfig atomically with mode 0600. */
int sim_kubeconfig_write(const char *path, const char *url,
			 const struct sim_tls *tls, const char *token,
			 const char *token_file, int client_cert, struct perr *e)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_printf(&b, "apiVersion: v1\nkind: Config\nclusters:\n"
			"- name: podium-sim\n  cluster:\n    server: %s\n",
		    url);
	if (tls)
		data_field(&b, "    ", "certificate-authority-data", tls->ca_cert);
	dbuf_puts(&b, "contexts:\n- name: podium-sim\n  context:\n"
		      "    cluster: podium-sim\n    user: podium-sim-admin\n"
		      "    namespace: default\ncurrent-context: podium-sim\n"
		      "preferences: {}\nusers:\n- name: podium-sim-admin\n  user:");
	int any = 0;
	if (token) {
		dbuf_puts(&b, "\n    token: ");
		yaml_quoted(&b, token);
		dbuf_puts(&b, "\n");
		any = 1;
	} else if (token_file) {
		dbuf_puts(&b, "\n    tokenFile: ");
		yaml_quoted(&b, token_file);
		dbuf_puts(&b, "\n");
		any = 1;
	}
	if (tls && client_cert) {
		if (!any)
			dbuf_puts(&b, "\n");
		data_field(&b, "    ", "client-certificate-data", tls->client_cert);
		data_field(&b, "    ", "client-key-data", tls->client_key);
		any = 1;
	}
	if (!any)
		dbuf_puts(&b, " {}\n");

	int rc = -1;
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perr_set(e, "cannot write %s: %m", path);
		goto out;
	}
	size_t off = 0;
	while (off < b.len) {
		ssize_t n = write(fd, b.p + off, b.len - off);
		if (n <= 0) {
			perr_set(e, "cannot write %s: %m", path);
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0600) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		perr_set(e, "cannot write %s: %m", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	dbuf_free(&b);
	return rc;
}
