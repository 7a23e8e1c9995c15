/*
 * evpoll: Avahi's AvahiPoll abstraction implemented on a libevent
 * event_base, so that the Avahi client runs on the agent's one loop.
 * Debian ships adapters for glib and Qt only.  The contract (see
 * avahi-common/watch.h): timeout_new(..., NULL, ...) makes a disabled
 * timer; times are absolute; a fired timeout stays off until updated;
 * watch_get_events returns what fired; update and free are safe from
 * inside callbacks.
 */
#ifndef EVPOLL_H
#define EVPOLL_H

#include <avahi-common/watch.h>

struct event_base;
struct evpoll;

struct evpoll *evpoll_new(struct event_base *base);
const AvahiPoll *evpoll_get(struct evpoll *ep);
/* Frees every watch and timeout still registered, then the adapter. */
void evpoll_free(struct evpoll *ep);

#endif
