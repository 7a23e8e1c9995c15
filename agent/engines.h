/*
 * engines: the set of engine connections the agent watches.  It decides
 * which sockets to connect to (-H, DOCKER_HOST, auto-detection), keeps a
 * lost engine's records for the grace period while it reconnects, and
 * ignores a second path to an engine it already watches (same engine ID),
 * so that no container is announced twice.
 */
#ifndef ENGINES_H
#define ENGINES_H

#include <stddef.h>

struct event_base;
struct http;
struct options;
struct engine;
struct engine_cbs;
struct engines;

/* The engine stayed away longer than the grace period. */
typedef void (*engines_lost_cb)(struct engine *e, void *arg);

/*
 * Starts one engine per socket.  cbs are forwarded (state_cb too), except
 * for engines that duplicate another.  lost_cb may be NULL.  Returns NULL
 * after logging why when no engine can be watched at all.
 */
struct engines *engines_new(struct event_base *base, struct http *http,
    const struct options *o, const struct engine_cbs *cbs,
    engines_lost_cb lost_cb, void *arg);
void engines_resync(struct engines *es);
size_t engines_count(const struct engines *es);
struct engine *engines_get(const struct engines *es, size_t i);
/* True when engine i duplicates an engine watched through another path. */
int engines_is_duplicate(const struct engines *es, size_t i);
void engines_free(struct engines *es);

#endif
