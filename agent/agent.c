/*
 * agent: "portlight run".  Owns the one event_base and everything on it:
 * the HTTP client the engines share, one engine connection per socket,
 * the reconciler (the table of containers) and the Avahi publisher.
 * Engines report containers; the reconciler decides what to publish; the
 * publisher keeps it on the network.  Signals arrive as events: TERM and
 * INT withdraw everything and end the loop, HUP resyncs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent.h"
#include "engine.h"
#include "engines.h"
#include "hostfacts.h"
#include "http.h"
#include "instance.h"
#include "log.h"
#include "options.h"
#include "publisher.h"
#include "reconcile.h"

struct agent {
	const struct options *options;
	struct event_base *base;
	struct http *http;
	struct publisher *publisher;
	struct reconcile *reconcile;
	struct host_facts host;
	struct engines *engines;
	struct event *sigterm;
	struct event *sigint;
	struct event *sighup;
};

static int
agent_sink_set(
    void *arg, const char *key, const char *what, const struct announcement *a)
{
	struct agent *ag = arg;

	return publisher_set(ag->publisher, key, what, a);
}

static void
agent_sink_remove(void *arg, const char *key)
{
	struct agent *ag = arg;

	publisher_remove(ag->publisher, key);
}

static void
agent_container(struct engine *e, struct instance *inst, void *arg)
{
	struct agent *ag = arg;

	reconcile_container(ag->reconcile, engine_socket(e), inst);
}

static void
agent_gone(struct engine *e, const char *id, void *arg)
{
	struct agent *ag = arg;

	reconcile_gone(ag->reconcile, engine_socket(e), id);
}

static void
agent_sync(struct engine *e, enum engine_sync phase, void *arg)
{
	struct agent *ag = arg;

	if (phase == ENGINE_SYNC_BEGIN)
		reconcile_sweep_begin(ag->reconcile, engine_socket(e));
	else
		reconcile_sweep_end(ag->reconcile, engine_socket(e));
}

static void
agent_engine_lost(struct engine *e, void *arg)
{
	struct agent *ag = arg;

	reconcile_drop_source(ag->reconcile, engine_socket(e));
}

/* Interfaces come and go (DHCP, VPNs): re-read them on resync. */
static void
agent_read_host(struct agent *ag)
{
	struct host_facts fresh;
	int error;

	if ((error = hostfacts_read(&fresh)) != 0) {
		log_warnx("cannot read this host's interfaces: %s, keeping "
			  "the previous ones",
		    strerror(-error));
		return;
	}
	fresh.all = ag->options->all;
	hostfacts_clear(&ag->host);
	ag->host = fresh;
}

static void
agent_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *ag = arg;

	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: re-reading interfaces and resyncing every "
			 "engine");
		agent_read_host(ag);
		reconcile_refresh(ag->reconcile);
		engines_resync(ag->engines);
		break;
	default:
		log_info("%s: withdrawing %zu container(s) and exiting",
		    strsignal(sig), reconcile_count(ag->reconcile));
		event_base_loopbreak(ag->base);
		break;
	}
}

static int
agent_setup(struct agent *ag)
{
	static const struct engine_cbs cbs = {
	    .container_cb = agent_container,
	    .gone_cb = agent_gone,
	    .sync_cb = agent_sync,
	};
	struct reconcile_sink sink = {
	    .set = agent_sink_set,
	    .remove = agent_sink_remove,
	    .arg = ag,
	};
	int error;

	if ((ag->base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	ag->sigterm = evsignal_new(ag->base, SIGTERM, agent_signal, ag);
	ag->sigint = evsignal_new(ag->base, SIGINT, agent_signal, ag);
	ag->sighup = evsignal_new(ag->base, SIGHUP, agent_signal, ag);
	if (ag->sigterm == NULL || ag->sigint == NULL || ag->sighup == NULL ||
	    evsignal_add(ag->sigterm, NULL) != 0 ||
	    evsignal_add(ag->sigint, NULL) != 0 ||
	    evsignal_add(ag->sighup, NULL) != 0)
		fatalx("cannot install signal handlers");
	signal(SIGPIPE, SIG_IGN);

	if ((error = hostfacts_read(&ag->host)) != 0)
		fatalx(
		    "cannot read this host's interfaces: %s", strerror(-error));
	ag->host.all = ag->options->all;

	if ((ag->http = http_new(ag->base)) == NULL)
		fatalx("cannot set up libcurl");
	if ((ag->publisher = publisher_new(ag->base)) == NULL)
		fatalx("cannot set up the Avahi publisher");
	if ((ag->reconcile = reconcile_new(&sink, &ag->host)) == NULL)
		fatalx("out of memory");
	ag->engines = engines_new(
	    ag->base, ag->http, ag->options, true, &cbs, agent_engine_lost, ag);
	if (ag->engines == NULL)
		return -EINVAL;
	return 0;
}

static void
agent_teardown(struct agent *ag)
{
	engines_free(ag->engines);
	/* The reconciler forgets; the publisher withdraws (goodbyes). */
	reconcile_free(ag->reconcile);
	publisher_free(ag->publisher);
	http_free(ag->http);
	hostfacts_clear(&ag->host);
	if (ag->sigterm != NULL)
		event_free(ag->sigterm);
	if (ag->sigint != NULL)
		event_free(ag->sigint);
	if (ag->sighup != NULL)
		event_free(ag->sighup);
	if (ag->base != NULL)
		event_base_free(ag->base);
}

int
agent_run(const struct options *o)
{
	struct agent ag;
	int status = 0;

	memset(&ag, 0, sizeof ag);
	ag.options = o;
	log_info("portlight %s starting", PORTLIGHT_VERSION);
	if (agent_setup(&ag) != 0)
		status = 1;
	else if (event_base_dispatch(ag.base) != 0) {
		log_error("the event loop failed");
		status = 1;
	}
	agent_teardown(&ag);
	if (status == 0)
		log_info("stopped");
	return status;
}
