/*
 * engines: the engine connections of one agent, with the policy around
 * them that no single connection can know: which sockets, how long a
 * lost engine's containers stay announced, and which connections are two
 * paths to one engine.
 *
 * Members from -H are fixed: retried for as long as portlight runs.
 * Auto-detected members come and go with their sockets: a vanished
 * socket's member is dropped when the grace period ends without it
 * coming back.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "detect.h"
#include "engine.h"
#include "engines.h"
#include "instance.h"
#include "log.h"
#include "options.h"
#include "sockwatch.h"

struct engines_member {
	struct engines *set;
	struct engine *engine;
	struct event *grace;
	char *origin; /* "-H", "DOCKER_HOST", ... */
	bool fixed; /* from -H */
	bool present; /* its socket is there */
	bool settled; /* answered or failed once */
	bool answered; /* listed at least once */
	bool connected; /* reached LISTING since the last loss */
	bool begun; /* began listing as the path used for its engine */
	bool duplicate; /* another member is the same engine */
	TAILQ_ENTRY(engines_member) entry;
};
TAILQ_HEAD(engines_members, engines_member);

struct engines {
	struct event_base *base;
	struct http *http;
	const struct options *options;
	struct engine_cbs cbs;
	engines_lost_cb lost_cb;
	void *arg;
	struct engines_members members;
	size_t count;
	struct sockwatch *sockwatch;
	bool scanned; /* the first look for sockets is done */
	struct event *reap; /* frees members flagged below */
};

static void engines_member_free(struct engines_member *m);

static struct engines_member *
engines_find(struct engines *es, const char *path)
{
	struct engines_member *m;

	TAILQ_FOREACH(m, &es->members, entry)
	{
		if (strcmp(engine_socket(m->engine), path) == 0)
			return m;
	}
	return NULL;
}

/*
 * Whichever of two paths to one engine began listing first is the one
 * used: podman-docker's /var/run/docker.sock and /run/podman/podman.sock,
 * a hard link or a bind mount answer /info with the same ID.  Not "listed
 * first": two paths found at once both start listing before either has
 * finished, and each would be taken for the only one.  The path in use
 * stays so when it reconnects (begun lasts until its grace runs out), so
 * a path found meanwhile cannot take its place.
 */
static bool
engines_check_duplicate(struct engines_member *m)
{
	struct engines_member *o;
	const char *id = engine_id(m->engine), *other;

	m->duplicate = false;
	if (id == NULL || *id == '\0')
		return false;
	TAILQ_FOREACH(o, &m->set->members, entry)
	{
		if (o == m || !o->begun)
			continue;
		other = engine_id(o->engine);
		if (other != NULL && strcmp(other, id) == 0) {
			log_info("%s (%s) is the same engine as %s, ignoring "
				 "this path",
			    engine_name(m->engine), engine_socket(m->engine),
			    engine_socket(o->engine));
			m->duplicate = true;
			return true;
		}
	}
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
		m->begun = !engines_check_duplicate(m);
	else
		m->answered = true;
	if (!m->duplicate)
		m->set->cbs.sync_cb(e, phase, m->set->arg);
}

static void
engines_schedule_reap(struct engines *es)
{
	struct timeval tv = {0, 0};

	evtimer_add(es->reap, &tv);
}

static void
engines_grace_expired(evutil_socket_t fd, short what, void *arg)
{
	struct engines_member *m = arg;
	struct engines *es = m->set;

	if (!m->duplicate) {
		log_warnx("%s (%s): still unreachable after the %.0f s grace "
			  "period, withdrawing its containers",
		    engine_name(m->engine), engine_socket(m->engine),
		    es->options->engine_grace_ms / 1000.0);
		if (es->lost_cb != NULL)
			es->lost_cb(m->engine, es->arg);
	}
	m->connected = false;
	m->begun = false;
	/* A vanished auto-detected socket is not retried for ever. */
	if (!m->fixed && !m->present)
		engines_schedule_reap(es);
}

static void
engines_start_grace(struct engines_member *m)
{
	long ms = m->set->options->engine_grace_ms;
	struct timeval tv;

	if (evtimer_pending(m->grace, NULL))
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (ms > 0 && !m->duplicate)
		log_info("%s (%s): keeping its records for %ld s while "
			 "reconnecting",
		    engine_name(m->engine), engine_socket(m->engine),
		    (ms + 999) / 1000);
	evtimer_add(m->grace, &tv);
}

static void
engines_state(struct engine *e, enum engine_state state, void *arg)
{
	struct engines_member *m = arg;
	struct engines *es = m->set;

	switch (state) {
	case ENGINE_LISTING:
	case ENGINE_STREAMING:
		m->connected = true;
		if (evtimer_pending(m->grace, NULL))
			evtimer_del(m->grace);
		if (state == ENGINE_STREAMING)
			m->settled = true;
		break;
	case ENGINE_BACKOFF:
	case ENGINE_DISCONNECTED:
		m->settled = true;
		/*
		 * A Podman socket goes away when its service idles out while
		 * its containers run on: keep their records for a while.
		 */
		if (m->connected)
			engines_start_grace(m);
		else if (!m->fixed && !m->present)
			engines_schedule_reap(es);
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

static struct engines_member *
engines_add(
    struct engines *es, const char *path, const char *origin, bool fixed)
{
	struct engines_member *m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->set = es;
	m->fixed = fixed;
	m->present = true;
	m->origin = strdup(origin);
	m->grace = evtimer_new(es->base, engines_grace_expired, m);
	m->engine =
	    engine_new(es->base, es->http, path, &engines_member_cbs, m);
	if (m->origin == NULL || m->grace == NULL || m->engine == NULL) {
		engines_member_free(m);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&es->members, m, entry);
	es->count++;
	log_info("watching the engine at %s (%s)", path, origin);
	if (engine_start(m->engine) != 0) {
		log_warnx("%s: cannot start watching it", path);
		m->settled = true;
	}
	return m;
}

static void
engines_member_free(struct engines_member *m)
{
	engine_free(m->engine);
	if (m->grace != NULL)
		event_free(m->grace);
	free(m->origin);
	free(m);
}

/* A primary path went away: its duplicates take over with a resync. */
static void
engines_promote(struct engines *es)
{
	struct engines_member *m;

	TAILQ_FOREACH(m, &es->members, entry)
	{
		if (m->duplicate) {
			m->duplicate = false;
			engine_resync(m->engine);
		}
	}
}

static void
engines_reap(evutil_socket_t fd, short what, void *arg)
{
	struct engines *es = arg;
	struct engines_member *m, *next;
	bool promote = false;

	for (m = TAILQ_FIRST(&es->members); m != NULL; m = next) {
		next = TAILQ_NEXT(m, entry);
		if (m->fixed || m->present || evtimer_pending(m->grace, NULL) ||
		    m->connected)
			continue;
		log_info("%s: socket gone, no longer watching it",
		    engine_socket(m->engine));
		promote |= !m->duplicate;
		TAILQ_REMOVE(&es->members, m, entry);
		es->count--;
		engines_member_free(m);
	}
	if (promote)
		engines_promote(es);
}

static void
engines_appeared(
    struct sockwatch *sw, const struct detect_candidate *c, void *arg)
{
	struct engines *es = arg;
	struct engines_member *m;
	char origin[256];

	if ((m = engines_find(es, c->path)) != NULL ||
	    (c->real != NULL && (m = engines_find(es, c->real)) != NULL)) {
		/* Back before its grace ran out: reconnect now. */
		if (!m->present && !m->fixed) {
			m->present = true;
			engine_resync(m->engine);
		}
		return;
	}
	detect_describe(c, origin, sizeof origin);
	if (engines_add(es, c->path, origin, false) == NULL)
		log_warnx("%s: out of memory, not watching it", c->path);
}

static void
engines_vanished(
    struct sockwatch *sw, const struct detect_candidate *c, void *arg)
{
	struct engines *es = arg;
	struct engines_member *m;

	if ((m = engines_find(es, c->path)) == NULL || m->fixed)
		return;
	log_info("%s: socket removed", c->path);
	m->present = false;
	/* The engine notices on its own; the grace timer decides. */
	if (!m->connected)
		engines_schedule_reap(es);
}

static void
engines_note(struct sockwatch *sw, const char *message, void *arg)
{
	log_warnx("engine detection: %s", message);
}

/* portlight list: one look, no watching. */
static int
engines_detect_once(struct engines *es)
{
	struct detect_list list;
	char err[512];
	size_t i;
	int error;

	memset(&list, 0, sizeof list);
	if ((error = detect_run(NULL, &list, err, sizeof err)) != 0) {
		log_error("%s", err);
		return error;
	}
	for (i = 0; i < list.nnotes; i++)
		log_warnx("engine detection: %s", list.notes[i]);
	for (i = 0; i < list.n; i++) {
		if (list.v[i].real == NULL)
			continue;
		engines_appeared(NULL, &list.v[i], es);
	}
	detect_list_clear(&list);
	es->scanned = true;
	if (es->count == 0) {
		log_error(
		    "no engine socket found (no DOCKER_HOST, "
		    "/var/run/docker.sock, /run/podman/podman.sock, ...); "
		    "name one with -H unix://PATH");
		return -ENOENT;
	}
	return 0;
}

static int
engines_follow(struct engines *es)
{
	static const struct sockwatch_cbs cbs = {
	    .appeared_cb = engines_appeared,
	    .vanished_cb = engines_vanished,
	    .note_cb = engines_note,
	};
	char err[512];
	int error;

	error = sockwatch_new(
	    es->base, NULL, &cbs, es, &es->sockwatch, err, sizeof err);
	if (error != 0) {
		log_error("%s", err);
		return error;
	}
	return 0;
}

struct engines *
engines_new(struct event_base *base, struct http *http, const struct options *o,
    bool follow, const struct engine_cbs *cbs, engines_lost_cb lost_cb,
    void *arg)
{
	struct engines *es;
	size_t i;
	int error = 0;

	if ((es = calloc(1, sizeof *es)) == NULL)
		return NULL;
	es->base = base;
	es->http = http;
	es->options = o;
	es->cbs = *cbs;
	es->lost_cb = lost_cb;
	es->arg = arg;
	TAILQ_INIT(&es->members);
	if ((es->reap = evtimer_new(base, engines_reap, es)) == NULL)
		error = -ENOMEM;

	for (i = 0; error == 0 && i < o->nhosts; i++) {
		if (engines_find(es, o->hosts[i]) != NULL)
			continue;
		if (engines_add(es, o->hosts[i], "-H", true) == NULL)
			error = -ENOMEM;
	}
	if (error == 0 && o->autodetect && follow)
		error = engines_follow(es);
	else if (error == 0 && o->autodetect)
		error = engines_detect_once(es);
	/* Following, sockets are reported as they come: nothing to wait for. */
	es->scanned = true;
	if (error != 0) {
		engines_free(es);
		return NULL;
	}
	return es;
}

void
engines_resync(struct engines *es)
{
	struct engines_member *m;

	TAILQ_FOREACH(m, &es->members, entry)
	engine_resync(m->engine);
	if (es->sockwatch != NULL)
		sockwatch_rescan(es->sockwatch);
}

bool
engines_settled(const struct engines *es)
{
	const struct engines_member *m;

	if (!es->scanned)
		return false;
	TAILQ_FOREACH(m, &es->members, entry)
	{
		if (!m->settled && !m->duplicate)
			return false;
	}
	return true;
}

size_t
engines_answered(const struct engines *es)
{
	const struct engines_member *m;
	size_t n = 0;

	TAILQ_FOREACH(m, &es->members, entry)
	n += m->answered;
	return n;
}

size_t
engines_count(const struct engines *es)
{
	return es->count;
}

void
engines_free(struct engines *es)
{
	struct engines_member *m;

	if (es == NULL)
		return;
	sockwatch_free(es->sockwatch);
	while ((m = TAILQ_FIRST(&es->members)) != NULL) {
		TAILQ_REMOVE(&es->members, m, entry);
		engines_member_free(m);
	}
	if (es->reap != NULL)
		event_free(es->reap);
	free(es);
}
