/*
 * engine_ctrs: the containers of one engine that something is pending
 * for.  An event or the list only records what its container needs next
 * (inspect, or gone) and wakes one zero-delay pass; the pass does it, at
 * most one inspect in flight per container and ENGINE_INSPECTS_MAX in all.
 * An entry is freed once nothing is pending for it.
 *
 * Podman also asks for its libpod inspect (the pod), and after a health
 * event for one more inspect once the check's result is saved.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "engine.h"
#include "engine_int.h"
#include "eventstream.h"
#include "http.h"
#include "instance.h"
#include "jsonget.h"
#include "log.h"

#define ENGINE_INSPECTS_MAX 8
/* Podman: a health check's result is surely saved this long after it. */
#define ENGINE_PODMAN_SETTLE_MS 1000

void
engine_ctr_free(struct engine *e, struct engine_ctr *c)
{
	TAILQ_REMOVE(&e->ctrs, c, entry);
	if (c->inspect != NULL) {
		http_cancel(c->inspect);
		e->ninspects--;
	}
	instance_free(c->held);
	if (c->settle != NULL)
		event_free(c->settle);
	free(c->id);
	free(c->name);
	free(c);
}

struct engine_ctr *
engine_ctr_get(struct engine *e, const char *id, const char *name)
{
	struct engine_ctr *c;

	TAILQ_FOREACH(c, &e->ctrs, entry)
	{
		if (strcmp(c->id, id) == 0)
			break;
	}
	if (c == NULL) {
		c = calloc(1, sizeof *c);
		if (c == NULL)
			return NULL;
		c->e = e;
		c->id = strdup(id);
		if (c->id == NULL) {
			free(c);
			return NULL;
		}
		TAILQ_INSERT_TAIL(&e->ctrs, c, entry);
	}
	if (name != NULL && (c->name == NULL || strcmp(c->name, name) != 0)) {
		free(c->name);
		c->name = strdup(name);
	}
	return c;
}

/* Container ids go into URLs: accept only what engines produce. */
bool
engine_valid_id(const char *id)
{
	const char *p;

	if (id == NULL || *id == '\0' || strlen(id) > 128)
		return false;
	for (p = id; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			(*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-' ||
			*p == '.'))
			return false;
	}
	return true;
}

static bool
engine_ctr_settling(const struct engine_ctr *c)
{
	return c->settle != NULL && evtimer_pending(c->settle, NULL);
}

/*
 * Something is to be done or under way for a container.  A settle timer
 * alone does not count: health checks every second must not hold the
 * sync END (and the sweep) off for ever.
 */
bool
engine_ctrs_busy(const struct engine *e)
{
	const struct engine_ctr *c;

	TAILQ_FOREACH(c, &e->ctrs, entry)
	{
		if (c->want != EVENTSTREAM_NONE || c->inspect != NULL)
			return true;
	}
	return false;
}

/* Hands a fresh instance to the owner. */
void
engine_deliver(struct engine *e, struct engine_ctr *c, struct instance *inst)
{
	log_debug("%s: container %s (%s): %s", engine_name(e), inst->short_id,
	    inst->name != NULL ? inst->name : "?",
	    instance_state_name(inst->state));
	if (e->cbs.container_cb != NULL)
		e->cbs.container_cb(e, inst, e->arg);
	else
		instance_free(inst);
}

/*
 * The second request of c (libpod or pod inspect) has answered: takes the
 * instance waiting for it, or frees it and returns NULL when an event
 * made it stale meanwhile.
 */
struct instance *
engine_take_held(struct engine *e, struct engine_ctr *c)
{
	struct instance *inst = c->held;

	c->inspect = NULL;
	c->held = NULL;
	e->ninspects--;
	if (c->stale) {
		c->stale = false;
		instance_free(inst);
		return NULL;
	}
	return inst;
}

void
engine_ctr_done(struct engine *e, unsigned gen)
{
	if (!engine_gone_away(e, gen))
		engine_schedule(e);
	engine_release(e);
}

/*
 * Starts c's one request in flight: its inspect, or a second request for
 * held (libpod or pod inspect), which then waits in c->held for the
 * answer (engine_take_held).  Returns 0, or -ENOMEM.
 */
int
engine_ctr_request(struct engine *e, struct engine_ctr *c, const char *path,
    size_t cap, http_done_cb done_cb, struct instance *held)
{
	c->inspect = http_get(
	    e->http, e->socket, path, cap, ENGINE_TIMEOUT_MS, done_cb, c);
	if (c->inspect == NULL)
		return -ENOMEM;
	c->held = held;
	e->ninspects++;
	return 0;
}

static void
engine_podinfo_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine_ctr *c = arg;
	struct engine *e = c->e;
	struct instance *inst;
	struct json_object *root;
	const char *pod;
	unsigned gen;

	engine_hold(e);
	gen = e->gen;
	if ((inst = engine_take_held(e, c)) == NULL)
		goto out;
	if (result == 0 && status == 404) {
		/* Removed between the two inspects. */
		instance_free(inst);
		if (e->cbs.gone_cb != NULL)
			e->cbs.gone_cb(e, c->id, e->arg);
		goto out;
	}
	if (result == 0 && status == 200) {
		root = json_tokener_parse(body);
		pod = jsonget_string(root, "Pod");
		if (pod != NULL && *pod != '\0')
			instance_set_pod(
			    inst, pod, jsonget_bool(root, "IsInfra"));
		json_object_put(root);
		if (engine_pod_lookup(e, c, inst))
			goto out;
	} else
		log_debug("%s: container %s (%s): libpod inspect failed, pod "
			  "unknown",
		    engine_name(e), inst->short_id,
		    inst->name != NULL ? inst->name : "?");
	engine_deliver(e, c, inst);
out:
	engine_ctr_done(e, gen);
}

static void
engine_inspect_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine_ctr *c = arg;
	struct engine *e = c->e;
	struct instance *inst = NULL;
	const char *why = NULL, *driver;
	char reason[512], path[256];
	unsigned gen;
	size_t i;
	int rc;

	engine_hold(e);
	gen = e->gen;
	c->inspect = NULL;
	e->ninspects--;

	if (c->stale) {
		/* A gone was reported after this inspect started. */
		c->stale = false;
		goto out;
	}
	if (result == 0 && status == 404) {
		log_debug("%s: container %.12s (%s): no longer exists",
		    engine_name(e), c->id, c->name != NULL ? c->name : "?");
		if (e->cbs.gone_cb != NULL)
			e->cbs.gone_cb(e, c->id, e->arg);
		goto out;
	}
	if (result != 0 || status != 200) {
		engine_reason(reason, sizeof reason, "inspect failed", req,
		    result, status);
		log_warnx("%s: container %.12s (%s): %s, skipping",
		    engine_name(e), c->id, c->name != NULL ? c->name : "?",
		    reason);
		goto out;
	}
	rc = instance_from_inspect(body, len, engine_name(e), &inst, &why);
	if (rc != 0) {
		log_warnx("%s: container %.12s (%s): inspect unreadable: %s, "
			  "skipping",
		    engine_name(e), c->id, c->name != NULL ? c->name : "?",
		    why != NULL ? why : strerror(-rc));
		goto out;
	}
	for (i = 0; i < inst->nnetworks; i++) {
		driver = engine_net_driver(e, inst->networks[i].name);
		if (driver != NULL)
			instance_set_network_driver(
			    inst, inst->networks[i].name, driver);
	}
	/*
	 * Podman's compat inspect has no pod; its libpod inspect does.  The
	 * answer waits in c->held meanwhile, still one request per id.
	 */
	if (e->kind == ENGINE_KIND_PODMAN && e->libpod_major > 0) {
		snprintf(path, sizeof path,
		    "/v%d.0.0/libpod/containers/%s/json", e->libpod_major,
		    c->id);
		if (engine_ctr_request(e, c, path, ENGINE_INSPECT_CAP,
			engine_podinfo_done, inst) == 0)
			goto out;
	}
	engine_deliver(e, c, inst);
out:
	engine_ctr_done(e, gen);
}

static void
engine_inspect(struct engine *e, struct engine_ctr *c)
{
	char path[256];

	snprintf(path, sizeof path, "%s/containers/%s/json", e->prefix, c->id);
	if (engine_ctr_request(
		e, c, path, ENGINE_INSPECT_CAP, engine_inspect_done, NULL) != 0)
		log_warnx("%s: container %.12s: inspect: out of memory, "
			  "skipping",
		    engine_name(e), c->id);
}

/* The coalesced pass: what each container needs, done once. */
static void
engine_pass(struct engine *e)
{
	struct engine_ctr *c, *next;
	unsigned gen = e->gen;

	for (c = TAILQ_FIRST(&e->ctrs); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		switch (c->want) {
		case EVENTSTREAM_GONE:
			c->want = EVENTSTREAM_NONE;
			if (c->inspect != NULL)
				c->stale = true;
			/* An inspect after a stop would only find it dead. */
			if (c->settle != NULL)
				evtimer_del(c->settle);
			log_debug("%s: container %.12s (%s): gone",
			    engine_name(e), c->id,
			    c->name != NULL ? c->name : "?");
			if (e->cbs.gone_cb != NULL)
				e->cbs.gone_cb(e, c->id, e->arg);
			if (engine_gone_away(e, gen))
				return;
			/* The owner may have made us free other entries. */
			next = TAILQ_NEXT(c, entry);
			break;
		case EVENTSTREAM_INSPECT:
			/* One in flight per id; a new network list first. */
			if (c->inspect != NULL || e->netreq != NULL ||
			    e->ninspects >= ENGINE_INSPECTS_MAX)
				break;
			c->want = EVENTSTREAM_NONE;
			engine_inspect(e, c);
			break;
		case EVENTSTREAM_NONE:
			break;
		}
		if (c->want == EVENTSTREAM_NONE && c->inspect == NULL &&
		    !engine_ctr_settling(c))
			engine_ctr_free(e, c);
	}
	engine_check_synced(e);
}

void
engine_pass_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	engine_hold(e);
	engine_pass(e);
	engine_release(e);
}

/* Activating an event that is already active is a no-op: one pass. */
void
engine_schedule(struct engine *e)
{
	event_active(e->pass_ev, EV_TIMEOUT, 0);
}

static void
engine_settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine_ctr *c = arg;
	struct engine *e = c->e;

	engine_hold(e);
	if (c->want == EVENTSTREAM_NONE)
		c->want = EVENTSTREAM_INSPECT;
	engine_schedule(e);
	engine_release(e);
}

/*
 * Inspects c again ENGINE_PODMAN_SETTLE_MS after the first ask, once
 * however often asked meanwhile: re-adding a pending timer would restart
 * it, and checks every second would push the inspect back for ever.
 */
static void
engine_settle(struct engine *e, struct engine_ctr *c)
{
	struct timeval tv = {ENGINE_PODMAN_SETTLE_MS / 1000,
	    (ENGINE_PODMAN_SETTLE_MS % 1000) * 1000};

	if (c->settle == NULL &&
	    (c->settle = evtimer_new(e->base, engine_settle_cb, c)) == NULL) {
		log_warnx("%s: container %.12s: out of memory, its health "
			  "may be seen late",
		    engine_name(e), c->id);
		return;
	}
	if (!evtimer_pending(c->settle, NULL))
		evtimer_add(c->settle, &tv);
}

/*
 * Podman 4 sends health_status as a check starts, with the status from
 * before it, and saves the result only after the check's exec_died
 * (podman#19237): an inspect at the event may find the old status.
 * Both events inspect once more when the result is surely saved.
 */
static bool
engine_podman_settles(const struct engine *e, const struct engine_event *ev)
{
	return e->kind == ENGINE_KIND_PODMAN &&
	    strcmp(ev->type, "container") == 0 &&
	    (strcmp(ev->action, "health_status") == 0 ||
		strcmp(ev->action, "exec_died") == 0);
}

/* eventstream_dispatch gives every event a type, an action and an id. */
void
engine_event_cb(const struct engine_event *ev, void *arg)
{
	struct engine *e = arg;
	enum eventstream_effect want = eventstream_effect(ev);
	const char *id = ev->container;
	struct engine_ctr *c;
	bool settle;

	if (ev->time > e->last_time ||
	    (ev->time == e->last_time && ev->time_nano > e->last_time_nano)) {
		e->last_time = ev->time;
		e->last_time_nano = ev->time_nano;
	}
	e->seen_events = true;

	/*
	 * Docker's network events carry the network's id: one we do not
	 * know is listed again.  Podman's carry only the container's (never
	 * a known network), and come only from podman network connect and
	 * disconnect, not at every start: the container may be on a new
	 * network, so each lists them again.
	 */
	if (strcmp(ev->type, "network") == 0 && !engine_net_known(e, ev->id))
		engine_nets_refresh(e);
	log_debug("%s: event %s %s %.12s%s%s", engine_name(e), ev->type,
	    ev->action, id, ev->health != NULL ? " " : "",
	    ev->health != NULL ? ev->health : "");
	settle = engine_podman_settles(e, ev);
	if ((want == EVENTSTREAM_NONE && !settle) || !engine_valid_id(id))
		return;
	c = engine_ctr_get(
	    e, id, strcmp(ev->type, "container") == 0 ? ev->name : NULL);
	if (c == NULL) {
		log_warnx("%s: container %.12s: out of memory, event dropped",
		    engine_name(e), id);
		return;
	}
	if (want != EVENTSTREAM_NONE)
		c->want = want;
	if (settle)
		engine_settle(e, c);
	engine_schedule(e);
}

void
engine_event_error_cb(const char *reason, void *arg)
{
	struct engine *e = arg;

	log_warnx("%s (%s): events: line skipped: %s", engine_name(e),
	    e->socket, reason);
}
