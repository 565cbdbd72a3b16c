/*
 * validate.c - names, label keys and values, image references and resource
 * quantities, checked as Kubernetes checks them.
 *
 * The kube_check_* functions reproduce k8s.io/apimachinery's
 * pkg/util/validation word for word (IsDNS1123Subdomain, IsQualifiedName,
 * ...): the simulated API server builds its 422 causes from them. The
 * kube_validate_* functions are the client's checks before a request: same
 * rules, but the message is for a person, says what is wrong and offers a
 * corrected value.
 */
#include "kube/kube.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The regexes and messages of pkg/util/validation/validation.go. */
#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUB_FMT DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1035_FMT "[a-z]([-a-z0-9]*[a-z0-9])?"
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define LABEL_VALUE_FMT "(" QNAME_FMT ")?"

static const struct name_rule {
	size_t max;
	const char *msg; /* RegexError(msg, fmt, examples...) */
} name_rules[] = {
	[KUBE_NAME_DNS1123_SUBDOMAIN] = {
		253,
		"a lowercase RFC 1123 subdomain must consist of lower case "
		"alphanumeric characters, '-' or '.', and must start and end "
		"with an alphanumeric character (e.g. 'example.com', regex "
		"used for validation is '" DNS1123_SUB_FMT "')" },
	[KUBE_NAME_DNS1123_LABEL] = {
		63,
		"a lowercase RFC 1123 label must consist of lower case "
		"alphanumeric characters or '-', and must start and end with "
		"an alphanumeric character (e.g. 'my-name',  or '123-abc', "
		"regex used for validation is '" DNS1123_LABEL_FMT "')" },
	[KUBE_NAME_DNS1035_LABEL] = {
		63,
		"a DNS-1035 label must consist of lower case alphanumeric "
		"characters or '-', start with an alphabetic character, and "
		"end with an alphanumeric character (e.g. 'my-name',  or "
		"'abc-123', regex used for validation is '" DNS1035_FMT "')" },
};

#define QNAME_MSG                                                              \
	"must consist of alphanumeric characters, '-', '_' or '.', and must "  \
	"start and end with an alphanumeric character (e.g. 'MyName',  or "   \
	"'my.name',  or '123-abc', regex used for validation is '" QNAME_FMT  \
	"')"
#define LABEL_VALUE_MSG                                                        \
	"a valid label must be an empty string or consist of alphanumeric "    \
	"characters, '-', '_' or '.', and must start and end with an "        \
	"alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "         \
	"'12345', regex used for validation is '" LABEL_VALUE_FMT "')"

static void verr_add(struct kube_verrs *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void verr_add(struct kube_verrs *out, const char *fmt, ...)
{
	if (out->n >= KUBE_VERRS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->msg[out->n++], sizeof out->msg[0], fmt, ap);
	va_end(ap);
}

static int is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(int c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n), or with a letter first. */
static int match_label(const char *s, size_t n, int letter_first)
{
	if (n == 0)
		return 0;
	if (letter_first ? !(s[0] >= 'a' && s[0] <= 'z') : !is_lower_alnum(s[0]))
		return 0;
	if (!is_lower_alnum(s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int match_subdomain(const char *s)
{
	const char *p = s;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!match_label(p, n, 0))
			return 0;
		if (!dot)
			return 1;
		p = dot + 1;
	}
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int match_qname(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

/* Which name rule the real server applies to metadata.name of kind. */
enum kube_name_rule kube_name_rule_for_kind(const char *kind)
{
	if (kind && !strcmp(kind, "Service"))
		return KUBE_NAME_DNS1035_LABEL;
	if (kind && !strcmp(kind, "Namespace"))
		return KUBE_NAME_DNS1123_LABEL;
	return KUBE_NAME_DNS1123_SUBDOMAIN;
}

/* IsDNS1123Subdomain / IsDNS1123Label / IsDNS1035Label, messages in out. */
void kube_check_name(enum kube_name_rule rule, const char *v,
		     struct kube_verrs *out)
{
	const struct name_rule *r = &name_rules[rule];
	size_t n = strlen(v);
	int ok;
	out->n = 0;
	if (n > r->max)
		verr_add(out, "must be no more than %zu characters", r->max);
	if (rule == KUBE_NAME_DNS1123_SUBDOMAIN)
		ok = match_subdomain(v);
	else
		ok = match_label(v, n, rule == KUBE_NAME_DNS1035_LABEL);
	if (!ok)
		verr_add(out, "%s", r->msg);
}

/* IsQualifiedName: label and annotation keys, messages in out. */
void kube_check_qualified_name(const char *k, struct kube_verrs *out)
{
	const char *slash = strchr(k, '/');
	const char *name = k;
	out->n = 0;
	if (slash && strchr(slash + 1, '/')) {
		verr_add(out,
			 "a qualified name %s with an optional DNS subdomain "
			 "prefix and '/' (e.g. 'example.com/MyName')",
			 QNAME_MSG);
		return;
	}
	if (slash) {
		size_t pn = (size_t)(slash - k);
		name = slash + 1;
		if (pn == 0) {
			verr_add(out, "prefix part must be non-empty");
		} else {
			char *prefix = xstrndup(k, pn);
			struct kube_verrs pe;
			kube_check_name(KUBE_NAME_DNS1123_SUBDOMAIN, prefix,
					&pe);
			for (int i = 0; i < pe.n; i++)
				verr_add(out, "prefix part %s", pe.msg[i]);
			free(prefix);
		}
	}
	size_t n = strlen(name);
	if (n == 0)
		verr_add(out, "name part must be non-empty");
	else if (n > 63)
		verr_add(out, "name part must be no more than 63 characters");
	if (!match_qname(name, n))
		verr_add(out, "name part %s", QNAME_MSG);
}

/* IsValidLabelValue, messages in out. */
void kube_check_label_value(const char *v, struct kube_verrs *out)
{
	size_t n = strlen(v);
	out->n = 0;
	if (n > 63)
		verr_add(out, "must be no more than 63 characters");
	if (n && !match_qname(v, n))
		verr_add(out, "%s", LABEL_VALUE_MSG);
}

/* ---- quantities ---------------------------------------------------------- */

static const struct qsuffix {
	const char *s;
	double mult;
} qsuffixes[] = {
	{ "", 1 },	  { "n", 1e-9 },	  { "u", 1e-6 },
	{ "m", 1e-3 },	  { "k", 1e3 },		  { "M", 1e6 },
	{ "G", 1e9 },	  { "T", 1e12 },	  { "P", 1e15 },
	{ "E", 1e18 },	  { "Ki", 1024.0 },	  { "Mi", 1048576.0 },
	{ "Gi", 1073741824.0 }, { "Ti", 1099511627776.0 },
	{ "Pi", 1125899906842624.0 }, { "Ei", 1152921504606846976.0 },
};

/* resource.parseQuantityString, then the suffix lookup. */
int kube_quantity_parse(const char *s, double *value)
{
	const char *p = s;
	int digits = 0;
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (!digits)
		return -1;
	const char *num_end = p;
	const char *suf = p;
	while (*p && strchr("eEinumkKMGTP", *p))
		p++;
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p)
		return -1;

	double mult = 0;
	int found = 0;
	for (size_t i = 0; i < sizeof qsuffixes / sizeof qsuffixes[0]; i++)
		if (!strcmp(suf, qsuffixes[i].s)) {
			mult = qsuffixes[i].mult;
			found = 1;
		}
	if (!found && (suf[0] == 'e' || suf[0] == 'E')) {
		const char *q = suf + 1;
		if (*q == '+' || *q == '-')
			q++;
		if (isdigit((unsigned char)*q)) {
			while (isdigit((unsigned char)*q))
				q++;
			if (!*q) {
				mult = pow(10, strtod(suf + 1, NULL));
				found = 1;
			}
		}
	}
	if (!found)
		return -2;
	if (value) {
		char *num = xstrndup(s, (size_t)(num_end - s));
		*value = strtod(num, NULL) * mult;
		free(num);
	}
	return 0;
}

/* ---- the client's checks --------------------------------------------- */

static const char *const rule_words[] = {
	[KUBE_NAME_DNS1123_SUBDOMAIN] =
		"lower case letters, digits, '-' and '.', starting and ending "
		"with a letter or digit, at most 253 characters",
	[KUBE_NAME_DNS1123_LABEL] =
		"lower case letters, digits and '-', starting and ending with a "
		"letter or digit, at most 63 characters",
	[KUBE_NAME_DNS1035_LABEL] =
		"lower case letters, digits and '-', starting with a letter and "
		"ending with a letter or digit, at most 63 characters",
};

/* Trim '-' (and '.') from both ends of s in place. */
static void trim_seps(char *s, const char *seps)
{
	size_t n = strlen(s), i = 0;
	while (i < n && strchr(seps, s[i]))
		i++;
	while (n > i && strchr(seps, s[n - 1]))
		n--;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

/* A valid name near name under rule (caller frees), or NULL. */
char *kube_name_suggest(enum kube_name_rule rule, const char *name)
{
	size_t n = strlen(name);
	char *out = xmalloc(n + 5);
	size_t o = 0;
	int dots = rule == KUBE_NAME_DNS1123_SUBDOMAIN;
	for (size_t i = 0; i < n; i++) {
		char c = (char)tolower((unsigned char)name[i]);
		if (!is_lower_alnum(c) && !(dots && c == '.'))
			c = '-';
		/* collapse runs: "a__b" -> "a-b", "a..b" -> "a.b" */
		if ((c == '-' || c == '.') && o &&
		    (out[o - 1] == '-' || out[o - 1] == '.')) {
			if (c == '.')
				out[o - 1] = '.';
			continue;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	/* a label may not end or start with '-' next to a dot */
	for (char *d = strchr(out, '.'); d; d = strchr(d + 1, '.')) {
		if (d > out && d[-1] == '-') {
			memmove(d - 1, d, strlen(d) + 1);
			d--;
		}
		if (d[1] == '-')
			memmove(d + 1, d + 2, strlen(d + 2) + 1);
	}
	trim_seps(out, "-.");
	if (rule == KUBE_NAME_DNS1035_LABEL && out[0] >= '0' && out[0] <= '9') {
		memmove(out + 4, out, strlen(out) + 1);
		memcpy(out, "svc-", 4);
	}
	size_t max = name_rules[rule].max;
	if (strlen(out) > max) {
		out[max] = '\0';
		trim_seps(out, "-.");
	}
	if (!out[0]) {
		free(out);
		return NULL;
	}
	return out;
}

/* 0, or -1 with e saying what is wrong and what to use instead. */
int kube_validate_name(enum kube_name_rule rule, const char *kind,
		       const char *name, struct perr *e)
{
	struct kube_verrs v;
	if (!name || !*name) {
		perr_set(e, "a %s needs a name (%s)", kind ? kind : "object",
			 rule_words[rule]);
		return -1;
	}
	kube_check_name(rule, name, &v);
	if (!v.n)
		return 0;
	char *fix = kube_name_suggest(rule, name);
	char *shown = sanitize_text(name, strlen(name), 0);
	if (fix)
		perr_set(e, "`%s` is not a valid %s name: it must be %s; use `%s`",
			 shown, kind ? kind : "object", rule_words[rule], fix);
	else
		perr_set(e, "`%s` is not a valid %s name: it must be %s", shown,
			 kind ? kind : "object", rule_words[rule]);
	free(shown);
	free(fix);
	return -1;
}

/* A label value with every run of invalid characters made one '-' or '_'
 * kept, ends trimmed, cut to 63. */
static char *label_suggest(const char *v)
{
	size_t n = strlen(v), o = 0;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (!is_alnum(c) && !strchr("-_.", c))
			c = '-';
		if (c == '-' && o && out[o - 1] == '-')
			continue;
		out[o++] = c;
	}
	out[o] = '\0';
	trim_seps(out, "-_.");
	if (strlen(out) > 63) {
		out[63] = '\0';
		trim_seps(out, "-_.");
	}
	return out;
}

/* 0, or -1 with e naming the bad key or value and a fix. */
int kube_validate_label(const char *key, const char *value, struct perr *e)
{
	struct kube_verrs v;
	kube_check_qualified_name(key ? key : "", &v);
	if (v.n) {
		const char *slash = strchr(key, '/');
		char *shown = sanitize_text(key, strlen(key), 0);
		char *fix = label_suggest(slash ? slash + 1 : key);
		if (slash && *fix) {
			char *pfx = xstrndup(key, (size_t)(slash - key));
			char *pfix = kube_name_suggest(
				KUBE_NAME_DNS1123_SUBDOMAIN, pfx);
			char *full = xasprintf("%s/%s", pfix ? pfix : "", fix);
			free(fix);
			fix = pfix ? full : (free(full), xstrdup(""));
			free(pfx);
			free(pfix);
		}
		if (*fix)
			perr_set(e,
				 "label key `%s` is not valid: an optional DNS "
				 "subdomain prefix and '/', then at most 63 "
				 "letters, digits, '-', '_' or '.', starting and "
				 "ending with a letter or digit; use `%s`",
				 shown, fix);
		else
			perr_set(e,
				 "label key `%s` is not valid: it needs a name "
				 "of letters, digits, '-', '_' or '.', starting "
				 "and ending with a letter or digit",
				 shown);
		free(shown);
		free(fix);
		return -1;
	}
	if (!value)
		return 0;
	kube_check_label_value(value, &v);
	if (v.n) {
		char *shown = sanitize_text(value, strlen(value), 0);
		char *fix = label_suggest(value);
		perr_set(e,
			 "label value `%s` (key `%s`) is not valid: empty, or at "
			 "most 63 letters, digits, '-', '_' or '.', starting and "
			 "ending with a letter or digit; use `%s`",
			 shown, key, fix);
		free(shown);
		free(fix);
		return -1;
	}
	return 0;
}

/* ---- image references (github.com/distribution/reference) ------------- */

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator :=
 * [_.] | __ | [-]+. */
static int match_path_component(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		if (s[i] == '.') {
			j = i + 1;
		} else if (s[i] == '_') {
			j = i + 1;
			if (j < n && s[j] == '_')
				j++;
		} else if (s[i] == '-') {
			while (j < n && s[j] == '-')
				j++;
		} else {
			return 0;
		}
		if (j >= n || !is_lower_alnum(s[j]))
			return 0;
		i = j;
	}
	return 1;
}

/* domain-component ('.' domain-component)* (':' [0-9]+)? */
static int match_domain(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n;
	if (colon) {
		size_t pn = n - hn - 1;
		if (pn == 0)
			return 0;
		for (size_t i = 0; i < pn; i++)
			if (!isdigit((unsigned char)colon[1 + i]))
				return 0;
	}
	size_t start = 0;
	for (size_t i = 0; i <= hn; i++) {
		if (i < hn && s[i] != '.')
			continue;
		size_t ln = i - start;
		const char *l = s + start;
		if (ln == 0 || !is_alnum(l[0]) || !is_alnum(l[ln - 1]))
			return 0;
		for (size_t j = 0; j < ln; j++)
			if (!is_alnum(l[j]) && l[j] != '-')
				return 0;
		start = i + 1;
	}
	return 1;
}

static int image_fail(struct perr *e, const char *ref, const char *why,
		      const char *fix)
{
	char *shown = sanitize_text(ref, strlen(ref), 0);
	if (fix && strcmp(fix, ref))
		perr_set(e, "image `%s` is not a valid reference: %s; use `%s`",
			 shown, why, fix);
	else
		perr_set(e, "image `%s` is not a valid reference: %s", shown,
			 why);
	free(shown);
	return -1;
}

/* 0, or -1 with e saying which part of the reference is wrong. */
int kube_validate_image(const char *ref, struct perr *e)
{
	if (!ref || !*ref)
		return image_fail(e, "", "it is empty (e.g. `nginx:1.25`)", NULL);
	size_t len = strlen(ref);
	const char *at = strchr(ref, '@');
	size_t name_tag_len = at ? (size_t)(at - ref) : len;
	if (at) {
		const char *d = at + 1;
		const char *colon = strchr(d, ':');
		size_t want = 0;
		if (colon && (size_t)(colon - d) == 6 && !strncmp(d, "sha256", 6))
			want = 64;
		else if (colon && (size_t)(colon - d) == 6 &&
			 !strncmp(d, "sha512", 6))
			want = 128;
		int ok = want && strlen(colon + 1) == want;
		for (const char *h = colon ? colon + 1 : d; ok && *h; h++)
			if (!isxdigit((unsigned char)*h))
				ok = 0;
		if (!ok)
			return image_fail(e, ref,
					  "the digest after '@' must be sha256: "
					  "and 64 hex digits",
					  NULL);
	}
	/* The tag is after the last ':' that follows the last '/'. */
	const char *last_slash = NULL;
	for (size_t i = 0; i < name_tag_len; i++)
		if (ref[i] == '/')
			last_slash = ref + i;
	const char *tag = NULL;
	const char *from = last_slash ? last_slash + 1 : ref;
	for (const char *p = from; p < ref + name_tag_len; p++)
		if (*p == ':')
			tag = p;
	size_t name_len = tag ? (size_t)(tag - ref) : name_tag_len;
	if (tag) {
		size_t tn = name_tag_len - name_len - 1;
		int ok = tn >= 1 && tn <= 128 &&
			 (is_alnum(tag[1]) || tag[1] == '_');
		for (size_t i = 1; ok && i <= tn; i++)
			if (!is_alnum(tag[i]) && !strchr("_.-", tag[i]))
				ok = 0;
		if (!ok)
			return image_fail(e, ref,
					  "the tag after ':' must be 1 to 128 "
					  "letters, digits, '_', '.' or '-', not "
					  "starting with '.' or '-'",
					  NULL);
	}
	if (name_len == 0)
		return image_fail(e, ref, "the repository name is empty", NULL);
	if (name_len > 255)
		return image_fail(e, ref,
				  "the repository name is longer than 255 "
				  "characters",
				  NULL);
	/* The first component is a registry host when it has '.' or ':' or
	 * is localhost (reference.splitDockerDomain). */
	const char *first_slash = memchr(ref, '/', name_len);
	size_t path_start = 0;
	if (first_slash) {
		size_t fn = (size_t)(first_slash - ref);
		if (memchr(ref, '.', fn) || memchr(ref, ':', fn) ||
		    (fn == 9 && !strncmp(ref, "localhost", 9))) {
			if (!match_domain(ref, fn))
				return image_fail(e, ref,
						  "the registry host before the "
						  "first '/' is not a valid host"
						  "[:port]",
						  NULL);
			path_start = fn + 1;
		}
	}
	int upper = 0;
	for (size_t i = path_start; i < name_len; i++)
		if (isupper((unsigned char)ref[i]))
			upper = 1;
	if (upper) {
		char *fix = xstrdup(ref);
		for (size_t i = path_start; i < name_len; i++)
			fix[i] = (char)tolower((unsigned char)fix[i]);
		image_fail(e, ref, "repository name must be lowercase", fix);
		free(fix);
		return -1;
	}
	size_t start = path_start;
	for (size_t i = path_start; i <= name_len; i++) {
		if (i < name_len && ref[i] != '/')
			continue;
		if (!match_path_component(ref + start, i - start))
			return image_fail(
				e, ref,
				"each '/'-separated part of the repository "
				"name must be lower case letters and digits, "
				"separated by '.', '_', '__' or '-'",
				NULL);
		start = i + 1;
	}
	return 0;
}

/* Common slips with byte units: "512MB" -> 512M or 512Mi. */
static const struct {
	const char *wrong; /* compared without case */
	const char *dec, *bin;
} unit_fixes[] = {
	{ "kb", "k", "Ki" }, { "mb", "M", "Mi" }, { "gb", "G", "Gi" },
	{ "tb", "T", "Ti" }, { "pb", "P", "Pi" }, { "eb", "E", "Ei" },
	{ "kib", "k", "Ki" }, { "mib", "M", "Mi" }, { "gib", "G", "Gi" },
	{ "tib", "T", "Ti" }, { "ki", "k", "Ki" }, { "gi", "G", "Gi" },
	{ "ti", "T", "Ti" }, { "g", "G", "Gi" }, { "K", "k", "Ki" },
	{ "mi", "M", "Mi" },
};

/* 0, or -1 with e suggesting the suffix meant. */
int kube_validate_quantity(const char *q, struct perr *e)
{
	if (!q)
		q = "";
	int rc = kube_quantity_parse(q, NULL);
	if (rc == 0)
		return 0;
	char *shown = sanitize_text(q, strlen(q), 0);
	const char *p = q;
	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	for (size_t i = 0; i < sizeof unit_fixes / sizeof unit_fixes[0]; i++) {
		int exact_case = isupper((unsigned char)unit_fixes[i].wrong[0]);
		if (p > q && (exact_case ? !strcmp(p, unit_fixes[i].wrong)
					 : !strcasecmp(p, unit_fixes[i].wrong)) &&
		    strcmp(p, unit_fixes[i].bin)) {
			int n = (int)(p - q);
			perr_set(e,
				 "`%s` is not a valid quantity: unknown suffix "
				 "`%s`; use `%.*s%s` (powers of 1000) or "
				 "`%.*s%s` (powers of 1024)",
				 shown, p, n, q, unit_fixes[i].dec, n, q,
				 unit_fixes[i].bin);
			free(shown);
			return -1;
		}
	}
	perr_set(e,
		 "`%s` is not a valid quantity: a number with an optional "
		 "suffix (m, k, M, G, T, Ki, Mi, Gi, Ti or an exponent e3), "
		 "e.g. `500m`, `1.5Gi`, `128974848`",
		 shown);
	free(shown);
	return -1;
}
