/*
 * validate.c - the simulated API server's validation of the objects it is
 * asked to store, as the real one words it: a 422 Invalid Status whose
 * message is `Deployment.apps "ai_model" is invalid: metadata.name: Invalid
 * value: "ai_model": a lowercase RFC 1123 subdomain must ...` and whose
 * details list one cause per field error.
 *
 * What is checked follows pkg/apis/{core,apps,batch}/validation in
 * Kubernetes 1.20, in its order: object metadata (name rule per kind,
 * labels, annotations), then the kind's spec (ValidateDeploymentSpec,
 * ValidatePodTemplateSpecForReplicaSet, validateContainers, ...), then on
 * update the immutable fields. Name, label and quantity rules come from
 * kube/validate.c, the code the client uses too.
 */
#include "kube/sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

/* field.ErrorType: the words of ErrorBody and the cause reason. */
enum ftype { F_REQUIRED, F_INVALID, F_NOT_SUPPORTED, F_DUPLICATE,
	     F_FORBIDDEN, F_TOO_LONG };

static const struct {
	const char *words, *reason;
	int shows_value;
} ftypes[] = {
	[F_REQUIRED] = { "Required value", "FieldValueRequired", 0 },
	[F_INVALID] = { "Invalid value", "FieldValueInvalid", 1 },
	[F_NOT_SUPPORTED] = { "Unsupported value", "FieldValueNotSupported", 1 },
	[F_DUPLICATE] = { "Duplicate value", "FieldValueDuplicate", 1 },
	[F_FORBIDDEN] = { "Forbidden", "FieldValueForbidden", 0 },
	[F_TOO_LONG] = { "Too long", "FieldValueTooLong", 0 },
};

/* The field errors found so far (a field.ErrorList). */
struct errs {
	json_t *causes; /* [{reason, message, field}] */
	json_t *seen;   /* messages already in msg: ToAggregate dedups */
	struct dbuf msg; /* each "field: body", joined by ", " */
	int n;
};

/* Go's strconv.Quote, enough for the values validated here. */
static void go_quote(struct dbuf *b, const char *s)
{
	dbuf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			dbuf_printf(b, "\\%c", c);
		else if (c == '\n')
			dbuf_puts(b, "\\n");
		else if (c == '\t')
			dbuf_puts(b, "\\t");
		else if (c == '\r')
			dbuf_puts(b, "\\r");
		else if (c < 0x20 || c == 0x7f)
			dbuf_printf(b, "\\x%02x", c);
		else
			dbuf_append(b, s, 1);
	}
	dbuf_puts(b, "\"");
}

/* Go's %#v of a map[string]string from a JSON object (keys sorted, as fmt
 * sorts them); NULL or non-object: the nil map. */
static void go_map(struct dbuf *b, const json_t *m)
{
	if (!json_is_object(m)) {
		dbuf_puts(b, "map[string]string(nil)");
		return;
	}
	size_t n = json_object_size(m), i = 0;
	const char **keys = xcalloc(n + 1, sizeof *keys);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)m, k, v) keys[i++] = k;
	for (size_t a = 1; a < n; a++)
		for (size_t c = a; c > 0 && strcmp(keys[c - 1], keys[c]) > 0; c--) {
			const char *t = keys[c];
			keys[c] = keys[c - 1];
			keys[c - 1] = t;
		}
	dbuf_puts(b, "map[string]string{");
	for (i = 0; i < n; i++) {
		const json_t *val = json_object_get(m, keys[i]);
		if (i)
			dbuf_puts(b, ", ");
		go_quote(b, keys[i]);
		dbuf_puts(b, ":");
		go_quote(b, json_is_string(val) ? json_string_value(val) : "");
	}
	dbuf_puts(b, "}");
	free(keys);
}

/* %#v of a metav1.LabelSelector (dereferenced, as ErrorBody does). */
static void go_selector(struct dbuf *b, const json_t *sel)
{
	dbuf_puts(b, "v1.LabelSelector{MatchLabels:");
	go_map(b, json_object_get(sel, "matchLabels"));
	dbuf_puts(b, ", MatchExpressions:[]v1.LabelSelectorRequirement");
	const json_t *ex = json_object_get(sel, "matchExpressions");
	if (!json_is_array(ex)) {
		dbuf_puts(b, "(nil)}");
		return;
	}
	dbuf_puts(b, "{");
	size_t i;
	json_t *r;
	json_array_foreach(ex, i, r) {
		const char *key = json_string_value(json_object_get(r, "key"));
		const char *op = json_string_value(json_object_get(r, "operator"));
		json_t *vals = json_object_get(r, "values");
		if (i)
			dbuf_puts(b, ", ");
		dbuf_puts(b, "v1.LabelSelectorRequirement{Key:");
		go_quote(b, key ? key : "");
		dbuf_puts(b, ", Operator:");
		go_quote(b, op ? op : "");
		dbuf_puts(b, ", Values:[]string");
		if (!json_is_array(vals)) {
			dbuf_puts(b, "(nil)}");
			continue;
		}
		dbuf_puts(b, "{");
		size_t j;
		json_t *v;
		json_array_foreach(vals, j, v) {
			if (j)
				dbuf_puts(b, ", ");
			go_quote(b, json_is_string(v) ? json_string_value(v) : "");
		}
		dbuf_puts(b, "}}");
	}
	dbuf_puts(b, "}}");
}

/* Append one field error: body is ErrorBody() (type, value, detail). */
static void add_err(struct errs *e, enum ftype t, const char *field,
		    const char *value, const char *detail)
{
	struct dbuf body;
	dbuf_init(&body, 0);
	dbuf_puts(&body, ftypes[t].words);
	if (ftypes[t].shows_value)
		dbuf_printf(&body, ": %s", value ? value : "null");
	if (detail && *detail)
		dbuf_printf(&body, ": %s", detail);
	json_array_append_new(e->causes,
			      json_pack("{s:s,s:s,s:s}", "reason",
					ftypes[t].reason, "message", body.p,
					"field", field));
	char *line = xasprintf("%s: %s", field, body.p);
	size_t i;
	json_t *s;
	int dup = 0;
	json_array_foreach(e->seen, i, s) if (!strcmp(json_string_value(s), line))
		dup = 1;
	if (!dup) {
		if (e->n++)
			dbuf_puts(&e->msg, ", ");
		dbuf_puts(&e->msg, line);
		json_array_append_new(e->seen, json_string(line));
	}
	free(line);
	dbuf_free(&body);
}

/* Values rendered as ErrorBody renders them. */
static char *q_str(const char *s)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	go_quote(&b, s ? s : "");
	return dbuf_take(&b);
}

static void err_str(struct errs *e, enum ftype t, const char *field,
		    const char *value, const char *detail)
{
	char *q = q_str(value);
	add_err(e, t, field, q, detail);
	free(q);
}

static void err_int(struct errs *e, enum ftype t, const char *field,
		    long long value, const char *detail)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", value);
	add_err(e, t, field, buf, detail);
}

static const char *str_at(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- shared checks ------------------------------------------------------ */

static void check_name_rule(struct errs *e, enum kube_name_rule rule,
			    const char *field, const char *value)
{
	struct kube_verrs v;
	kube_check_name(rule, value, &v);
	for (int i = 0; i < v.n; i++)
		err_str(e, F_INVALID, field, value, v.msg[i]);
}

/* ValidateLabels: keys qualified names, values label values. */
static void check_labels(struct errs *e, const json_t *labels,
			 const char *field)
{
	const char *k;
	json_t *v;
	struct kube_verrs ve;
	json_object_foreach((json_t *)labels, k, v) {
		kube_check_qualified_name(k, &ve);
		for (int i = 0; i < ve.n; i++)
			err_str(e, F_INVALID, field, k, ve.msg[i]);
		if (!json_is_string(v))
			continue;
		kube_check_label_value(json_string_value(v), &ve);
		for (int i = 0; i < ve.n; i++)
			err_str(e, F_INVALID, field, json_string_value(v),
				ve.msg[i]);
	}
}

/* ValidateAnnotations: keys lowercased are qualified names; 256 KiB in
 * all. */
static void check_annotations(struct errs *e, const json_t *ann,
			      const char *field)
{
	const char *k;
	json_t *v;
	size_t total = 0;
	json_object_foreach((json_t *)ann, k, v) {
		char *lower = xstrdup(k);
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		struct kube_verrs ve;
		kube_check_qualified_name(lower, &ve);
		for (int i = 0; i < ve.n; i++)
			err_str(e, F_INVALID, field, k, ve.msg[i]);
		free(lower);
		total += strlen(k) +
			 (json_is_string(v) ? strlen(json_string_value(v)) : 0);
	}
	if (total > 262144)
		add_err(e, F_TOO_LONG, field, NULL,
			"must have at most 262144 bytes");
}

/* ValidateObjectMeta. */
static void check_meta(struct errs *e, const struct sim_kind *k,
		       const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *name = str_at(md, "name");
	const char *gen = str_at(md, "generateName");
	if (!name || !*name) {
		if (!gen || !*gen)
			add_err(e, F_REQUIRED, "metadata.name", NULL,
				"name or generateName is required");
	} else {
		check_name_rule(e, kube_name_rule_for_kind(k->kind),
				"metadata.name", name);
	}
	const json_t *g = json_object_get(md, "generation");
	if (json_is_integer(g) && json_integer_value(g) < 0)
		err_int(e, F_INVALID, "metadata.generation",
			json_integer_value(g), "must be greater than or equal to 0");
	check_labels(e, json_object_get(md, "labels"), "metadata.labels");
	check_annotations(e, json_object_get(md, "annotations"),
			  "metadata.annotations");
}

static void check_nonneg(struct errs *e, const json_t *o, const char *key,
			 const char *field)
{
	const json_t *v = json_object_get(o, key);
	if (json_is_integer(v) && json_integer_value(v) < 0)
		err_int(e, F_INVALID, field, json_integer_value(v),
			"must be greater than or equal to 0");
}

/* ---- pod specs ------------------------------------------------------------ */

#define ENV_NAME_MSG                                                           \
	"a valid environment variable name must consist of alphabetic "        \
	"characters, digits, '_', '-', or '.', and must not start with a "    \
	"digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', "      \
	"regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"

static int env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-._", *s)))
			return 0;
	return 1;
}

/* ValidateResourceRequirements: quantities >= 0, requests <= limits. */
static void check_resources(struct errs *e, const json_t *res,
			    const char *path)
{
	const json_t *req = json_object_get(res, "requests");
	const json_t *lim = json_object_get(res, "limits");
	const char *which[] = { "limits", "requests" };
	for (int w = 0; w < 2; w++) {
		const json_t *m = w ? req : lim;
		const char *rn;
		json_t *q;
		json_object_foreach((json_t *)m, rn, q) {
			double v;
			const char *qs = json_string_value(q);
			char field[1024];
			snprintf(field, sizeof field, "%s.%s[%s]", path,
				 which[w], rn);
			if (!qs || kube_quantity_parse(qs, &v) != 0)
				continue; /* a decode error, handled before */
			if (v < 0)
				err_str(e, F_INVALID, field, qs,
					"must be greater than or equal to 0");
			double l;
			const char *ls = str_at(lim, rn);
			if (w && ls && kube_quantity_parse(ls, &l) == 0 && v > l) {
				char rpath[1024], detail[300];
				snprintf(rpath, sizeof rpath, "%s.requests", path);
				snprintf(detail, sizeof detail,
					 "must be less than or equal to %s limit",
					 rn);
				err_str(e, F_INVALID, rpath, qs, detail);
			}
		}
	}
}

/* validateContainers: the list, then each container's name, image, ports,
 * env and resources. */
static void check_containers(struct errs *e, const json_t *ctrs,
			     const char *path, int required)
{
	if (!json_is_array(ctrs) || json_array_size(ctrs) == 0) {
		if (required)
			add_err(e, F_REQUIRED, path, NULL, "");
		return;
	}
	size_t i;
	json_t *c;
	char f[512];
	json_array_foreach(ctrs, i, c) {
		const char *name = str_at(c, "name");
		snprintf(f, sizeof f, "%s[%zu].name", path, i);
		if (!name || !*name)
			add_err(e, F_REQUIRED, f, NULL, "");
		else
			check_name_rule(e, KUBE_NAME_DNS1123_LABEL, f, name);
		for (size_t j = 0; name && j < i; j++) {
			const char *other = str_at(json_array_get(ctrs, j), "name");
			if (other && !strcmp(other, name)) {
				err_str(e, F_DUPLICATE, f, name, NULL);
				break;
			}
		}
		const char *image = str_at(c, "image");
		if (!image || !*image) {
			snprintf(f, sizeof f, "%s[%zu].image", path, i);
			add_err(e, F_REQUIRED, f, NULL, "");
		}
		size_t pi;
		json_t *p;
		json_array_foreach(json_object_get(c, "ports"), pi, p) {
			json_t *cp = json_object_get(p, "containerPort");
			long long port = json_is_integer(cp) ? json_integer_value(cp) : 0;
			snprintf(f, sizeof f, "%s[%zu].ports[%zu].containerPort",
				 path, i, pi);
			if (port == 0)
				add_err(e, F_REQUIRED, f, NULL, "");
			else if (port < 1 || port > 65535)
				err_int(e, F_INVALID, f, port,
					"must be between 1 and 65535, inclusive");
			const char *proto = str_at(p, "protocol");
			if (proto && strcmp(proto, "TCP") && strcmp(proto, "UDP") &&
			    strcmp(proto, "SCTP")) {
				snprintf(f, sizeof f, "%s[%zu].ports[%zu].protocol",
					 path, i, pi);
				err_str(e, F_NOT_SUPPORTED, f, proto,
					"supported values: \"SCTP\", \"TCP\", \"UDP\"");
			}
		}
		size_t ei;
		json_t *ev;
		json_array_foreach(json_object_get(c, "env"), ei, ev) {
			const char *en = str_at(ev, "name");
			snprintf(f, sizeof f, "%s[%zu].env[%zu].name", path, i, ei);
			if (!en || !*en)
				add_err(e, F_REQUIRED, f, NULL, "");
			else if (!env_name_ok(en))
				err_str(e, F_INVALID, f, en, ENV_NAME_MSG);
		}
		snprintf(f, sizeof f, "%s[%zu].resources", path, i);
		check_resources(e, json_object_get(c, "resources"), f);
		const char *pull = str_at(c, "imagePullPolicy");
		if (pull && strcmp(pull, "Always") && strcmp(pull, "IfNotPresent") &&
		    strcmp(pull, "Never")) {
			snprintf(f, sizeof f, "%s[%zu].imagePullPolicy", path, i);
			err_str(e, F_NOT_SUPPORTED, f, pull,
				"supported values: \"Always\", \"IfNotPresent\", "
				"\"Never\"");
		}
	}
}

/* ValidatePodSpec (the parts kept): containers, initContainers, the
 * restart policy, the grace period. Owners that allow fewer restart
 * policies check theirs in check_workload. */
static void check_pod_spec(struct errs *e, const json_t *spec,
			   const char *path)
{
	char f[512];
	snprintf(f, sizeof f, "%s.containers", path);
	check_containers(e, json_object_get(spec, "containers"), f, 1);
	snprintf(f, sizeof f, "%s.initContainers", path);
	check_containers(e, json_object_get(spec, "initContainers"), f, 0);
	const char *rp = str_at(spec, "restartPolicy");
	if (rp && strcmp(rp, "Always") && strcmp(rp, "OnFailure") &&
	    strcmp(rp, "Never")) {
		snprintf(f, sizeof f, "%s.restartPolicy", path);
		err_str(e, F_NOT_SUPPORTED, f, rp,
			"supported values: \"Always\", \"OnFailure\", \"Never\"");
	}
	snprintf(f, sizeof f, "%s.terminationGracePeriodSeconds", path);
	check_nonneg(e, spec, "terminationGracePeriodSeconds", f);
}

/* ValidatePodTemplateSpec: template labels and annotations, then the
 * pod spec. */
static void check_template(struct errs *e, const json_t *tmpl,
			   const char *path)
{
	char f[512];
	const json_t *md = json_object_get(tmpl, "metadata");
	snprintf(f, sizeof f, "%s.metadata.labels", path);
	check_labels(e, json_object_get(md, "labels"), f);
	snprintf(f, sizeof f, "%s.metadata.annotations", path);
	check_annotations(e, json_object_get(md, "annotations"), f);
	snprintf(f, sizeof f, "%s.spec", path);
	check_pod_spec(e, json_object_get(tmpl, "spec"), f);
}

/* A LabelSelector's matchLabels and matchExpressions applied to labels
 * (metav1.LabelSelectorAsSelector then Matches). A NULL selector is
 * labels.Nothing(): matches nothing. */
static int selector_matches(const json_t *sel, const json_t *labels)
{
	if (!json_is_object(sel))
		return 0;
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(sel, "matchLabels"), k, v) {
		const char *have = str_at(labels, k);
		if (!have || !json_is_string(v) ||
		    strcmp(have, json_string_value(v)))
			return 0;
	}
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, r) {
		const char *key = str_at(r, "key");
		const char *op = str_at(r, "operator");
		const char *have = key ? str_at(labels, key) : NULL;
		int in = 0;
		size_t j;
		json_t *val;
		json_array_foreach(json_object_get(r, "values"), j, val)
			if (have && json_is_string(val) &&
			    !strcmp(have, json_string_value(val)))
				in = 1;
		if (!op)
			return 0;
		if ((!strcmp(op, "In") && !in) || (!strcmp(op, "NotIn") && in) ||
		    (!strcmp(op, "Exists") && !have) ||
		    (!strcmp(op, "DoesNotExist") && have))
			return 0;
	}
	return 1;
}

static int selector_empty(const json_t *sel)
{
	return json_object_size(json_object_get(sel, "matchLabels")) +
		       json_array_size(json_object_get(sel, "matchExpressions")) ==
	       0;
}

/* ValidateLabelSelector: matchLabels as labels, operators known. */
static void check_label_selector(struct errs *e, const json_t *sel,
				 const char *path)
{
	char f[512];
	snprintf(f, sizeof f, "%s.matchLabels", path);
	check_labels(e, json_object_get(sel, "matchLabels"), f);
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, r) {
		const char *op = str_at(r, "operator");
		size_t nv = json_array_size(json_object_get(r, "values"));
		snprintf(f, sizeof f, "%s.matchExpressions[%zu]", path, i);
		if (op && (!strcmp(op, "In") || !strcmp(op, "NotIn"))) {
			if (nv == 0) {
				char vf[560];
				snprintf(vf, sizeof vf, "%s.values", f);
				add_err(e, F_REQUIRED, vf, NULL,
					"must be specified when `operator` is "
					"'In' or 'NotIn'");
			}
		} else if (op && (!strcmp(op, "Exists") ||
				  !strcmp(op, "DoesNotExist"))) {
			if (nv) {
				char vf[560];
				snprintf(vf, sizeof vf, "%s.values", f);
				add_err(e, F_FORBIDDEN, vf, NULL,
					"may not be specified when `operator` "
					"is 'Exists' or 'DoesNotExist'");
			}
		} else {
			char vf[560];
			snprintf(vf, sizeof vf, "%s.operator", f);
			err_str(e, F_INVALID, vf, op ? op : "",
				"not a valid selector operator");
		}
	}
}

/* The selector and template of Deployments, ReplicaSets and Jobs:
 * ValidateDeploymentSpec's first half and
 * ValidatePodTemplateSpecForReplicaSet. restart: the policies allowed for
 * the template, with the real NotSupported list. */
static void check_workload(struct errs *e, const json_t *spec,
			   int want_selector, const char *const *restart,
			   const char *supported)
{
	const json_t *sel = json_object_get(spec, "selector");
	if (want_selector) {
		if (!json_is_object(sel)) {
			add_err(e, F_REQUIRED, "spec.selector", NULL, "");
		} else {
			check_label_selector(e, sel, "spec.selector");
			if (selector_empty(sel)) {
				struct dbuf b;
				dbuf_init(&b, 0);
				go_selector(&b, sel);
				add_err(e, F_INVALID, "spec.selector", b.p,
					"empty selector is invalid for "
					"deployment");
				dbuf_free(&b);
			}
		}
	}
	const json_t *tmpl = json_object_get(spec, "template");
	const json_t *tlabels =
		json_object_get(json_object_get(tmpl, "metadata"), "labels");
	if (want_selector && (!json_is_object(sel) || !selector_empty(sel)) &&
	    !selector_matches(sel, tlabels)) {
		struct dbuf b;
		dbuf_init(&b, 0);
		go_map(&b, tlabels);
		add_err(e, F_INVALID, "spec.template.metadata.labels", b.p,
			"`selector` does not match template `labels`");
		dbuf_free(&b);
	}
	check_template(e, tmpl, "spec.template");
	const char *rp = str_at(json_object_get(tmpl, "spec"), "restartPolicy");
	if (!rp)
		rp = "Always"; /* the pod default, applied before validation */
	int ok = 0;
	for (int i = 0; restart[i]; i++)
		if (!strcmp(rp, restart[i]))
			ok = 1;
	if (!ok)
		err_str(e, F_NOT_SUPPORTED, "spec.template.spec.restartPolicy",
			rp, supported);
}

static const char *const always_only[] = { "Always", NULL };
static const char *const job_policies[] = { "OnFailure", "Never", NULL };

/* IntOrString as %#v prints it. */
static char *go_intstr(const json_t *v)
{
	if (json_is_string(v)) {
		char *q = q_str(json_string_value(v));
		char *s = xasprintf("intstr.IntOrString{Type:1, IntVal:0, StrVal:%s}", q);
		free(q);
		return s;
	}
	return xasprintf("intstr.IntOrString{Type:0, IntVal:%lld, StrVal:\"\"}",
			 (long long)json_integer_value(v));
}

/* getIntOrPercentValue: 25 or "25%" -> 25. */
static long long intstr_value(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

static void validate_deployment(struct errs *e, const json_t *obj,
				const json_t *old)
{
	const json_t *spec = json_object_get(obj, "spec");
	check_nonneg(e, spec, "replicas", "spec.replicas");
	check_workload(e, spec, 1, always_only, "supported values: \"Always\"");
	const json_t *strat = json_object_get(spec, "strategy");
	const char *type = str_at(strat, "type");
	if (type && strcmp(type, "RollingUpdate") && strcmp(type, "Recreate"))
		err_str(e, F_NOT_SUPPORTED, "spec.strategy.type", type,
			"supported values: \"Recreate\", \"RollingUpdate\"");
	const json_t *ru = json_object_get(strat, "rollingUpdate");
	if (type && !strcmp(type, "Recreate") && ru)
		add_err(e, F_FORBIDDEN, "spec.strategy.rollingUpdate", NULL,
			"may not be specified when strategy `type` is "
			"'Recreate'");
	if (ru) {
		const json_t *mu = json_object_get(ru, "maxUnavailable");
		const json_t *ms = json_object_get(ru, "maxSurge");
		if (mu && ms && intstr_value(mu) == 0 && intstr_value(ms) == 0) {
			char *v = go_intstr(mu);
			add_err(e, F_INVALID,
				"spec.strategy.rollingUpdate.maxUnavailable", v,
				"may not be 0 when `maxSurge` is 0");
			free(v);
		}
		if (json_is_string(mu) && intstr_value(mu) > 100) {
			char *v = go_intstr(mu);
			add_err(e, F_INVALID,
				"spec.strategy.rollingUpdate.maxUnavailable", v,
				"must not be greater than 100%");
			free(v);
		}
	}
	check_nonneg(e, spec, "minReadySeconds", "spec.minReadySeconds");
	check_nonneg(e, spec, "revisionHistoryLimit",
		     "spec.revisionHistoryLimit");
	const json_t *pds = json_object_get(spec, "progressDeadlineSeconds");
	if (json_is_integer(pds)) {
		check_nonneg(e, spec, "progressDeadlineSeconds",
			     "spec.progressDeadlineSeconds");
		const json_t *mrs = json_object_get(spec, "minReadySeconds");
		if (json_integer_value(pds) <=
		    (json_is_integer(mrs) ? json_integer_value(mrs) : 0))
			err_int(e, F_INVALID, "spec.progressDeadlineSeconds",
				json_integer_value(pds),
				"must be greater than minReadySeconds");
	}
	(void)old;
}

static void validate_replicaset(struct errs *e, const json_t *obj,
				const json_t *old)
{
	const json_t *spec = json_object_get(obj, "spec");
	check_nonneg(e, spec, "replicas", "spec.replicas");
	check_nonneg(e, spec, "minReadySeconds", "spec.minReadySeconds");
	check_workload(e, spec, 1, always_only, "supported values: \"Always\"");
	(void)old;
}

static void validate_job(struct errs *e, const json_t *obj, const json_t *old)
{
	const json_t *spec = json_object_get(obj, "spec");
	check_nonneg(e, spec, "parallelism", "spec.parallelism");
	check_nonneg(e, spec, "completions", "spec.completions");
	check_nonneg(e, spec, "backoffLimit", "spec.backoffLimit");
	const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
	if (json_is_integer(ads) && json_integer_value(ads) <= 0)
		err_int(e, F_INVALID, "spec.activeDeadlineSeconds",
			json_integer_value(ads), "must be greater than 0");
	/* The server generates the selector unless manualSelector. */
	check_workload(e, spec, json_is_true(json_object_get(spec, "manualSelector")),
		       job_policies,
		       "supported values: \"OnFailure\", \"Never\"");
	(void)old;
}

static void validate_pod(struct errs *e, const json_t *obj, const json_t *old)
{
	check_pod_spec(e, json_object_get(obj, "spec"), "spec");
	(void)old;
}

static const char *const service_types[] = { "ClusterIP", "ExternalName",
					     "LoadBalancer", "NodePort", NULL };

static void validate_service(struct errs *e, const json_t *obj,
			     const json_t *old)
{
	const json_t *spec = json_object_get(obj, "spec");
	const char *type = str_at(spec, "type");
	const char *cip = str_at(spec, "clusterIP");
	const json_t *ports = json_object_get(spec, "ports");
	int headless = cip && !strcmp(cip, "None");
	if (type) {
		int ok = 0;
		for (int i = 0; service_types[i]; i++)
			if (!strcmp(type, service_types[i]))
				ok = 1;
		if (!ok)
			err_str(e, F_NOT_SUPPORTED, "spec.type", type,
				"supported values: \"ClusterIP\", \"ExternalName\", "
				"\"LoadBalancer\", \"NodePort\"");
	}
	if (json_array_size(ports) == 0 && !headless &&
	    !(type && !strcmp(type, "ExternalName")))
		add_err(e, F_REQUIRED, "spec.ports", NULL, "");
	size_t i;
	json_t *p;
	char f[128];
	int need_name = json_array_size(ports) > 1;
	json_array_foreach(ports, i, p) {
		const char *name = str_at(p, "name");
		if (need_name && (!name || !*name)) {
			snprintf(f, sizeof f, "spec.ports[%zu].name", i);
			add_err(e, F_REQUIRED, f, NULL, "");
		} else if (name && *name) {
			snprintf(f, sizeof f, "spec.ports[%zu].name", i);
			check_name_rule(e, KUBE_NAME_DNS1123_LABEL, f, name);
		}
		json_t *pv = json_object_get(p, "port");
		long long port = json_is_integer(pv) ? json_integer_value(pv) : 0;
		snprintf(f, sizeof f, "spec.ports[%zu].port", i);
		if (port < 1 || port > 65535)
			err_int(e, F_INVALID, f, port,
				"must be between 1 and 65535, inclusive");
	}
	check_labels(e, json_object_get(spec, "selector"), "spec.selector");
	(void)old;
}

/* IsConfigMapKey for data and binaryData keys of ConfigMaps and Secrets. */
static void validate_data_keys(struct errs *e, const json_t *obj,
			       const json_t *old)
{
	static const char *const fields[] = { "data", "binaryData", "stringData",
					      NULL };
	for (int fi = 0; fields[fi]; fi++) {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(obj, fields[fi]), k, v) {
			int ok = *k && strlen(k) <= 253 && strcmp(k, ".") &&
				 strcmp(k, "..") && strncmp(k, "..", 2);
			for (const char *p = k; ok && *p; p++)
				if (!((*p >= 'a' && *p <= 'z') ||
				      (*p >= 'A' && *p <= 'Z') ||
				      (*p >= '0' && *p <= '9') || strchr("-._", *p)))
					ok = 0;
			if (ok)
				continue;
			char f[600];
			snprintf(f, sizeof f, "%s[%s]", fields[fi], k);
			err_str(e, F_INVALID, f, k,
				"a valid config key must consist of alphanumeric "
				"characters, '-', '_' or '.' (e.g. 'key.name',  or "
				"'KEY_NAME',  or 'key-name', regex used for "
				"validation is '[-._a-zA-Z0-9]+')");
		}
	}
	(void)old;
}

/* Update-only checks: apps/v1 and batch/v1 selectors are immutable. */
static void check_selector_immutable(struct errs *e, const json_t *obj,
				     const json_t *old)
{
	const json_t *now = json_object_get(json_object_get(obj, "spec"), "selector");
	const json_t *was = json_object_get(json_object_get(old, "spec"), "selector");
	if (json_equal((json_t *)now, (json_t *)was) || (!now && !was))
		return;
	if (!json_is_object(now)) {
		add_err(e, F_INVALID, "spec.selector", "\"null\"",
			"field is immutable");
		return;
	}
	struct dbuf b;
	dbuf_init(&b, 0);
	go_selector(&b, now);
	add_err(e, F_INVALID, "spec.selector", b.p, "field is immutable");
	dbuf_free(&b);
}

/* ---- unknown fields ------------------------------------------------------- */

static void unknown_walk(const json_t *v, const struct sim_type *t,
			 const char *path, json_t *out, int depth)
{
	const char *k;
	json_t *x;
	if (!json_is_object(v) || !t || !t->fields || depth > 64)
		return;
	json_object_foreach((json_t *)v, k, x) {
		char *p = *path ? xasprintf("%s.%s", path, k) : xstrdup(k);
		const struct sim_field *f = sim_schema_field(t, k);
		if (!f) {
			if (t->closed)
				json_array_append_new(
					out, json_sprintf("unknown field \"%s\"", p));
		} else if (f->shape == 'a') {
			const struct sim_type *et = sim_schema_type(f->type);
			size_t i;
			json_t *e;
			json_array_foreach(x, i, e) {
				char *ip = xasprintf("%s[%zu]", p, i);
				unknown_walk(e, et, ip, out, depth + 1);
				free(ip);
			}
		} else if (f->shape == 0) {
			unknown_walk(x, sim_schema_type(f->type), p, out,
				     depth + 1);
		}
		free(p);
	}
}

/* Append `unknown field "path"` for each field closed types do not
 * declare; the count appended. */
int sim_unknown_fields(const struct sim_kind *k, const json_t *obj,
		       json_t *unknown)
{
	size_t before = json_array_size(unknown);
	unknown_walk(obj, sim_schema_root(k->group, k->kind), "", unknown, 0);
	return (int)(json_array_size(unknown) - before);
}

static const struct kind_rules {
	const char *group, *kind;
	void (*spec)(struct errs *, const json_t *obj, const json_t *old);
	int selector_immutable;
} kind_rules[] = {
	{ "apps", "Deployment", validate_deployment, 1 },
	{ "apps", "ReplicaSet", validate_replicaset, 1 },
	{ "batch", "Job", validate_job, 1 },
	{ "", "Pod", validate_pod, 0 },
	{ "", "Service", validate_service, 0 },
	{ "", "ConfigMap", validate_data_keys, 0 },
	{ "", "Secret", validate_data_keys, 0 },
};

/* 0, or -1 with the real 422 Invalid (message and causes) in st. */
int sim_validate(const struct sim_kind *k, const json_t *obj,
		 const json_t *old, struct sim_status *st)
{
	struct errs e = { json_array(), json_array(), { 0 }, 0 };
	dbuf_init(&e.msg, 0);
	check_meta(&e, k, obj);
	for (size_t i = 0; i < sizeof kind_rules / sizeof kind_rules[0]; i++) {
		const struct kind_rules *r = &kind_rules[i];
		if (strcmp(r->group, k->group) || strcmp(r->kind, k->kind))
			continue;
		r->spec(&e, obj, old);
		if (old && r->selector_immutable)
			check_selector_immutable(&e, obj, old);
	}
	json_decref(e.seen);
	if (e.n == 0) {
		json_decref(e.causes);
		dbuf_free(&e.msg);
		return 0;
	}
	const char *name = str_at(json_object_get(obj, "metadata"), "name");
	char *qname = q_str(name ? name : "");
	if (st && !st->code) {
		st->code = 422;
		snprintf(st->reason, sizeof st->reason, "Invalid");
		snprintf(st->message, sizeof st->message,
			 "%s%s%s %s is invalid: %s%s%s", k->kind,
			 *k->group ? "." : "", k->group, qname,
			 e.n > 1 ? "[" : "", e.msg.p, e.n > 1 ? "]" : "");
		json_t *d = json_pack("{s:s}", "name", name ? name : "");
		if (*k->group)
			json_object_set_new(d, "group", json_string(k->group));
		json_object_set_new(d, "kind", json_string(k->kind));
		json_object_set(d, "causes", e.causes);
		json_decref(st->details);
		st->details = d;
	}
	free(qname);
	json_decref(e.causes);
	dbuf_free(&e.msg);
	return -1;
}
