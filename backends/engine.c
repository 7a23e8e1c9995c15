/*
 * engine: one connection to a container engine (dockerd, or Podman's
 * Docker-compatible service) and the state machine that keeps it:
 *
 *   CONNECTING  /_ping (API version, Docker or Podman), /info (engine ID)
 *   LISTING     /events subscribed first, so nothing that happens while we
 *               list is missed; once it is established: sync BEGIN,
 *               /networks, /containers/json, one inspect per container,
 *               sync END
 *   STREAMING   events turn into inspects (container_cb) or gone_cb
 *   BACKOFF     the stream ended or a request failed: wait (capped
 *               exponential, with jitter), then CONNECTING again
 *
 * Events are not handled one by one: each only records what its container
 * needs next (inspect, or gone) and wakes one zero-delay pass, so a burst
 * costs one pass and at most one inspect in flight per container.
 *
 * The owner may call engine_free or engine_resync from inside any of our
 * callbacks.  Every entry point (http callbacks, our timers, the public
 * calls) holds the engine; a free while held only flags it, and after each
 * call out to the owner we check whether the world we were in still exists
 * (dead, or gen moved by a drop).
 */
#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "engine.h"
#include "eventstream.h"
#include "http.h"
#include "instance.h"
#include "jsonget.h"
#include "log.h"

/* Our side of the API version negotiation: 1.40 .. 1.43. */
#define ENGINE_API_MIN_MINOR 40
#define ENGINE_API_MAX_MINOR 43

#define ENGINE_TIMEOUT_MS 10000L
#define ENGINE_SMALL_CAP (1024 * 1024)
/* Hostile labels and env can make one inspect large; list more so. */
#define ENGINE_INSPECT_CAP (8 * 1024 * 1024)
#define ENGINE_LIST_CAP (32 * 1024 * 1024)
#define ENGINE_LINE_CAP (1024 * 1024)
#define ENGINE_INSPECTS_MAX 8
/* Podman: a health check's result is surely saved this long after it. */
#define ENGINE_PODMAN_SETTLE_MS 1000
/* Pod names remembered per engine; past this the memory starts afresh. */
#define ENGINE_PODS_MAX 64

#define ENGINE_BACKOFF_MIN_MS 500
#define ENGINE_BACKOFF_MAX_MS 30000

/*
 * filters={"type":["container","network"]}, URL-encoded: network events
 * carry the container of connect/disconnect.
 */
#define ENGINE_EVENTS_FILTER                                                   \
	"filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D"

enum engine_want {
	ENGINE_WANT_NONE = 0,
	ENGINE_WANT_INSPECT,
	ENGINE_WANT_GONE,
};

/* A container something is pending for; freed once nothing is. */
struct engine_ctr {
	TAILQ_ENTRY(engine_ctr) entry;
	struct engine *e;
	char *id;
	char *name; /* for logs; may be NULL */
	struct http_request *inspect;
	/* Podman: inspected, waiting for its pod from the libpod inspect. */
	struct instance *held;
	enum engine_want want;
	/* The inspect in flight started before a gone: its answer is old. */
	bool stale;
	/* Podman: a timer to inspect again once a health check is saved. */
	struct event *settle;
};

struct engine_net {
	char *id;
	char *name;
	char *driver;
};

/* A Podman pod's name by its id: one pod inspect serves every member. */
struct engine_pod {
	char *id;
	char *name;
};

struct engine {
	struct event_base *base;
	struct http *http;
	char *socket;
	struct engine_cbs cbs;
	void *arg;

	enum engine_state state;
	enum engine_kind kind;
	char *id;
	char api[16]; /* "1.41", "" before ping */
	char prefix[16];
	int libpod_major;
	/* Podman's libpod API major version, 0: none */ /* "/v1.41" */

	struct http_request *req; /* ping, info, networks, list */
	struct http_request *events;
	struct http_request *netreq; /* networks refresh */
	struct eventstream *es;
	long events_status; /* a refused subscription */
	bool syncing; /* between sync BEGIN and END */
	bool listed;

	TAILQ_HEAD(, engine_ctr) ctrs;
	size_t ninspects;
	struct event *pass_ev;
	struct event *backoff_ev;
	unsigned attempts;
	uint32_t jitter; /* xorshift state: no global random() seeding */
	/*
	 * The last failure, and whether the one before was the same: a
	 * socket that keeps failing the same way is logged once, not once
	 * per retry, until it streams or fails differently.
	 */
	char fail_why[512];
	bool fail_repeat;

	struct engine_net *nets;
	size_t nnets;
	struct engine_pod pods[ENGINE_PODS_MAX];
	size_t npods;

	bool seen_events;
	int64_t last_time;
	int64_t last_time_nano;

	int busy;
	bool dead;
	unsigned gen; /* moves on every drop */
};

static void engine_connect(struct engine *, const char *);
static void engine_backoff(struct engine *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void engine_schedule(struct engine *);

static void
engine_hold(struct engine *e)
{
	e->busy++;
}

static void engine_destroy(struct engine *);

/* Returns true when e was freed. */
static bool
engine_release(struct engine *e)
{
	if (--e->busy == 0 && e->dead) {
		engine_destroy(e);
		return true;
	}
	return false;
}

/* After a call to the owner: is the world we were working in still here? */
static bool
engine_gone_away(struct engine *e, unsigned gen)
{
	return e->dead || e->gen != gen;
}

const char *
engine_state_name(enum engine_state state)
{
	switch (state) {
	case ENGINE_DISCONNECTED:
		return "DISCONNECTED";
	case ENGINE_CONNECTING:
		return "CONNECTING";
	case ENGINE_LISTING:
		return "LISTING";
	case ENGINE_STREAMING:
		return "STREAMING";
	case ENGINE_BACKOFF:
		return "BACKOFF";
	}
	return "UNKNOWN";
}

/*
 * The one place the state changes.  The owner hears of it: callers check
 * engine_gone_away() afterwards.
 */
static void
engine_enter_state(struct engine *e, enum engine_state state, const char *why)
{
	enum engine_state old = e->state;
	bool quiet;

	quiet = e->fail_repeat &&
	    (state == ENGINE_BACKOFF ||
		(state == ENGINE_CONNECTING && old == ENGINE_BACKOFF));
	if (state == ENGINE_STREAMING) {
		e->fail_why[0] = '\0';
		e->fail_repeat = false;
	}
	e->state = state;
	if (quiet)
		log_debug("%s (%s): %s -> %s: %s", engine_name(e), e->socket,
		    engine_state_name(old), engine_state_name(state),
		    why != NULL ? why : "");
	else if (state == ENGINE_BACKOFF)
		log_warnx("%s (%s): %s -> %s: %s", engine_name(e), e->socket,
		    engine_state_name(old), engine_state_name(state), why);
	else if (why != NULL)
		log_info("%s (%s): %s -> %s: %s", engine_name(e), e->socket,
		    engine_state_name(old), engine_state_name(state), why);
	else
		log_info("%s (%s): %s -> %s", engine_name(e), e->socket,
		    engine_state_name(old), engine_state_name(state));
	if (e->cbs.state_cb != NULL)
		e->cbs.state_cb(e, state, e->arg);
}

static void
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

static struct engine_ctr *
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

static void
engine_nets_clear(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nnets; i++) {
		free(e->nets[i].id);
		free(e->nets[i].name);
		free(e->nets[i].driver);
	}
	free(e->nets);
	e->nets = NULL;
	e->nnets = 0;
}

static void
engine_pods_clear(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->npods; i++) {
		free(e->pods[i].id);
		free(e->pods[i].name);
	}
	e->npods = 0;
}

static const char *
engine_pod_name(struct engine *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->npods; i++) {
		if (strcmp(e->pods[i].id, id) == 0)
			return e->pods[i].name;
	}
	return NULL;
}

/* Pods are never renamed, so a name once known stays true. */
static void
engine_pod_remember(struct engine *e, const char *id, const char *name)
{
	char *i, *n;

	if (engine_pod_name(e, id) != NULL)
		return;
	if (e->npods == ENGINE_PODS_MAX)
		engine_pods_clear(e);
	i = strdup(id);
	n = strdup(name);
	if (i == NULL || n == NULL) {
		free(i);
		free(n);
		return;
	}
	e->pods[e->npods].id = i;
	e->pods[e->npods].name = n;
	e->npods++;
}

/* Forgets the connection and everything pending on it. */
static void
engine_drop(struct engine *e)
{
	struct engine_ctr *c;

	e->gen++;
	http_cancel(e->req);
	e->req = NULL;
	http_cancel(e->events);
	e->events = NULL;
	http_cancel(e->netreq);
	e->netreq = NULL;
	while ((c = TAILQ_FIRST(&e->ctrs)) != NULL)
		engine_ctr_free(e, c);
	e->ninspects = 0;
	if (e->es != NULL)
		eventstream_reset(e->es);
	e->events_status = 0;
	e->syncing = false;
	e->listed = false;
	if (e->pass_ev != NULL)
		event_del(e->pass_ev);
	if (e->backoff_ev != NULL)
		evtimer_del(e->backoff_ev);
}

/* Container ids go into URLs: accept only what engines produce. */
static bool
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

/* "Connection refused (Couldn't connect to server)" and the like. */
static void
engine_reason(char *buf, size_t len, const char *what, struct http_request *req,
    int result, long status)
{
	const char *detail;

	if (result == 0) {
		snprintf(buf, len, "%s: HTTP %ld", what, status);
		return;
	}
	if (result == -ENOENT) {
		snprintf(buf, len, "%s: no socket there", what);
		return;
	}
	if (result == -ECONNREFUSED) {
		snprintf(buf, len, "%s: connection refused", what);
		return;
	}
	detail = req != NULL ? http_request_error(req) : "";
	if (detail != NULL && *detail != '\0')
		snprintf(
		    buf, len, "%s: %s (%s)", what, strerror(-result), detail);
	else
		snprintf(buf, len, "%s: %s", what, strerror(-result));
}

static void
engine_backoff(struct engine *e, const char *fmt, ...)
{
	char why[512], msg[640];
	unsigned long base_ms, delay_ms;
	struct timeval tv;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);

	e->fail_repeat = strcmp(e->fail_why, why) == 0;
	snprintf(e->fail_why, sizeof e->fail_why, "%s", why);
	engine_drop(e);
	base_ms = ENGINE_BACKOFF_MIN_MS;
	if (e->attempts < 16)
		base_ms <<= e->attempts;
	else
		base_ms = ENGINE_BACKOFF_MAX_MS;
	if (base_ms > ENGINE_BACKOFF_MAX_MS)
		base_ms = ENGINE_BACKOFF_MAX_MS;
	e->attempts++;
	/* Half fixed, half random: engines restarted together spread out. */
	e->jitter ^= e->jitter << 13;
	e->jitter ^= e->jitter >> 17;
	e->jitter ^= e->jitter << 5;
	delay_ms = base_ms / 2 + e->jitter % (base_ms / 2 + 1);

	snprintf(
	    msg, sizeof msg, "%s; retrying in %.1f s", why, delay_ms / 1000.0);
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(e->backoff_ev, &tv);
	engine_enter_state(e, ENGINE_BACKOFF, msg);
}

static void
engine_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	engine_hold(e);
	engine_connect(e, NULL);
	engine_release(e);
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
static bool
engine_ctrs_busy(const struct engine *e)
{
	const struct engine_ctr *c;

	TAILQ_FOREACH(c, &e->ctrs, entry)
	{
		if (c->want != ENGINE_WANT_NONE || c->inspect != NULL)
			return true;
	}
	return false;
}

/* Reports sync END once the list and all it caused are done. */
static void
engine_check_synced(struct engine *e)
{
	unsigned gen = e->gen;

	if (!e->syncing || !e->listed || engine_ctrs_busy(e) ||
	    e->netreq != NULL)
		return;
	e->syncing = false;
	e->attempts = 0;
	if (e->cbs.sync_cb != NULL)
		e->cbs.sync_cb(e, ENGINE_SYNC_END, e->arg);
	if (engine_gone_away(e, gen))
		return;
	engine_enter_state(e, ENGINE_STREAMING, NULL);
}

static const char *
engine_net_driver(struct engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nnets; i++) {
		if (e->nets[i].name != NULL &&
		    strcmp(e->nets[i].name, name) == 0)
			return e->nets[i].driver;
	}
	return NULL;
}

static bool
engine_net_known(struct engine *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->nnets; i++) {
		if (e->nets[i].id != NULL && strcmp(e->nets[i].id, id) == 0)
			return true;
	}
	return false;
}

/* Parses /networks into e->nets.  Returns 0 or -EINVAL/-ENOMEM. */
static int
engine_nets_parse(struct engine *e, const char *body, size_t len)
{
	struct json_object *root, *o;
	struct engine_net *nets;
	const char *id, *name, *driver;
	size_t i, n, k = 0;
	int rc = 0;

	root = json_tokener_parse(body);
	if (root == NULL || !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	n = json_object_array_length(root);
	nets = calloc(n + 1, sizeof *nets);
	if (nets == NULL) {
		json_object_put(root);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(root, i);
		if (!json_object_is_type(o, json_type_object))
			continue;
		id = jsonget_string(o, "Id");
		name = jsonget_string(o, "Name");
		driver = jsonget_string(o, "Driver");
		if (name == NULL)
			continue;
		nets[k].id = id != NULL ? strdup(id) : NULL;
		nets[k].name = strdup(name);
		nets[k].driver = driver != NULL ? strdup(driver) : NULL;
		if (nets[k].name == NULL) {
			rc = -ENOMEM;
			break;
		}
		k++;
	}
	json_object_put(root);
	engine_nets_clear(e);
	e->nets = nets;
	e->nnets = k;
	return rc;
}

/* Hands a fresh instance to the owner. */
static void
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
static struct instance *
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

static void
engine_podname_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine_ctr *c = arg;
	struct engine *e = c->e;
	struct instance *inst;
	struct json_object *root;
	const char *name = NULL;
	unsigned gen;

	engine_hold(e);
	gen = e->gen;
	if ((inst = engine_take_held(e, c)) == NULL)
		goto out;
	root = result == 0 && status == 200 ? json_tokener_parse(body) : NULL;
	if ((name = jsonget_string(root, "Name")) != NULL && *name != '\0') {
		engine_pod_remember(e, inst->pod, name);
		instance_set_pod_name(inst, name);
	} else
		log_debug("%s: container %s (%s): pod %.12s: pod inspect "
			  "failed, its name is unknown",
		    engine_name(e), inst->short_id,
		    inst->name != NULL ? inst->name : "?", inst->pod);
	json_object_put(root);
	engine_deliver(e, c, inst);
out:
	if (!engine_gone_away(e, gen))
		engine_schedule(e);
	engine_release(e);
}

/*
 * Names inst's pod from memory, or asks the libpod API for it: then inst
 * waits in c->held and true is returned.  The pod's name, not its id, is
 * what its records are announced under.
 */
static bool
engine_pod_lookup(struct engine *e, struct engine_ctr *c, struct instance *inst)
{
	const char *name;
	char path[256];

	if (inst->pod == NULL)
		return false;
	if ((name = engine_pod_name(e, inst->pod)) != NULL) {
		instance_set_pod_name(inst, name);
		return false;
	}
	if (!engine_valid_id(inst->pod))
		return false;
	snprintf(path, sizeof path, "/v%d.0.0/libpod/pods/%s/json",
	    e->libpod_major, inst->pod);
	c->inspect = http_get(e->http, e->socket, path, ENGINE_SMALL_CAP,
	    ENGINE_TIMEOUT_MS, engine_podname_done, c);
	if (c->inspect == NULL)
		return false;
	c->held = inst;
	e->ninspects++;
	return true;
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
	if (!engine_gone_away(e, gen))
		engine_schedule(e);
	engine_release(e);
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
		c->inspect =
		    http_get(e->http, e->socket, path, ENGINE_INSPECT_CAP,
			ENGINE_TIMEOUT_MS, engine_podinfo_done, c);
		if (c->inspect != NULL) {
			c->held = inst;
			e->ninspects++;
			goto out;
		}
	}
	engine_deliver(e, c, inst);
out:
	if (!engine_gone_away(e, gen))
		engine_schedule(e);
	engine_release(e);
}

static void
engine_inspect(struct engine *e, struct engine_ctr *c)
{
	char path[256];

	snprintf(path, sizeof path, "%s/containers/%s/json", e->prefix, c->id);
	c->inspect = http_get(e->http, e->socket, path, ENGINE_INSPECT_CAP,
	    ENGINE_TIMEOUT_MS, engine_inspect_done, c);
	if (c->inspect == NULL) {
		log_warnx("%s: container %.12s: inspect: out of memory, "
			  "skipping",
		    engine_name(e), c->id);
		return;
	}
	e->ninspects++;
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
		case ENGINE_WANT_GONE:
			c->want = ENGINE_WANT_NONE;
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
		case ENGINE_WANT_INSPECT:
			/* One in flight per id; a new network list first. */
			if (c->inspect != NULL || e->netreq != NULL ||
			    e->ninspects >= ENGINE_INSPECTS_MAX)
				break;
			c->want = ENGINE_WANT_NONE;
			engine_inspect(e, c);
			break;
		case ENGINE_WANT_NONE:
			break;
		}
		if (c->want == ENGINE_WANT_NONE && c->inspect == NULL &&
		    !engine_ctr_settling(c))
			engine_ctr_free(e, c);
	}
	engine_check_synced(e);
}

static void
engine_pass_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;

	engine_hold(e);
	engine_pass(e);
	engine_release(e);
}

/* Activating an event that is already active is a no-op: one pass. */
static void
engine_schedule(struct engine *e)
{
	event_active(e->pass_ev, EV_TIMEOUT, 0);
}

static void
engine_netreq_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine *e = arg;
	char reason[512];

	engine_hold(e);
	e->netreq = NULL;
	if (result == 0 && status == 200)
		result = engine_nets_parse(e, body, len);
	if (result != 0 || status != 200) {
		engine_reason(
		    reason, sizeof reason, "networks", req, result, status);
		log_warnx("%s (%s): %s; network drivers may be unknown",
		    engine_name(e), e->socket, reason);
	}
	engine_schedule(e);
	engine_release(e);
}

static void
engine_nets_refresh(struct engine *e)
{
	char path[64];

	if (e->netreq != NULL)
		return;
	snprintf(path, sizeof path, "%s/networks", e->prefix);
	e->netreq = http_get(e->http, e->socket, path, ENGINE_LIST_CAP,
	    ENGINE_TIMEOUT_MS, engine_netreq_done, e);
}

static void
engine_settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct engine_ctr *c = arg;
	struct engine *e = c->e;

	engine_hold(e);
	if (c->want == ENGINE_WANT_NONE)
		c->want = ENGINE_WANT_INSPECT;
	engine_schedule(e);
	engine_release(e);
}

/* Inspects c again in ENGINE_PODMAN_SETTLE_MS (once, however asked). */
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

static void
engine_event_cb(const struct engine_event *ev, void *arg)
{
	struct engine *e = arg;
	enum engine_want want = ENGINE_WANT_NONE;
	const char *action = ev->action, *id = ev->id;
	struct engine_ctr *c;
	bool settle;

	if (ev->time > e->last_time ||
	    (ev->time == e->last_time && ev->time_nano > e->last_time_nano)) {
		e->last_time = ev->time;
		e->last_time_nano = ev->time_nano;
	}
	e->seen_events = true;
	if (ev->type == NULL || action == NULL)
		return;

	if (strcmp(ev->type, "network") == 0) {
		if (ev->id != NULL && !engine_net_known(e, ev->id))
			engine_nets_refresh(e);
		id = ev->container;
	}
	switch (eventstream_effect(ev)) {
	case EVENTSTREAM_INSPECT:
		want = ENGINE_WANT_INSPECT;
		break;
	case EVENTSTREAM_GONE:
		want = ENGINE_WANT_GONE;
		break;
	case EVENTSTREAM_NONE:
		break;
	}
	log_debug("%s: event %s %s %.12s%s%s", engine_name(e), ev->type, action,
	    id != NULL ? id : "?", ev->health != NULL ? " " : "",
	    ev->health != NULL ? ev->health : "");
	settle = engine_podman_settles(e, ev);
	if ((want == ENGINE_WANT_NONE && !settle) || !engine_valid_id(id))
		return;
	c = engine_ctr_get(
	    e, id, strcmp(ev->type, "container") == 0 ? ev->name : NULL);
	if (c == NULL) {
		log_warnx("%s: container %.12s: out of memory, event dropped",
		    engine_name(e), id);
		return;
	}
	if (want != ENGINE_WANT_NONE)
		c->want = want;
	if (settle)
		engine_settle(e, c);
	engine_schedule(e);
}

static void
engine_event_error_cb(const char *reason, void *arg)
{
	struct engine *e = arg;

	log_warnx("%s (%s): events: line skipped: %s", engine_name(e),
	    e->socket, reason);
}

static int
engine_events_data(
    struct http_request *req, const char *buf, size_t len, void *arg)
{
	struct engine *e = arg;

	if (eventstream_feed(e->es, buf, len) != 0) {
		log_warnx("%s (%s): events: out of memory", engine_name(e),
		    e->socket);
		return 1;
	}
	return 0;
}

static void
engine_events_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine *e = arg;
	char reason[512];

	engine_hold(e);
	e->events = NULL;
	if (e->events_status != 0)
		snprintf(reason, sizeof reason, "events: HTTP %ld",
		    e->events_status);
	else if (result == 0 && status == 200)
		snprintf(reason, sizeof reason, "events stream ended");
	else
		engine_reason(reason, sizeof reason, "events stream lost", req,
		    result, status);
	engine_backoff(e, "%s", reason);
	engine_release(e);
}

static void
engine_list_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine *e = arg;
	struct json_object *root, *o, *names, *n0;
	struct engine_ctr *c;
	const char *id, *name;
	char reason[512];
	size_t i, n;

	engine_hold(e);
	e->req = NULL;
	if (result != 0 || status != 200) {
		engine_reason(reason, sizeof reason, "container list", req,
		    result, status);
		engine_backoff(e, "%s", reason);
		goto out;
	}
	root = json_tokener_parse(body);
	if (root == NULL || !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		engine_backoff(e, "container list: not a JSON array");
		goto out;
	}
	n = json_object_array_length(root);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(root, i);
		if (!json_object_is_type(o, json_type_object))
			continue;
		id = jsonget_string(o, "Id");
		if (!engine_valid_id(id))
			continue;
		name = NULL;
		names = jsonget_member(o, "Names");
		if (json_object_is_type(names, json_type_array) &&
		    json_object_array_length(names) > 0) {
			n0 = json_object_array_get_idx(names, 0);
			if (json_object_is_type(n0, json_type_string)) {
				name = json_object_get_string(n0);
				if (*name == '/')
					name++;
			}
		}
		c = engine_ctr_get(e, id, name);
		if (c == NULL) {
			json_object_put(root);
			engine_backoff(e, "container list: out of memory");
			goto out;
		}
		/* A gone seen on the stream meanwhile is newer: keep it. */
		if (c->want == ENGINE_WANT_NONE)
			c->want = ENGINE_WANT_INSPECT;
	}
	json_object_put(root);
	log_debug(
	    "%s (%s): %zu containers running", engine_name(e), e->socket, n);
	e->listed = true;
	engine_schedule(e);
out:
	engine_release(e);
}

static void
engine_list(struct engine *e)
{
	char path[64];

	snprintf(path, sizeof path, "%s/containers/json", e->prefix);
	e->req = http_get(e->http, e->socket, path, ENGINE_LIST_CAP,
	    ENGINE_TIMEOUT_MS, engine_list_done, e);
	if (e->req == NULL)
		engine_backoff(e, "container list: out of memory");
}

static void
engine_networks_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine *e = arg;
	char reason[512];

	engine_hold(e);
	e->req = NULL;
	if (result == 0 && status == 200)
		result = engine_nets_parse(e, body, len);
	if (result != 0 || status != 200) {
		/* Only macvlan detection needs drivers: go on without. */
		engine_reason(
		    reason, sizeof reason, "networks", req, result, status);
		log_warnx("%s (%s): %s; network drivers unknown",
		    engine_name(e), e->socket, reason);
	}
	engine_list(e);
	engine_release(e);
}

static int
engine_events_headers(struct http_request *req, long status, void *arg)
{
	struct engine *e = arg;
	char path[64];
	unsigned gen;
	int rc = 0;

	engine_hold(e);
	gen = e->gen;
	if (status != 200) {
		/* events_done reports it and backs off. */
		e->events_status = status;
		rc = 1;
		goto out;
	}
	e->syncing = true;
	if (e->cbs.sync_cb != NULL)
		e->cbs.sync_cb(e, ENGINE_SYNC_BEGIN, e->arg);
	if (engine_gone_away(e, gen)) {
		rc = 1;
		goto out;
	}
	snprintf(path, sizeof path, "%s/networks", e->prefix);
	e->req = http_get(e->http, e->socket, path, ENGINE_LIST_CAP,
	    ENGINE_TIMEOUT_MS, engine_networks_done, e);
	if (e->req == NULL)
		engine_list(e);
out:
	engine_release(e);
	return rc;
}

static void
engine_subscribe(struct engine *e)
{
	char path[256];

	/*
	 * dockerd replays its last 256 events from since: whatever happened
	 * while we were away, or duplicates of what we saw (harmless: each
	 * only leads to a fresh inspect).
	 */
	if (e->seen_events)
		snprintf(path, sizeof path,
		    "%s/events?%s&since=%" PRId64 ".%09" PRId64, e->prefix,
		    ENGINE_EVENTS_FILTER, e->last_time,
		    e->last_time_nano % 1000000000);
	else
		snprintf(path, sizeof path, "%s/events?%s", e->prefix,
		    ENGINE_EVENTS_FILTER);
	log_debug("%s (%s): GET %s", engine_name(e), e->socket, path);
	e->events = http_stream(e->http, e->socket, path, engine_events_data,
	    engine_events_done, e);
	if (e->events == NULL) {
		engine_backoff(e, "events: out of memory");
		return;
	}
	http_request_set_headers_cb(e->events, engine_events_headers);
}

static void
engine_info_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine *e = arg;
	struct json_object *root;
	const char *id, *graph;
	char reason[512];
	unsigned gen;

	engine_hold(e);
	gen = e->gen;
	e->req = NULL;
	if (result != 0 || status != 200) {
		engine_reason(
		    reason, sizeof reason, "info", req, result, status);
		engine_backoff(e, "%s", reason);
		goto out;
	}
	root = json_tokener_parse(body);
	id = jsonget_string(root, "ID");
	/*
	 * Podman 4.3 makes up a new ID on every /info; its storage root is
	 * what stays the same for one engine (and differs per rootless user).
	 */
	if (e->kind == ENGINE_KIND_PODMAN &&
	    (graph = jsonget_string(root, "DockerRootDir")) != NULL &&
	    *graph != '\0') {
		free(e->id);
		e->id = NULL;
		if (asprintf(&e->id, "podman:%s", graph) == -1)
			e->id = NULL;
	} else if (id != NULL && *id != '\0') {
		free(e->id);
		e->id = strdup(id);
	}
	json_object_put(root);
	log_info("%s (%s): API %s, engine ID %s", engine_name(e), e->socket,
	    e->api, e->id != NULL ? e->id : "unknown");

	engine_enter_state(e, ENGINE_LISTING, NULL);
	if (engine_gone_away(e, gen))
		goto out;
	engine_subscribe(e);
out:
	engine_release(e);
}

/* "1.41" into 1 and 41.  Returns 0 or -EINVAL. */
static int
engine_parse_version(const char *s, int *major, int *minor)
{
	char *end;
	long a, b;

	if (s == NULL)
		return -EINVAL;
	a = strtol(s, &end, 10);
	if (end == s || *end != '.')
		return -EINVAL;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (end == s || a < 0 || a > 1000 || b < 0 || b > 1000)
		return -EINVAL;
	*major = a;
	*minor = b;
	return 0;
}

static void
engine_ping_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine *e = arg;
	const char *version, *libpod;
	char reason[512], path[64];
	int major, minor;

	engine_hold(e);
	e->req = NULL;
	if (result != 0 || status != 200) {
		engine_reason(
		    reason, sizeof reason, "ping", req, result, status);
		engine_backoff(e, "%s", reason);
		goto out;
	}
	libpod = http_request_header(req, "Libpod-API-Version");
	e->kind = libpod != NULL ? ENGINE_KIND_PODMAN : ENGINE_KIND_DOCKER;
	e->libpod_major = libpod != NULL ? atoi(libpod) : 0;
	if (e->libpod_major < 0 || e->libpod_major > 99)
		e->libpod_major = 0;
	version = http_request_header(req, "API-Version");
	if (version == NULL) {
		/* Every engine we support sends it; assume the oldest. */
		log_warnx("%s (%s): no API-Version in the ping answer, "
			  "assuming 1.%d",
		    engine_name(e), e->socket, ENGINE_API_MIN_MINOR);
		major = 1;
		minor = ENGINE_API_MIN_MINOR;
	} else if (engine_parse_version(version, &major, &minor) != 0) {
		engine_backoff(
		    e, "ping: API version \"%.32s\" unreadable", version);
		goto out;
	}
	if (major != 1 || minor < ENGINE_API_MIN_MINOR) {
		log_error("%s (%s): API version %d.%d is too old, portlight "
			  "needs 1.%d or later",
		    engine_name(e), e->socket, major, minor,
		    ENGINE_API_MIN_MINOR);
		engine_backoff(
		    e, "API version %d.%d unsupported", major, minor);
		goto out;
	}
	if (minor > ENGINE_API_MAX_MINOR)
		minor = ENGINE_API_MAX_MINOR;
	snprintf(e->api, sizeof e->api, "1.%d", minor);
	snprintf(e->prefix, sizeof e->prefix, "/v1.%d", minor);

	snprintf(path, sizeof path, "%s/info", e->prefix);
	e->req = http_get(e->http, e->socket, path, ENGINE_LIST_CAP,
	    ENGINE_TIMEOUT_MS, engine_info_done, e);
	if (e->req == NULL)
		engine_backoff(e, "info: out of memory");
out:
	engine_release(e);
}

static void
engine_connect(struct engine *e, const char *why)
{
	unsigned gen = e->gen;

	engine_enter_state(e, ENGINE_CONNECTING, why);
	if (engine_gone_away(e, gen))
		return;
	e->req = http_get(e->http, e->socket, "/_ping", ENGINE_SMALL_CAP,
	    ENGINE_TIMEOUT_MS, engine_ping_done, e);
	if (e->req == NULL)
		engine_backoff(e, "ping: out of memory");
}

struct engine *
engine_new(struct event_base *base, struct http *http, const char *socket_path,
    const struct engine_cbs *cbs, void *arg)
{
	struct engine *e;

	e = calloc(1, sizeof *e);
	if (e == NULL)
		return NULL;
	e->base = base;
	e->http = http;
	e->cbs = *cbs;
	e->arg = arg;
	TAILQ_INIT(&e->ctrs);
	/* Different per process and per engine, never 0. */
	e->jitter = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^
	    (uint32_t)(uintptr_t)e;
	if (e->jitter == 0)
		e->jitter = 0x9e3779b9;
	e->socket = strdup(socket_path);
	e->es = eventstream_new(
	    ENGINE_LINE_CAP, engine_event_cb, engine_event_error_cb, e);
	e->pass_ev = event_new(base, -1, 0, engine_pass_cb, e);
	e->backoff_ev = evtimer_new(base, engine_backoff_cb, e);
	if (e->socket == NULL || e->es == NULL || e->pass_ev == NULL ||
	    e->backoff_ev == NULL) {
		engine_destroy(e);
		return NULL;
	}
	return e;
}

int
engine_start(struct engine *e)
{
	if (e->state != ENGINE_DISCONNECTED)
		return -EALREADY;
	engine_hold(e);
	engine_connect(e, NULL);
	engine_release(e);
	return 0;
}

void
engine_resync(struct engine *e)
{
	if (e->dead)
		return;
	engine_hold(e);
	engine_drop(e);
	e->attempts = 0;
	/* A full resync lists everything anyway: no replay wanted. */
	e->seen_events = false;
	engine_connect(e, "resync");
	engine_release(e);
}

static void
engine_destroy(struct engine *e)
{
	engine_drop(e);
	engine_nets_clear(e);
	engine_pods_clear(e);
	eventstream_free(e->es);
	if (e->pass_ev != NULL)
		event_free(e->pass_ev);
	if (e->backoff_ev != NULL)
		event_free(e->backoff_ev);
	free(e->id);
	free(e->socket);
	free(e);
}

void
engine_free(struct engine *e)
{
	if (e == NULL || e->dead)
		return;
	e->dead = true;
	engine_drop(e);
	if (e->busy == 0)
		engine_destroy(e);
}

enum engine_state
engine_get_state(const struct engine *e)
{
	return e->state;
}

enum engine_kind
engine_get_kind(const struct engine *e)
{
	return e->kind;
}

const char *
engine_name(const struct engine *e)
{
	switch (e->kind) {
	case ENGINE_KIND_DOCKER:
		return "docker";
	case ENGINE_KIND_PODMAN:
		return "podman";
	default:
		return "engine";
	}
}

const char *
engine_socket(const struct engine *e)
{
	return e->socket;
}

const char *
engine_id(const struct engine *e)
{
	return e->id;
}

const char *
engine_api_version(const struct engine *e)
{
	return e->api[0] != '\0' ? e->api : NULL;
}
