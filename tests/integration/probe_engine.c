/*
 * probe_engine: runs one engine connection against a real engine socket
 * and prints one line per callback on stdout, for test_engine.sh to
 * check:
 *
 *   state CONNECTING            every state change
 *   engine docker 1.41 ID       once connected (kind, API, engine ID)
 *   sync begin / sync end
 *   container ID NAME STATE     after each inspect
 *   gone ID
 *
 * Logs go to stderr (debug level with -d).  SIGTERM/SIGINT end it cleanly
 * (so ASan sees every free), SIGHUP calls engine_resync().
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
};

static void
probe_container(struct engine *e, struct instance *inst, void *arg)
{
	printf("container %s %s %s %s\n", inst->id,
	    inst->name != NULL ? inst->name : "-",
	    instance_state_name(inst->state), inst->engine);
	instance_free(inst);
}

static void
probe_gone(struct engine *e, const char *id, void *arg)
{
	printf("gone %s\n", id);
}

static void
probe_sync(struct engine *e, enum engine_sync phase, void *arg)
{
	printf("sync %s\n", phase == ENGINE_SYNC_BEGIN ? "begin" : "end");
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
}

static void
probe_signal(evutil_socket_t sig, short what, void *arg)
{
	struct probe *p = arg;

	if (sig == SIGHUP) {
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
	const char *path;
	int i, debug = 0;

	if (argc == 3 && strcmp(argv[1], "-d") == 0) {
		debug = 1;
		path = argv[2];
	} else if (argc == 2)
		path = argv[1];
	else {
		fprintf(stderr, "usage: probe_engine [-d] SOCKET\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

	p.base = event_base_new();
	http = http_new(p.base);
	if (p.base == NULL || http == NULL)
		fatalx("out of memory");
	p.engine = engine_new(p.base, http, path, &cbs, &p);
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
}
