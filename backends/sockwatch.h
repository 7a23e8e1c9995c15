/*
 * sockwatch: engine sockets that appear and vanish, without polling.
 *
 * It runs detection (detect.h), watches with inotify the folders where
 * the candidate sockets live (or, while a folder does not exist yet, its
 * nearest existing ancestor, so that the folder's creation is seen), and
 * as root /run/user itself, where users' runtime folders come and go.
 * Any change in a watched folder that touches a candidate path (or a
 * folder on the way to one, or a new /run/user/UID) schedules one
 * rescan through a zero-delay event, so a burst costs one pass.  Each
 * pass re-runs detection, moves the watches to the new folder set, and
 * compares which candidates have a socket now with the last pass:
 * vanished_cb for those gone, then appeared_cb for those new.
 *
 * The first pass runs from the event loop, right after sockwatch_new():
 * appeared_cb then reports every socket already there.  Callbacks may
 * call sockwatch_free().
 */
#ifndef SOCKWATCH_H
#define SOCKWATCH_H

#include <stddef.h>

struct event_base;
struct detect_candidate;
struct detect_list;
struct sockwatch;

struct sockwatch_cbs {
	/* A socket is at c->path now.  c is valid during the call only. */
	void (*appeared_cb)(
	    struct sockwatch *sw, const struct detect_candidate *c, void *arg);
	/* The socket reported at c->path is gone. */
	void (*vanished_cb)(
	    struct sockwatch *sw, const struct detect_candidate *c, void *arg);
	/*
	 * Something for the caller to log (as a warning), each time it
	 * first occurs: detection notes (a broken config.json), a later
	 * detection that failed (the previous set is kept), a folder that
	 * could not be watched.  May be NULL.
	 */
	void (*note_cb)(struct sockwatch *sw, const char *message, void *arg);
};

/*
 * Sets *out.  sysroot is prefixed to the fixed paths (NULL on a real
 * host).  Returns 0; -EINVAL with err when detection itself fails
 * (DOCKER_HOST=tcp://...); -errno with err when inotify cannot be set up.
 */
int sockwatch_new(struct event_base *base, const char *sysroot,
    const struct sockwatch_cbs *cbs, void *arg, struct sockwatch **out,
    char *err, size_t errlen);
/* Schedules a pass now (SIGHUP: config.json or DOCKER_CONTEXT changed). */
void sockwatch_rescan(struct sockwatch *sw);
/* The candidates of the last pass (empty before the first). */
const struct detect_list *sockwatch_candidates(const struct sockwatch *sw);
/* Folders watched now, for tests and debug logs. */
size_t sockwatch_nwatches(const struct sockwatch *sw);
const char *sockwatch_watch_path(const struct sockwatch *sw, size_t i);
void sockwatch_free(struct sockwatch *sw);

#endif
