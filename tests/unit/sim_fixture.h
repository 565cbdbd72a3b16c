/* sim_fixture.h - a cmocka fixture shared by unit tests that talk to the
 * simulated cluster in process: the sim (controllers running when asked),
 * its server on 127.0.0.1, a client for it and a watch set on that client.
 * Included by one test program each (static functions). */
#ifndef PODIUM_TEST_SIM_FIXTURE_H
#define PODIUM_TEST_SIM_FIXTURE_H

#include "kube/kube.h"
#include "kube/sim/sim.h"

struct sim_fixture {
	struct sim *s;
	struct sim_server *srv;
	struct kube_client *c;
	struct kube_watchset *ws;
};

/* speed: the sim's; controllers: run them (Deployments roll, pods start). */
static struct sim_fixture *sim_fixture_new(double speed, int controllers)
{
	struct sim_fixture *f = xcalloc(1, sizeof *f);
	struct perr e = {{0}};
	struct sim_opts so = {.speed = speed, .seed = 7};
	f->s = sim_new(&so, &e);
	if (!f->s)
		fail_msg("%s", e.msg);
	if (controllers && sim_start_controllers(f->s, &e) < 0)
		fail_msg("%s", e.msg);
	struct sim_server_opts svo = {.listen = "127.0.0.1:0"};
	f->srv = sim_server_start(f->s, &svo, &e);
	if (!f->srv)
		fail_msg("%s", e.msg);
	struct kube_conn *conn = xcalloc(1, sizeof *conn);
	conn->context = xstrdup("sim");
	conn->cluster = xstrdup("sim");
	conn->namespace = xstrdup("default");
	conn->server = xstrdup(sim_server_url(f->srv));
	struct kube_client_opts co = {.timeout_ms = 10000};
	f->c = kube_client_new(conn, &co, &e);
	if (!f->c)
		fail_msg("%s", e.msg);
	f->ws = kube_watchset_new(f->c);
	if (!f->ws)
		fail_msg("cannot start curl");
	return f;
}

static int sim_fixture_teardown(void **state)
{
	struct sim_fixture *f = *state;
	kube_watchset_free(f->ws);
	kube_client_free(f->c);
	sim_server_stop(f->srv);
	sim_free(f->s);
	free(f);
	return 0;
}

#endif
