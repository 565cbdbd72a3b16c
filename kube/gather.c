/*
 * gather.c - several one-shot requests sent at once on a watch set, and
 * one callback when the last has answered, with every answer in the order
 * the requests were given: what describe needs (a Deployment's ReplicaSets
 * and its events) without waiting for each in turn, and without the loop
 * waiting at all.
 *
 * The answers' bodies are borrowed for one callback only (kube_answer), so
 * each is copied as it comes. A gather belongs to its caller until done
 * runs; after that it is gone.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <stdlib.h>
#include <string.h>

struct part {
	struct kube_gather *g;
	unsigned long long id;
	int answered;
	struct kube_answer a;
	char *body, *error; /* the copies a points into */
};

struct kube_gather {
	struct kube_watchset *ws;
	struct part *parts;
	size_t n, pending;
	kube_gather_fn done;
	void *ud;
};

static void gather_free(struct kube_gather *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->parts[i].body);
		free(g->parts[i].error);
	}
	free(g->parts);
	free(g);
}

static void part_answered(void *ud, const struct kube_answer *a)
{
	struct part *p = ud;
	struct kube_gather *g = p->g;
	p->answered = 1;
	p->a = *a;
	p->body = xmalloc(a->len + 1);
	memcpy(p->body, a->body ? a->body : "", a->len);
	p->body[a->len] = '\0';
	p->a.body = p->body;
	p->error = a->error ? xstrdup(a->error) : NULL;
	p->a.error = p->error;
	if (--g->pending)
		return;
	struct kube_answer *all = xcalloc(g->n, sizeof *all);
	for (size_t i = 0; i < g->n; i++)
		all[i] = g->parts[i].a;
	g->done(g->ud, all, g->n);
	free(all);
	gather_free(g);
}

struct kube_gather *kube_gather_send(struct kube_watchset *ws, struct kube_client *c,
				     const struct kube_call *calls, size_t n, kube_gather_fn done,
				     void *ud, struct perr *e)
{
	if (n == 0) {
		perr_set(e, "nothing to send");
		return NULL;
	}
	struct kube_gather *g = xcalloc(1, sizeof *g);
	g->ws = ws;
	g->parts = xcalloc(n, sizeof *g->parts);
	g->n = n;
	g->done = done;
	g->ud = ud;
	for (size_t i = 0; i < n; i++) {
		const struct kube_call *m = &calls[i];
		g->parts[i].g = g;
		if (kube_watchset_request(ws, c, m->method, m->path, m->query, m->content_type, m->body,
					  m->body ? strlen(m->body) : 0, part_answered, &g->parts[i],
					  &g->parts[i].id, e) < 0) {
			g->n = i; /* the ones sent are cancelled */
			kube_gather_cancel(g);
			return NULL;
		}
		g->pending++;
	}
	return g;
}

void kube_gather_cancel(struct kube_gather *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		if (!g->parts[i].answered)
			kube_watchset_cancel(g->ws, g->parts[i].id);
	gather_free(g);
}
