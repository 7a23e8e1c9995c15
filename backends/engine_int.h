/*
 * engine_int.h: what the files of one engine share, and nothing outside
 * backends/engine*.c may use.
 *
 *   engine.c       the connection's state machine and the public calls
 *   engine_ctrs.c  containers: events into wants, the coalesced pass,
 *                  inspects, and Podman's health settle timer
 *   engine_pods.c  Podman pod names: remembered, or asked for once
 *   engine_nets.c  the engine's networks and their drivers
 *
 * Every entry point (http callbacks, timers, the public calls) holds the
 * engine; see engine.c.
 */
#ifndef ENGINE_INT_H
#define ENGINE_INT_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "engine.h"
#include "eventstream.h"
#include "http.h"

#define ENGINE_TIMEOUT_MS 10000L
#define ENGINE_SMALL_CAP (1024 * 1024)
/* Hostile labels and env can make one inspect large; list more so. */
#define ENGINE_INSPECT_CAP (8 * 1024 * 1024)
#define ENGINE_LIST_CAP (32 * 1024 * 1024)
/* Pod names remembered per engine; past this the memory starts afresh. */
#define ENGINE_PODS_MAX 64

/* A container something is pending for; freed once nothing is. */
struct engine_ctr {
	TAILQ_ENTRY(engine_ctr) entry;
	struct engine *e;
	char *id;
	char *name; /* for logs; may be NULL */
	struct http_request *inspect;
	/* Podman: inspected, waiting for its pod from the libpod inspect. */
	struct instance *held;
	/* What the pass is to do: from an event, the list or a settle. */
	enum eventstream_effect want;
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
	char prefix[16]; /* "/v1.41" */
	/* Podman's libpod API major version, 0: none. */
	int libpod_major;

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

/* engine.c */
void engine_hold(struct engine *e);
/* Frees e if engine_free was called while it was held. */
void engine_release(struct engine *e);
/* After a call to the owner: is the world we were working in still here? */
bool engine_gone_away(struct engine *e, unsigned gen);
/* "Connection refused (Couldn't connect to server)" and the like. */
void engine_reason(char *buf, size_t len, const char *what,
    struct http_request *req, int result, long status);
/* Reports sync END once the list and all it caused are done. */
void engine_check_synced(struct engine *e);

/* engine_ctrs.c */
/* Container ids go into URLs: accept only what engines produce. */
bool engine_valid_id(const char *id);
/* Finds or adds id's entry, NULL when out of memory; name may be NULL. */
struct engine_ctr *engine_ctr_get(
    struct engine *e, const char *id, const char *name);
void engine_ctr_free(struct engine *e, struct engine_ctr *c);
/* Something is to be done or under way for a container. */
bool engine_ctrs_busy(const struct engine *e);
/* Wakes one pass over every container (engine_pass_cb) soon. */
void engine_schedule(struct engine *e);
void engine_pass_cb(evutil_socket_t fd, short what, void *arg);
/* Hands a fresh instance to the owner. */
void engine_deliver(
    struct engine *e, struct engine_ctr *c, struct instance *inst);
/*
 * Starts c's one request in flight; held, when not NULL, waits in c->held
 * for its answer.  Returns 0, or -ENOMEM.
 */
int engine_ctr_request(struct engine *e, struct engine_ctr *c, const char *path,
    size_t cap, http_done_cb done_cb, struct instance *held);
/* The instance waiting in c->held, or NULL when it went stale. */
struct instance *engine_take_held(struct engine *e, struct engine_ctr *c);
/*
 * Ends a container request's callback (begun with engine_hold, gen =
 * e->gen): the next pass, unless the engine went away, then the release.
 */
void engine_ctr_done(struct engine *e, unsigned gen);
/* The event stream's callbacks (eventstream_new). */
void engine_event_cb(const struct engine_event *ev, void *arg);
void engine_event_error_cb(const char *reason, void *arg);

/* engine_pods.c */
void engine_pods_clear(struct engine *e);
/* Names inst's pod, or has inst wait in c->held for it: then true. */
bool engine_pod_lookup(
    struct engine *e, struct engine_ctr *c, struct instance *inst);

/* engine_nets.c */
void engine_nets_clear(struct engine *e);
/*
 * Takes the answer to GET /networks into e->nets, or logs why it could
 * not (the drivers stay as they were: only macvlan detection needs them).
 */
void engine_nets_answer(struct engine *e, struct http_request *req, int result,
    long status, const char *body, size_t len);
/* The driver of the network called name, or NULL when not known. */
const char *engine_net_driver(struct engine *e, const char *name);
bool engine_net_known(struct engine *e, const char *id);
/* Lists the networks again (once at a time), then a pass. */
void engine_nets_refresh(struct engine *e);

#endif
