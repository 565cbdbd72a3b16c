/*
 * job.c - the Job controller, as kubernetes' pkg/controller/job (batch/v1
 * of 1.20): run pods from the template (labelled job-name and
 * controller-uid by the API's defaults) up to parallelism until
 * completions succeed, retry failures up to backoffLimit, honour
 * activeDeadlineSeconds, and report startTime, completionTime,
 * active/succeeded/failed and the Complete or Failed condition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

static const char *mstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), k));
}

static int finished(const json_t *job)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(job, "status"),
					   "conditions"), i, c)
	{
		const char *t = json_string_value(json_object_get(c, "type"));
		const char *st = json_string_value(json_object_get(c, "status"));
		if (t && st && !strcmp(st, "True") &&
		    (!strcmp(t, "Complete") || !strcmp(t, "Failed")))
			return 1;
	}
	return 0;
}

/* pastBackoffLimitOnFailure: with restartPolicy OnFailure the restarts of
 * running and pending pods count against backoffLimit. */
static int past_backoff_on_failure(const json_t *job, const struct pod_group *g,
				   int backoff)
{
	const char *rp = json_string_value(json_object_get(json_object_get(json_object_get(
		json_object_get(job, "spec"), "template"), "spec"), "restartPolicy"));
	if (!rp || strcmp(rp, "OnFailure"))
		return 0;
	int restarts = 0;
	for (size_t i = 0; g && i < g->n; i++) {
		json_t *st = json_object_get(g->v[i], "status");
		const char *phase = json_string_value(json_object_get(st, "phase"));
		if (!phase || (strcmp(phase, "Running") && strcmp(phase, "Pending")))
			continue;
		size_t j;
		json_t *cs;
		json_array_foreach(json_object_get(st, "containerStatuses"), j, cs)
			restarts += (int)json_integer_value(json_object_get(cs, "restartCount"));
	}
	return backoff == 0 ? restarts > 0 : restarts >= backoff;
}

static json_t *job_cond(const char *type, const char *now, const char *reason,
			const char *msg)
{
	json_t *c = json_pack("{s:s,s:s,s:s,s:s}", "type", type, "status", "True",
			      "lastProbeTime", now, "lastTransitionTime", now);
	if (reason)
		json_object_set_new(c, "reason", json_string(reason));
	if (msg)
		json_object_set_new(c, "message", json_string(msg));
	return c;
}

static void sync_job(struct sim *s, json_t *job, struct pod_group *g)
{
	const struct sim_kind *jk = sim_kind_find("batch", "jobs");
	json_t *spec = json_object_get(job, "spec");
	json_t *status = json_object_get(job, "status");
	char now[32];
	sim_rfc3339(s, now, sizeof now);
	int parallelism = json_is_integer(json_object_get(spec, "parallelism"))
				  ? (int)json_integer_value(json_object_get(spec, "parallelism"))
				  : 1;
	json_t *cj = json_object_get(spec, "completions");
	int completions = json_is_integer(cj) ? (int)json_integer_value(cj) : -1;
	int backoff = json_is_integer(json_object_get(spec, "backoffLimit"))
			      ? (int)json_integer_value(json_object_get(spec, "backoffLimit"))
			      : 6;
	int active = 0, succeeded = 0, failed = 0;
	for (size_t i = 0; g && i < g->n; i++) {
		const char *phase = json_string_value(json_object_get(
			json_object_get(g->v[i], "status"), "phase"));
		if (phase && !strcmp(phase, "Succeeded"))
			succeeded++;
		else if (phase && !strcmp(phase, "Failed"))
			failed++;
		else if (sim_pod_is_active(g->v[i]))
			active++;
	}
	json_t *ns = json_is_object(status) ? json_deep_copy(status) : json_object();
	if (!json_object_get(ns, "startTime"))
		json_object_set_new(ns, "startTime", json_string(now));
	int done = finished(job);
	if (!done && json_object_get(spec, "activeDeadlineSeconds"))
		sim_world(s)->time_pending = 1;
	json_incref(job);
	if (!done) {
		const char *fail_reason = NULL, *fail_msg = NULL;
		json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
		long long start = sim_world_parse_time(
			json_string_value(json_object_get(ns, "startTime")));
		if (failed > backoff || past_backoff_on_failure(job, g, backoff)) {
			fail_reason = "BackoffLimitExceeded";
			fail_msg = "Job has reached the specified backoff limit";
		} else if (json_is_integer(ads) &&
			   start + 1000 * json_integer_value(ads) <= sim_wall_ms(s)) {
			fail_reason = "DeadlineExceeded";
			fail_msg = "Job was active longer than specified deadline";
		}
		int complete = completions >= 0 ? succeeded >= completions
						: succeeded > 0 && active == 0;
		if (fail_reason) {
			for (size_t i = 0; g && i < g->n; i++)
				if (sim_pod_is_active(g->v[i]))
					sim_pod_delete_for(s, job, g->v[i], "job-controller");
			active = 0;
			json_t *conds = json_object_get(ns, "conditions");
			if (!json_is_array(conds)) {
				conds = json_array();
				json_object_set_new(ns, "conditions", conds);
			}
			json_array_append_new(conds, job_cond("Failed", now, fail_reason,
							      fail_msg));
			sim_event(s, job, "Warning", fail_reason, "job-controller",
				  "%s", fail_msg);
		} else if (complete) {
			json_t *conds = json_object_get(ns, "conditions");
			if (!json_is_array(conds)) {
				conds = json_array();
				json_object_set_new(ns, "conditions", conds);
			}
			json_array_append_new(conds, job_cond("Complete", now, NULL, NULL));
			json_object_set_new(ns, "completionTime", json_string(now));
			sim_event(s, job, "Normal", "Completed", "job-controller",
				  "Job completed");
		} else if (!json_is_true(json_object_get(spec, "suspend"))) {
			int want = parallelism;
			if (completions >= 0 && completions - succeeded < want)
				want = completions - succeeded;
			if (want < 0)
				want = 0;
			for (int i = active; i < want; i++)
				if (sim_pod_create_from(s, job, "Job", "job-controller",
							NULL) == 0)
					active++;
		}
	}
	/* Fields as the real status orders them; zeros omitted. */
	json_t *out = json_object();
	json_t *c = json_object_get(ns, "conditions");
	if (c)
		json_object_set(out, "conditions", c);
	json_object_set(out, "startTime", json_object_get(ns, "startTime"));
	if (json_object_get(ns, "completionTime"))
		json_object_set(out, "completionTime", json_object_get(ns, "completionTime"));
	if (active)
		json_object_set_new(out, "active", json_integer(active));
	if (succeeded)
		json_object_set_new(out, "succeeded", json_integer(succeeded));
	if (failed)
		json_object_set_new(out, "failed", json_integer(failed));
	json_decref(ns);
	json_t *cur = sim_store_get(s, jk, mstr(job, "namespace"), mstr(job, "name"));
	json_decref(job);
	if (!cur || json_equal(out, json_object_get(cur, "status"))) {
		json_decref(out);
		return;
	}
	json_t *copy = json_deep_copy(cur);
	json_object_set_new(copy, "status", out);
	struct sim_status st = { 0 };
	sim_store_update(s, jk, mstr(cur, "namespace"), copy, NULL, &st);
	sim_status_clear(&st);
}

void sim_job_sync(struct sim *s)
{
	const struct sim_kind *pk = sim_kind_find("", "pods");
	struct pod_group jobs;
	sim_collect(s, sim_kind_find("batch", "jobs"), NULL, &jobs);
	/* A finished Job needs nothing more; the others see their own pods. */
	for (size_t i = 0; i < jobs.n; i++) {
		json_t *job = jobs.v[i];
		if (!finished(job) &&
		    !json_object_get(json_object_get(job, "metadata"), "deletionTimestamp")) {
			struct pod_group g;
			sim_collect_owned(s, pk, mstr(job, "namespace"), mstr(job, "uid"), &g);
			sync_job(s, job, &g);
			for (size_t j = 0; j < g.n; j++)
				json_decref(g.v[j]);
			free(g.v);
		}
		json_decref(job);
	}
	free(jobs.v);
}
