/*
 * engine: one connection to a container engine speaking the Docker
 * Engine API over a unix socket (dockerd, or Podman's compat service).
 *
 * States, changed in one place that logs every "A -> B":
 *   DISCONNECTED -> CONNECTING (/_ping, /info)
 *                -> LISTING (/events subscribed first, then list + inspect)
 *                -> STREAMING -> (stream lost) BACKOFF -> CONNECTING ...
 *
 * The engine reports containers to its owner through callbacks; it keeps
 * no table of them beyond what is needed to coalesce inspects.  On every
 * (re)connection it brackets the list with sync_cb(BEGIN)/sync_cb(END):
 * the owner sweeps away what was not reported in between.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>

struct event_base;
struct http;
struct instance;
struct engine;

enum engine_state {
	ENGINE_DISCONNECTED = 0,
	ENGINE_CONNECTING,
	ENGINE_LISTING,
	ENGINE_STREAMING,
	ENGINE_BACKOFF,
};

enum engine_kind {
	ENGINE_KIND_UNKNOWN = 0,
	ENGINE_KIND_DOCKER,
	ENGINE_KIND_PODMAN,
};

enum engine_sync {
	ENGINE_SYNC_BEGIN,
	ENGINE_SYNC_END,
};

struct engine_cbs {
	/*
	 * A container as it is now (after inspect), in any state: the owner
	 * decides whether it is announced.  The owner takes inst.
	 */
	void (*container_cb)(
	    struct engine *e, struct instance *inst, void *arg);
	/*
	 * The container stopped, paused or was removed.  (An unhealthy one
	 * comes through container_cb: portlight.health=ignore may keep it.)
	 */
	void (*gone_cb)(struct engine *e, const char *id, void *arg);
	void (*sync_cb)(struct engine *e, enum engine_sync phase, void *arg);
	/* Every state change, after it is logged; may be NULL. */
	void (*state_cb)(struct engine *e, enum engine_state state, void *arg);
};

/* The socket path is copied.  Nothing happens before engine_start(). */
struct engine *engine_new(struct event_base *base, struct http *http,
    const char *socket_path, const struct engine_cbs *cbs, void *arg);
int engine_start(struct engine *e);
/* Drops the connection and reconnects at once: a full resync (SIGHUP). */
void engine_resync(struct engine *e);
/* Safe from inside the engine's own callbacks (freed at the top). */
void engine_free(struct engine *e);

enum engine_state engine_get_state(const struct engine *e);
const char *engine_state_name(enum engine_state state);
enum engine_kind engine_get_kind(const struct engine *e);
/* "docker", "podman", or "engine" before the first answer. */
const char *engine_name(const struct engine *e);
const char *engine_socket(const struct engine *e);
/*
 * The engine's ID from /info, or NULL before it answered: two sockets of
 * one engine give the same.  Podman's /info ID changes on every call, so
 * for Podman it is "podman:" and its storage root (DockerRootDir).
 */
const char *engine_id(const struct engine *e);
/* The negotiated API version, "1.41", or NULL. */
const char *engine_api_version(const struct engine *e);

#endif
