/*
 * eventstream: turns the bytes of an engine's /events stream, delivered in
 * arbitrary slices, into events.  Pure: no I/O, no logging.  Lines are held
 * in a buffer with a cap; each complete line is parsed with json-c.
 * Docker and Podman's compat API both send one JSON object per line.
 */
#ifndef EVENTSTREAM_H
#define EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

/* One event, valid only during the callback. */
struct engine_event {
	const char *type; /* "container", "network", ... */
	const char *
	    action; /* "start", "die", "health_status", "exec_start" (text after ':' cut off) */
	const char *id; /* Actor.ID (for network events: the network id) */
	const char *
	    container; /* network connect/disconnect: Actor.Attributes.container; else == id */
	const char *name; /* Actor.Attributes.name, may be NULL */
	const char *
	    health; /* "healthy"/"unhealthy"/"starting" for health events, else NULL */
	int64_t time; /* seconds */
	int64_t time_nano; /* nanoseconds, 0 if absent */
};

/*
 * What an event asks of its container (ev->container): a fresh inspect,
 * or its records withdrawn at once, or nothing.
 */
enum eventstream_effect {
	EVENTSTREAM_NONE = 0,
	EVENTSTREAM_INSPECT,
	EVENTSTREAM_GONE,
};

struct eventstream;

typedef void (*eventstream_event_cb)(const struct engine_event *ev, void *arg);
/* A line that was skipped: too long, not JSON, not an event. */
typedef void (*eventstream_error_cb)(const char *reason, void *arg);

/* cap: the longest line kept (bytes); longer lines are skipped whole. */
struct eventstream *eventstream_new(size_t cap, eventstream_event_cb event_cb,
    eventstream_error_cb error_cb, void *arg);
/*
 * Feeds a slice.  Calls event_cb for each complete event, error_cb for
 * each skipped line.  The callbacks must not free the eventstream.
 * Returns 0, or -ENOMEM.
 */
int eventstream_feed(struct eventstream *es, const char *buf, size_t len);
/* Pure: what ev means for its container. */
enum eventstream_effect eventstream_effect(const struct engine_event *ev);
/* Drops any partial line (the stream was reconnected). */
void eventstream_reset(struct eventstream *es);
void eventstream_free(struct eventstream *es);

#endif
