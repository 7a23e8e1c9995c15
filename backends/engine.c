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
 * costs one pass and at most one inspect in flight per container: that
 * is engine_ctrs.c.  Pod names are in engine_pods.c, networks in
 * engine_nets.c; what they share is in engine_int.h.
 *
 * The owner may call engine_free or engine_resync from inside any of our
 * callbacks.  Every entry point (http callbacks, our timers, the public
 * calls) holds the engine; a free while held only flags it, and after each
 * call out to the owner we check whether the world we were in still exists
 * (dead, or gen moved by a drop).
 */
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
#include "engine_int.h"
#include "eventstream.h"
#include "http.h"
#include "jsonget.h"
#include "log.h"

/* Our side of the API version negotiation: 1.40 .. 1.43. */
#define ENGINE_API_MIN_MINOR 40
#define ENGINE_API_MAX_MINOR 43

#define ENGINE_LINE_CAP (1024 * 1024)

#define ENGINE_BACKOFF_MIN_MS 500
#define ENGINE_BACKOFF_MAX_MS 30000

/*
 * filters={"type":["container","network"]}, URL-encoded: network events
 * carry the container of connect/disconnect.
 */
#define ENGINE_EVENTS_FILTER                                                   \
	"filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D"

static void engine_connect(struct engine *, const char *);
static void engine_backoff(struct engine *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

void
engine_hold(struct engine *e)
{
	e->busy++;
}

static void engine_destroy(struct engine *);

/* Frees e if engine_free was called while it was held: e is not used after. */
void
engine_release(struct engine *e)
{
	if (--e->busy == 0 && e->dead)
		engine_destroy(e);
}

/* After a call to the owner: is the world we were working in still here? */
bool
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

	/* A retry after the same failure is quiet; a resync (why) is not. */
	quiet = e->fail_repeat &&
	    (state == ENGINE_BACKOFF ||
		(state == ENGINE_CONNECTING && old == ENGINE_BACKOFF &&
		    why == NULL));
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

/* "Connection refused (Couldn't connect to server)" and the like. */
void
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

/* Reports sync END once the list and all it caused are done. */
void
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
		if (c->want == EVENTSTREAM_NONE)
			c->want = EVENTSTREAM_INSPECT;
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

	engine_hold(e);
	e->req = NULL;
	engine_nets_answer(e, req, result, status, body, len);
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
