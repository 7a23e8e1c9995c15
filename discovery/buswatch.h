/*
 * buswatch: notices a socket file appearing at one path (the system
 * D-Bus's), through inotify on its folder.  While the bus is unreachable
 * the publisher keeps one, and reconnects as soon as dbus-daemon binds
 * its socket again instead of at its next backoff step.
 *
 * The folder must exist when the watch is made; if it is removed later
 * the watch goes quiet (the publisher's backoff still retries).
 */
#ifndef BUSWATCH_H
#define BUSWATCH_H

struct event_base;
struct buswatch;

/*
 * Calls cb(arg) from base's loop each time a file named like path's last
 * component is created, moved in, or has its attributes changed in
 * path's folder.  cb must not free the watch.  Returns NULL with errno
 * set: ENOENT or ENOTDIR when the folder is missing, EINVAL for a path
 * with no folder part, or inotify's and libevent's errors.
 */
struct buswatch *buswatch_new(struct event_base *base, const char *path,
    void (*cb)(void *arg), void *arg);
void buswatch_free(struct buswatch *w);

#endif
