/*
 * evpoll: the AvahiPoll interface on a libevent event_base, so that the
 * Avahi client (its D-Bus connection and timers) runs on the agent's one
 * loop instead of a thread or a glib loop.
 *
 * Each AvahiWatch is one persistent libevent event on its fd; each
 * AvahiTimeout one evtimer.  Avahi hands us absolute wall-clock times
 * (gettimeofday), libevent wants relative delays: the conversion happens
 * when a timeout is armed, as the glib adapter does at each poll.
 *
 * Avahi may free or change the very watch or timeout whose callback is
 * running.  Such a free only marks the object dead and unhooks its event;
 * the trampoline that called the callback frees it once the callback has
 * returned (never free an object inside its own callback).
 */

#include <sys/queue.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <avahi-common/watch.h>

#include "evpoll.h"

/* Avahi's opaque types, defined by whoever implements the poll API. */
struct AvahiWatch {
	struct evpoll *ep;
	int fd;
	AvahiWatchEvent want; /* what Avahi asked for */
	AvahiWatchEvent fired; /* what the running callback got */
	struct event *ev;
	AvahiWatchCallback cb;
	void *arg;
	bool running;
	bool dead;
	TAILQ_ENTRY(AvahiWatch) entry;
};

struct AvahiTimeout {
	struct evpoll *ep;
	struct event *ev;
	AvahiTimeoutCallback cb;
	void *arg;
	bool running;
	bool dead;
	TAILQ_ENTRY(AvahiTimeout) entry;
};

struct evpoll {
	struct event_base *base;
	AvahiPoll api;
	TAILQ_HEAD(, AvahiWatch) watches;
	TAILQ_HEAD(, AvahiTimeout) timeouts;
};

static void
evpoll_watch_destroy(AvahiWatch *w)
{
	TAILQ_REMOVE(&w->ep->watches, w, entry);
	event_free(w->ev);
	free(w);
}

static void
evpoll_timeout_destroy(AvahiTimeout *t)
{
	TAILQ_REMOVE(&t->ep->timeouts, t, entry);
	event_free(t->ev);
	free(t);
}

/*
 * libevent folds POLLERR and POLLHUP into EV_READ/EV_WRITE; a zero-wait
 * poll on the fd recovers them, so that watch_get_events tells D-Bus of
 * a hang-up the way poll(2) would.
 */
static AvahiWatchEvent
evpoll_fired(int fd, short what, AvahiWatchEvent want)
{
	struct pollfd pfd;
	AvahiWatchEvent ev = 0;

	if (what & EV_READ)
		ev |= AVAHI_WATCH_IN;
	if (what & EV_WRITE)
		ev |= AVAHI_WATCH_OUT;
	pfd.fd = fd;
	pfd.events = want & (POLLIN | POLLOUT);
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1)
		ev |= pfd.revents & (POLLERR | POLLHUP);
	return ev;
}

static void
evpoll_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiWatch *w = arg;

	w->fired = evpoll_fired(fd, what, w->want);
	w->running = true;
	w->cb(w, w->fd, w->fired, w->arg);
	w->running = false;
	w->fired = 0;
	if (w->dead)
		evpoll_watch_destroy(w);
}

/* (Re)arms w's event for the events Avahi wants; none means idle. */
static void
evpoll_watch_arm(AvahiWatch *w)
{
	short flags = EV_PERSIST;

	event_del(w->ev);
	if (w->want & AVAHI_WATCH_IN)
		flags |= EV_READ;
	if (w->want & AVAHI_WATCH_OUT)
		flags |= EV_WRITE;
	/*
	 * libevent cannot wait for ERR/HUP alone; they arrive with IN or
	 * OUT, which D-Bus always asks for on a live connection.
	 */
	if ((flags & (EV_READ | EV_WRITE)) == 0)
		return;
	event_assign(w->ev, w->ep->base, w->fd, flags, evpoll_watch_cb, w);
	event_add(w->ev, NULL);
}

static AvahiWatch *
evpoll_watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent want,
    AvahiWatchCallback cb, void *arg)
{
	struct evpoll *ep = api->userdata;
	AvahiWatch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->ev = event_new(ep->base, fd, EV_PERSIST, evpoll_watch_cb, w);
	if (w->ev == NULL) {
		free(w);
		return NULL;
	}
	w->ep = ep;
	w->fd = fd;
	w->want = want;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&ep->watches, w, entry);
	evpoll_watch_arm(w);
	return w;
}

static void
evpoll_watch_update(AvahiWatch *w, AvahiWatchEvent want)
{
	if (w->dead)
		return;
	w->want = want;
	evpoll_watch_arm(w);
}

static AvahiWatchEvent
evpoll_watch_get_events(AvahiWatch *w)
{
	return w->running ? w->fired : 0;
}

static void
evpoll_watch_free(AvahiWatch *w)
{
	if (w == NULL)
		return;
	if (w->running) {
		w->dead = true;
		event_del(w->ev);
		return;
	}
	evpoll_watch_destroy(w);
}

static void
evpoll_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiTimeout *t = arg;

	/* A one-shot evtimer: it stays off unless the callback re-arms it. */
	t->running = true;
	t->cb(t, t->arg);
	t->running = false;
	if (t->dead)
		evpoll_timeout_destroy(t);
}

/* Arms t to fire at the absolute time tv, or disarms it (tv NULL). */
static void
evpoll_timeout_arm(AvahiTimeout *t, const struct timeval *tv)
{
	struct timeval now, delay;

	event_del(t->ev);
	if (tv == NULL)
		return;
	gettimeofday(&now, NULL);
	if (timercmp(tv, &now, >))
		timersub(tv, &now, &delay);
	else
		timerclear(&delay);
	event_add(t->ev, &delay);
}

static AvahiTimeout *
evpoll_timeout_new(const AvahiPoll *api, const struct timeval *tv,
    AvahiTimeoutCallback cb, void *arg)
{
	struct evpoll *ep = api->userdata;
	AvahiTimeout *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->ev = evtimer_new(ep->base, evpoll_timeout_cb, t)) == NULL) {
		free(t);
		return NULL;
	}
	t->ep = ep;
	t->cb = cb;
	t->arg = arg;
	TAILQ_INSERT_TAIL(&ep->timeouts, t, entry);
	evpoll_timeout_arm(t, tv);
	return t;
}

static void
evpoll_timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	if (t->dead)
		return;
	evpoll_timeout_arm(t, tv);
}

static void
evpoll_timeout_free(AvahiTimeout *t)
{
	if (t == NULL)
		return;
	if (t->running) {
		t->dead = true;
		event_del(t->ev);
		return;
	}
	evpoll_timeout_destroy(t);
}

struct evpoll *
evpoll_new(struct event_base *base)
{
	struct evpoll *ep;

	if ((ep = calloc(1, sizeof(*ep))) == NULL)
		return NULL;
	ep->base = base;
	TAILQ_INIT(&ep->watches);
	TAILQ_INIT(&ep->timeouts);
	ep->api.userdata = ep;
	ep->api.watch_new = evpoll_watch_new;
	ep->api.watch_update = evpoll_watch_update;
	ep->api.watch_get_events = evpoll_watch_get_events;
	ep->api.watch_free = evpoll_watch_free;
	ep->api.timeout_new = evpoll_timeout_new;
	ep->api.timeout_update = evpoll_timeout_update;
	ep->api.timeout_free = evpoll_timeout_free;
	return ep;
}

const AvahiPoll *
evpoll_get(struct evpoll *ep)
{
	return &ep->api;
}

void
evpoll_free(struct evpoll *ep)
{
	AvahiWatch *w;
	AvahiTimeout *t;

	if (ep == NULL)
		return;
	/*
	 * What Avahi did not free (a client freed after its callbacks ran,
	 * or never freed at all) goes with the adapter.  Not to be called
	 * from inside one of these callbacks.
	 */
	while ((w = TAILQ_FIRST(&ep->watches)) != NULL)
		evpoll_watch_destroy(w);
	while ((t = TAILQ_FIRST(&ep->timeouts)) != NULL)
		evpoll_timeout_destroy(t);
	free(ep);
}
