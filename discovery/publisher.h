/*
 * publisher: keeps a set of announcements published through the system
 * avahi-daemon.  One Avahi entry group per key (a container) holding all
 * of its services and address records.  The publisher owns copies of
 * what it was given, so it can republish everything after avahi-daemon
 * or D-Bus comes back, and keeps a renamed (collided) name stable for as
 * long as the key lives.
 */
#ifndef PUBLISHER_H
#define PUBLISHER_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct announcement;
struct publisher;

/* Connects to avahi-daemon (retrying with backoff while it is absent). */
struct publisher *publisher_new(struct event_base *base);
/*
 * Publishes a's records under key (copied), replacing what key had.
 * what names the owner in logs: "docker: container 3f2a9c1b7e44 (web)".
 * An announcement with no services and no addresses withdraws key.
 * Returns 0 or -ENOMEM; Avahi errors are logged and retried, not returned.
 */
int publisher_set(struct publisher *p, const char *key, const char *what,
    const struct announcement *a);
/* Withdraws key's records (goodbye packets); no-op for an unknown key. */
void publisher_remove(struct publisher *p, const char *key);
/* How many keys have records (published or waiting to be). */
size_t publisher_count(const struct publisher *p);
/* True when connected to avahi-daemon and every group is established. */
bool publisher_settled(const struct publisher *p);
/* Withdraws everything and disconnects. */
void publisher_free(struct publisher *p);

#endif
