/*
 * buswatch: inotify on the folder of one socket path.  See buswatch.h.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "buswatch.h"

#define BUSWATCH_MASK (IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_ONLYDIR)

struct buswatch {
	int fd;
	struct event *read_ev;
	char *name; /* the socket's file name in the watched folder */
	void (*cb)(void *arg);
	void *arg;
};

static void
buswatch_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct buswatch *w = arg;
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;
	bool hit = false;

	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->len > 0 && strcmp(ev->name, w->name) == 0)
				hit = true;
		}
	}
	if (hit)
		w->cb(w->arg);
}

struct buswatch *
buswatch_new(
    struct event_base *base, const char *path, void (*cb)(void *arg), void *arg)
{
	struct buswatch *w;
	const char *slash;
	char dir[PATH_MAX];
	size_t dlen;
	int saved;

	slash = path != NULL ? strrchr(path, '/') : NULL;
	if (slash == NULL || slash[1] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	dlen = slash == path ? 1 : (size_t)(slash - path);
	if (dlen >= sizeof dir) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	if ((w = calloc(1, sizeof *w)) == NULL)
		return NULL;
	w->cb = cb;
	w->arg = arg;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd == -1 || (w->name = strdup(slash + 1)) == NULL ||
	    inotify_add_watch(w->fd, dir, BUSWATCH_MASK) == -1 ||
	    (w->read_ev = event_new(base, w->fd, EV_READ | EV_PERSIST,
		 buswatch_read_cb, w)) == NULL ||
	    event_add(w->read_ev, NULL) == -1) {
		saved = errno != 0 ? errno : ENOMEM;
		buswatch_free(w);
		errno = saved;
		return NULL;
	}
	return w;
}

void
buswatch_free(struct buswatch *w)
{
	if (w == NULL)
		return;
	if (w->read_ev != NULL)
		event_free(w->read_ev);
	if (w->fd != -1)
		close(w->fd);
	free(w->name);
	free(w);
}
