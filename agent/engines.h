/*
 * engines: the set of engine connections the agent watches.  It decides
 * which sockets to connect to (-H, and auto-detection: DOCKER_HOST,
 * contexts, the system and rootless sockets, every user's as root),
 * follows sockets that appear and vanish, keeps a lost engine's records
 * for the grace period while it reconnects, and ignores a second path to
 * an engine it already watches (same engine ID), so that no container is
 * announced twice.
 */
#ifndef ENGINES_H
#define ENGINES_H

#include <stdbool.h>
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
 * Starts one engine per socket.  With follow, auto-detected sockets are
 * watched as they appear and vanish (portlight run); without, they are
 * looked for once (portlight list).  cbs are forwarded (state_cb too),
 * except for engines that duplicate another.  lost_cb may be NULL.
 * Returns NULL after logging why when the configuration is wrong
 * (DOCKER_HOST=tcp://...).
 */
struct engines *engines_new(struct event_base *base, struct http *http,
    const struct options *o, bool follow, const struct engine_cbs *cbs,
    engines_lost_cb lost_cb, void *arg);
/* Resyncs every engine and looks for sockets again (SIGHUP). */
void engines_resync(struct engines *es);
/*
 * True when every engine has answered (and listed) or failed at least
 * once, and the first look for sockets is done: list can print.
 */
bool engines_settled(const struct engines *es);
/* Engines that listed their containers at least once. */
size_t engines_answered(const struct engines *es);
/* Engines watched now (duplicates included). */
size_t engines_count(const struct engines *es);
void engines_free(struct engines *es);

#endif
