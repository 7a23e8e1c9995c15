/*
 * probe_engine: runs one engine connection against a real engine socket
 * and prints one line per callback on stdout, for test_engine.sh to
 * check:
 *
 *   state CONNECTING            every state change
 *   engine docker 1.41 ID       once connected (kind, API, engine ID)
 *   sync begin / sync end
 *   container ID NAME STATE ENGINE pod=POD [infra]   after each inspect
 *   gone ID
 *
 * Logs go to stderr (debug level with -d).  SIGTERM/SIGINT end it cleanly
 * (so ASan sees every free), SIGHUP calls engine_resync().
 *
 * -x WHERE frees the engine from inside one of its own callbacks (the
 * first "sync-begin", "sync-end", "container", "gone" or "listing" state)
 * and exits: engine_free must be safe there.  "-r container" calls
 * engine_resync() from inside the first container callback instead.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine.h"
#include "http.h"
#include "instance.h"
#include "log.h"

struct probe {
	struct event_base *base;
	struct engine *engine;
	enum engine_state last;
	const char *free_at;
	const char *resync_at;
};

/* Does what -x/-r asked when the callback named where runs. */
static void
probe_hook(struct probe *p, const char *where)
{
	if (p->resync_at != NULL && strcmp(p->resync_at, where) == 0) {
		p->resync_at = NULL;
		printf("resync inside %s\n", where);
		engine_resync(p->engine);
		return;
	}
	if (p->free_at == NULL || strcmp(p->free_at, where) != 0 ||
	    p->engine == NULL)
		return;
	engine_free(p->engine);
	p->engine = NULL;
	printf("freed inside %s\n", where);
	event_base_loopbreak(p->base);
}

static void
probe_container(struct engine *e, struct instance *inst, void *arg)
{
	printf("container %s %s %s %s pod=%.12s%s\n", inst->id,
	    inst->name != NULL ? inst->name : "-",
	    instance_state_name(inst->state), inst->engine,
	    inst->pod != NULL ? inst->pod : "-",
	    inst->pod_infra ? " infra" : "");
	instance_free(inst);
	probe_hook(arg, "container");
}

static void
probe_gone(struct engine *e, const char *id, void *arg)
{
	printf("gone %s\n", id);
	probe_hook(arg, "gone");
}

static void
probe_sync(struct engine *e, enum engine_sync phase, void *arg)
{
	printf("sync %s\n", phase == ENGINE_SYNC_BEGIN ? "begin" : "end");
	probe_hook(arg, phase == ENGINE_SYNC_BEGIN ? "sync-begin" : "sync-end");
}

static void
probe_state(struct engine *e, enum engine_state state, void *arg)
{
	struct probe *p = arg;

	printf("state %s\n", engine_state_name(state));
	if (state == ENGINE_LISTING && p->last == ENGINE_CONNECTING)
		printf("engine %s %s %s\n", engine_name(e),
		    engine_api_version(e) != NULL ? engine_api_version(e) : "-",
		    engine_id(e) != NULL ? engine_id(e) : "-");
	p->last = state;
	if (state == ENGINE_LISTING)
		probe_hook(p, "listing");
}

static void
probe_signal(evutil_socket_t sig, short what, void *arg)
{
	struct probe *p = arg;

	if (sig == SIGHUP) {
		if (p->engine != NULL)
			engine_resync(p->engine);
		return;
	}
	event_base_loopbreak(p->base);
}

int
main(int argc, char **argv)
{
	struct engine_cbs cbs = {
	    .container_cb = probe_container,
	    .gone_cb = probe_gone,
	    .sync_cb = probe_sync,
	    .state_cb = probe_state,
	};
	struct probe p = {0};
	struct event *sigs[3];
	int sig[3] = {SIGTERM, SIGINT, SIGHUP};
	struct http *http;
	int i, c, debug = 0;

	while ((c = getopt(argc, argv, "dr:x:")) != -1) {
		switch (c) {
		case 'd':
			debug = 1;
			break;
		case 'r':
			p.resync_at = optarg;
			break;
		case 'x':
			p.free_at = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

	p.base = event_base_new();
	http = http_new(p.base);
	if (p.base == NULL || http == NULL)
		fatalx("out of memory");
	p.engine = engine_new(p.base, http, argv[optind], &cbs, &p);
	if (p.engine == NULL)
		fatalx("out of memory");
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(p.base, sig[i], probe_signal, &p);
		evsignal_add(sigs[i], NULL);
	}
	if (engine_start(p.engine) != 0)
		fatalx("engine_start failed");

	event_base_dispatch(p.base);

	engine_free(p.engine);
	http_free(http);
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_base_free(p.base);
	printf("exit\n");
	return 0;

usage:
	fprintf(stderr, "usage: probe_engine [-d] [-r|-x WHERE] SOCKET\n");
	return 2;
}
