/*
 * engines: the engine connections of one agent, with the policy around
 * them that no single connection can know: which sockets, how long a
 * lost engine's containers stay announced, and which connections are two
 * paths to one engine.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "engine.h"
#include "engines.h"
#include "instance.h"
#include "log.h"
#include "options.h"

struct engines_member {
	struct engines *set;
	struct engine *engine;
	struct event *grace;
	bool connected; /* reached LISTING at least once */
	bool duplicate; /* another member is the same engine */
};

struct engines {
	struct event_base *base;
	const struct options *options;
	struct engine_cbs cbs;
	engines_lost_cb lost_cb;
	void *arg;
	struct engines_member *members;
	size_t nmembers;
};

/*
 * A member duplicates an earlier one when both answered /info with the
 * same engine ID: podman-docker's /var/run/docker.sock and
 * /run/podman/podman.sock, or a symlink.  The earlier one wins.
 */
static bool
engines_check_duplicate(struct engines_member *m)
{
	struct engines *es = m->set;
	const char *id = engine_id(m->engine), *other;
	size_t i;

	if (id == NULL || *id == '\0')
		return false;
	for (i = 0; i < es->nmembers && &es->members[i] != m; i++) {
		if (es->members[i].duplicate)
			continue;
		other = engine_id(es->members[i].engine);
		if (other != NULL && strcmp(other, id) == 0) {
			if (!m->duplicate)
				log_info("%s (%s) is the same engine as %s, "
					 "ignoring this path",
				    engine_name(m->engine),
				    engine_socket(m->engine),
				    engine_socket(es->members[i].engine));
			m->duplicate = true;
			return true;
		}
	}
	m->duplicate = false;
	return false;
}

static void
engines_container(struct engine *e, struct instance *inst, void *arg)
{
	struct engines_member *m = arg;

	if (m->duplicate) {
		instance_free(inst);
		return;
	}
	m->set->cbs.container_cb(e, inst, m->set->arg);
}

static void
engines_gone(struct engine *e, const char *id, void *arg)
{
	struct engines_member *m = arg;

	if (!m->duplicate)
		m->set->cbs.gone_cb(e, id, m->set->arg);
}

static void
engines_sync(struct engine *e, enum engine_sync phase, void *arg)
{
	struct engines_member *m = arg;

	if (phase == ENGINE_SYNC_BEGIN)
		engines_check_duplicate(m);
	if (!m->duplicate)
		m->set->cbs.sync_cb(e, phase, m->set->arg);
}

static void
engines_grace_expired(evutil_socket_t fd, short what, void *arg)
{
	struct engines_member *m = arg;

	log_warnx("%s (%s): still unreachable after the %.0f s grace "
		  "period, withdrawing its containers",
	    engine_name(m->engine), engine_socket(m->engine),
	    m->set->options->engine_grace_ms / 1000.0);
	if (m->set->lost_cb != NULL)
		m->set->lost_cb(m->engine, m->set->arg);
}

static void
engines_state(struct engine *e, enum engine_state state, void *arg)
{
	struct engines_member *m = arg;
	struct engines *es = m->set;
	struct timeval tv;
	long ms = es->options->engine_grace_ms;

	switch (state) {
	case ENGINE_LISTING:
	case ENGINE_STREAMING:
		m->connected = true;
		if (evtimer_pending(m->grace, NULL))
			evtimer_del(m->grace);
		break;
	case ENGINE_BACKOFF:
	case ENGINE_DISCONNECTED:
		/*
		 * A Podman socket goes away when its service idles out while
		 * its containers run on: keep their records for a while.
		 */
		if (m->connected && es->lost_cb != NULL &&
		    !evtimer_pending(m->grace, NULL) && !m->duplicate) {
			tv.tv_sec = ms / 1000;
			tv.tv_usec = (ms % 1000) * 1000;
			if (ms > 0)
				log_info("%s (%s): keeping its records for "
					 "%ld s while reconnecting",
				    engine_name(e), engine_socket(e),
				    (ms + 999) / 1000);
			evtimer_add(m->grace, &tv);
		}
		break;
	default:
		break;
	}
	if (es->cbs.state_cb != NULL)
		es->cbs.state_cb(e, state, es->arg);
}

static const struct engine_cbs engines_member_cbs = {
    .container_cb = engines_container,
    .gone_cb = engines_gone,
    .sync_cb = engines_sync,
    .state_cb = engines_state,
};

static int
engines_add_path(char ***paths, size_t *npaths, const char *path)
{
	char **p;
	size_t i;

	for (i = 0; i < *npaths; i++) {
		if (strcmp((*paths)[i], path) == 0)
			return 0;
	}
	if ((p = realloc(*paths, (*npaths + 1) * sizeof *p)) == NULL)
		return -ENOMEM;
	*paths = p;
	if ((p[*npaths] = strdup(path)) == NULL)
		return -ENOMEM;
	(*npaths)++;
	return 0;
}

/* The sockets to watch: -H first, then what auto-detection finds. */
static int
engines_paths(const struct options *o, char ***paths, size_t *npaths)
{
	const char *docker_host;
	char err[512], *path;
	size_t i;
	int error;

	for (i = 0; i < o->nhosts; i++) {
		if ((error = engines_add_path(paths, npaths, o->hosts[i])) != 0)
			return error;
	}
	if (!o->autodetect)
		return 0;
	docker_host = getenv("DOCKER_HOST");
	if (docker_host != NULL && *docker_host != '\0') {
		error = options_socket_path(
		    docker_host, "DOCKER_HOST", &path, err, sizeof err);
		if (error != 0) {
			log_error("%s", err);
			return error;
		}
		error = engines_add_path(paths, npaths, path);
		free(path);
		return error;
	}
	return engines_add_path(paths, npaths, "/var/run/docker.sock");
}

struct engines *
engines_new(struct event_base *base, struct http *http, const struct options *o,
    const struct engine_cbs *cbs, engines_lost_cb lost_cb, void *arg)
{
	struct engines *es;
	struct engines_member *m;
	char **paths = NULL;
	size_t npaths = 0, i;
	int error;

	if ((es = calloc(1, sizeof *es)) == NULL)
		return NULL;
	es->base = base;
	es->options = o;
	es->cbs = *cbs;
	es->lost_cb = lost_cb;
	es->arg = arg;

	error = engines_paths(o, &paths, &npaths);
	if (error == 0 && npaths == 0) {
		log_error("no engine socket to watch");
		error = -ENOENT;
	}
	if (error == 0 &&
	    (es->members = calloc(npaths, sizeof *es->members)) == NULL)
		error = -ENOMEM;
	for (i = 0; error == 0 && i < npaths; i++) {
		m = &es->members[i];
		m->set = es;
		m->grace = evtimer_new(base, engines_grace_expired, m);
		m->engine =
		    engine_new(base, http, paths[i], &engines_member_cbs, m);
		if (m->grace == NULL || m->engine == NULL) {
			if (m->grace != NULL)
				event_free(m->grace);
			engine_free(m->engine);
			error = -ENOMEM;
			break;
		}
		es->nmembers++;
		log_info("watching the engine at %s", paths[i]);
	}
	for (i = 0; error == 0 && i < es->nmembers; i++)
		error = engine_start(es->members[i].engine);
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
	if (error != 0) {
		engines_free(es);
		return NULL;
	}
	return es;
}

void
engines_resync(struct engines *es)
{
	size_t i;

	for (i = 0; i < es->nmembers; i++)
		engine_resync(es->members[i].engine);
}

size_t
engines_count(const struct engines *es)
{
	return es->nmembers;
}

struct engine *
engines_get(const struct engines *es, size_t i)
{
	return i < es->nmembers ? es->members[i].engine : NULL;
}

int
engines_is_duplicate(const struct engines *es, size_t i)
{
	return i < es->nmembers && es->members[i].duplicate;
}

void
engines_free(struct engines *es)
{
	size_t i;

	if (es == NULL)
		return;
	for (i = 0; i < es->nmembers; i++) {
		engine_free(es->members[i].engine);
		if (es->members[i].grace != NULL)
			event_free(es->members[i].grace);
	}
	free(es->members);
	free(es);
}
