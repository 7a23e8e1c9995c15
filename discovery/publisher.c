/*
 * publisher: keeps every key's records (a container's services and
 * address records) on the network through avahi-daemon, one entry group
 * per key, and converges back to that table after anything goes wrong:
 * avahi-daemon or D-Bus restarting, host name conflicts, service name
 * conflicts, daemon limits.
 *
 * The table of keys, with private copies of their records
 * (announcement_copy), is the truth; the Avahi client and the groups are a
 * cache of it that may be thrown away at any time (a new client republishes
 * the whole table once it is RUNNING).  Avahi callbacks only record what
 * happened and schedule work; groups are built and the client replaced in
 * pub_work, a zero-delay event run from the top of the loop, never inside
 * Avahi's own callbacks.
 *
 * A collided service name is replaced by avahi_alternative_service_name()
 * and the replacement sticks to the key for as long as the key lives,
 * even across publisher_set with the same original name and across
 * avahi-daemon restarts.  Avahi reports a collision per group, not per
 * entry, so every service of the group is renamed.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>

#include "announce.h"
#include "busaddr.h"
#include "buswatch.h"
#include "evpoll.h"
#include "log.h"
#include "publisher.h"

/* Reconnect delays while avahi_client_new fails (D-Bus down). */
#define PUB_BACKOFF_FIRST 1
#define PUB_BACKOFF_MAX 30
/* Retry delays of an entry group that went to FAILURE. */
#define PUB_FAIL_FIRST 5
#define PUB_FAIL_MAX 60
/* RFC 6762 8.1: after 15 conflicts in 10 s, one probe per 5 s at most. */
#define PUB_CONFLICTS 15
#define PUB_CONFLICT_WINDOW_MS 10000
#define PUB_CONFLICT_DELAY_MS 5000
/* Local collisions (same name already on this avahi-daemon) tried in a row. */
#define PUB_LOCAL_RENAMES 32

enum pub_state {
	PUB_DISCONNECTED, /* no client: D-Bus unreachable, retrying */
	PUB_CONNECTING, /* client made, avahi-daemon not on the bus */
	PUB_REGISTERING, /* the daemon is (re)establishing its host name */
	PUB_COLLISION, /* the daemon's host name collided */
	PUB_RUNNING, /* groups may be published */
	PUB_FAILED, /* the client failed: to be replaced */
};

enum pub_key_state {
	PUB_KEY_WAITING, /* not in Avahi, to be published when RUNNING */
	PUB_KEY_REGISTERING, /* committed, probing */
	PUB_KEY_ESTABLISHED, /* on the network */
	PUB_KEY_SKIPPED, /* Avahi refused it: see skip_err */
	PUB_KEY_BACKOFF, /* collided or failed: retry timer pending */
};

struct pub_key {
	struct publisher *p;
	char *key;
	char *what;
	/* A private copy of the records (announcement_copy): the truth. */
	struct announcement *rec;
	/* Per service of rec: the name in use after a collision, or NULL. */
	char **alts;

	AvahiEntryGroup *group;
	enum pub_key_state state;
	bool dirty; /* (re)publish at the next pub_work */
	bool fresh; /* records changed: publish in a new group */
	int skip_err; /* why Avahi refused it, or 0 */
	struct event *retry;
	int fail_delay;

	uint64_t conflicts[PUB_CONFLICTS]; /* ms, a ring */
	size_t nconflicts;
	size_t conflict_next;
	bool limited; /* in the RFC 6762 slow mode */

	TAILQ_ENTRY(pub_key) entry;
};

struct publisher {
	struct event_base *base;
	struct evpoll *ep;
	AvahiClient *client;
	enum pub_state state;
	struct event *work;
	struct event *reconnect;
	int backoff; /* next reconnect delay, s */
	char bus_path[PATH_MAX]; /* the system bus's socket, or "" */
	struct buswatch *bus; /* on bus_path while the bus is unreachable */
	bool restart; /* replace the client in pub_work */
	bool room; /* retry keys skipped for a limit */
	TAILQ_HEAD(, pub_key) keys;
	size_t nkeys;
};

static void pub_connect(struct publisher *);

static const char *
pub_state_name(enum pub_state s)
{
	switch (s) {
	case PUB_DISCONNECTED:
		return "DISCONNECTED";
	case PUB_CONNECTING:
		return "CONNECTING";
	case PUB_REGISTERING:
		return "REGISTERING";
	case PUB_COLLISION:
		return "COLLISION";
	case PUB_RUNNING:
		return "RUNNING";
	case PUB_FAILED:
		return "FAILED";
	}
	return "?";
}

/* Every change of the client's state goes through here, and is logged. */
static void
pub_enter_state(struct publisher *p, enum pub_state s)
{
	if (p->state == s)
		return;
	log_debug(
	    "avahi: %s -> %s", pub_state_name(p->state), pub_state_name(s));
	p->state = s;
}

static uint64_t
pub_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
pub_kick(struct publisher *p)
{
	event_active(p->work, 0, 0);
}

/* ------------------------------------------------------------------ keys */

static struct pub_key *
pub_key_find(const struct publisher *p, const char *key)
{
	struct pub_key *k;

	TAILQ_FOREACH(k, &p->keys, entry)
	if (strcmp(k->key, key) == 0)
		return k;
	return NULL;
}

static const char *
pub_what(const struct pub_key *k)
{
	return k->what != NULL ? k->what : k->key;
}

static void
pub_key_drop_group(struct pub_key *k)
{
	/* Freeing a group in the daemon withdraws it: goodbye packets. */
	if (k->group != NULL)
		avahi_entry_group_free(k->group);
	k->group = NULL;
}

/* The name service i of k is published under. */
static const char *
pub_service_name(const struct pub_key *k, size_t i)
{
	return k->alts[i] != NULL ? k->alts[i] : k->rec->services[i].name;
}

static void
pub_alts_free(struct pub_key *k)
{
	size_t i;

	for (i = 0; k->alts != NULL && i < k->rec->nservices; i++)
		free(k->alts[i]);
	free(k->alts);
	k->alts = NULL;
}

static void
pub_key_free(struct pub_key *k)
{
	if (k == NULL)
		return;
	pub_key_drop_group(k);
	if (k->retry != NULL)
		event_free(k->retry);
	pub_alts_free(k);
	announcement_free(k->rec);
	free(k->key);
	free(k->what);
	free(k);
}

static bool
pub_err_is_limit(int err)
{
	return err == AVAHI_ERR_TOO_MANY_ENTRIES ||
	    err == AVAHI_ERR_TOO_MANY_OBJECTS || err == AVAHI_ERR_NO_MEMORY;
}

/* The avahi-daemon.conf setting behind a limit error, for the log. */
static const char *
pub_limit_setting(int err)
{
	switch (err) {
	case AVAHI_ERR_TOO_MANY_OBJECTS:
		return "its objects-per-client-max limit";
	case AVAHI_ERR_TOO_MANY_ENTRIES:
		return "its entries-per-entry-group-max limit";
	default:
		return "it is out of memory";
	}
}

/*
 * Avahi refused one of k's records: k is left out (its group freed, so it
 * holds no daemon object) and the others carry on.  A refusal for a limit
 * is retried when another key frees room or after a reconnect; any other
 * refusal when k's records change or after a reconnect.
 */
static void
pub_key_skip(struct publisher *p, struct pub_key *k, int err, const char *item)
{
	bool again = k->state == PUB_KEY_SKIPPED && k->skip_err == err;

	pub_key_drop_group(k);
	if (err == AVAHI_ERR_DISCONNECTED || err == AVAHI_ERR_BAD_STATE ||
	    p->state != PUB_RUNNING) {
		/* The client is going away; the next one republishes k. */
		log_debug("%s: %s: %s, waiting for avahi-daemon", pub_what(k),
		    item, avahi_strerror(err));
		k->state = PUB_KEY_WAITING;
		k->dirty = true;
		return;
	}
	k->state = PUB_KEY_SKIPPED;
	k->skip_err = err;
	if (again) {
		log_debug("%s: %s: still refused by avahi-daemon: %s",
		    pub_what(k), item, avahi_strerror(err));
		return;
	}
	if (pub_err_is_limit(err))
		log_error("%s: %s: avahi-daemon refused it: %s (%s); not "
			  "announcing it until room frees up",
		    pub_what(k), item, avahi_strerror(err),
		    pub_limit_setting(err));
	else
		log_error("%s: %s: avahi-daemon refused it: %s; not "
			  "announcing it until its records change",
		    pub_what(k), item, avahi_strerror(err));
}

static AvahiIfIndex
pub_ifindex(int ifindex)
{
	return ifindex == ANNOUNCE_IF_ANY || ifindex < 0 ? AVAHI_IF_UNSPEC
							 : ifindex;
}

/*
 * AF_INET or AF_INET6 to its Avahi protocol; anything else is both
 * (avahi_af_to_proto() would abort on it).
 */
static AvahiProtocol
pub_proto(int family)
{
	return family == AF_INET ? AVAHI_PROTO_INET
	    : family == AF_INET6 ? AVAHI_PROTO_INET6
				 : AVAHI_PROTO_UNSPEC;
}

/* Replaces service i's name in use by Avahi's next alternative ("#2"). */
static int
pub_service_rename(struct pub_key *k, size_t i, const char *where)
{
	char *alt, *c;

	if ((alt = avahi_alternative_service_name(pub_service_name(k, i))) ==
	    NULL)
		return -ENOMEM;
	c = strdup(alt);
	avahi_free(alt);
	if (c == NULL)
		return -ENOMEM;
	log_warnx("%s: name \"%s\" is taken %s, now \"%s\"", pub_what(k),
	    pub_service_name(k, i), where, c);
	free(k->alts[i]);
	k->alts[i] = c;
	return 0;
}

static int
pub_add_service(struct pub_key *k, size_t si, char *item, size_t itemlen)
{
	const struct announce_service *s = &k->rec->services[si];
	AvahiStringList *l = NULL;
	AvahiProtocol proto;
	size_t i;
	int err = 0, tries;

	/*
	 * A port bound for one family only (a lone 0.0.0.0 binding, say) is
	 * announced over that protocol only: a client browsing over IPv6
	 * would be given the host's IPv6 addresses, where nothing listens.
	 */
	proto = pub_proto(s->family);

	/* avahi_string_list_add prepends: add backwards to keep the order. */
	for (i = s->ntxt; i > 0; i--) {
		if ((l = avahi_string_list_add(l, s->txt[i - 1])) == NULL)
			return AVAHI_ERR_NO_MEMORY;
	}
	for (tries = 0; tries < PUB_LOCAL_RENAMES; tries++) {
		snprintf(item, itemlen, "service \"%s\" (%s port %u)",
		    pub_service_name(k, si), s->type, (unsigned)s->port);
		err = avahi_entry_group_add_service_strlst(k->group,
		    pub_ifindex(s->ifindex), proto, 0, pub_service_name(k, si),
		    s->type, NULL, s->host, s->port, l);
		if (err != AVAHI_ERR_COLLISION)
			break;
		/* Another group on this avahi-daemon has the name. */
		if (pub_service_rename(k, si, "on this host") < 0) {
			err = AVAHI_ERR_NO_MEMORY;
			break;
		}
	}
	avahi_string_list_free(l);
	if (err < 0)
		return err;
	for (i = 0; i < s->nsubtypes; i++) {
		snprintf(item, itemlen, "subtype %s of service \"%s\"",
		    s->subtypes[i], pub_service_name(k, si));
		err = avahi_entry_group_add_service_subtype(k->group,
		    pub_ifindex(s->ifindex), proto, 0, pub_service_name(k, si),
		    s->type, NULL, s->subtypes[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

static int
pub_add_addr(struct pub_key *k, const struct announce_address *d, char *item,
    size_t itemlen)
{
	AvahiAddress aa;
	char name[256];

	/* An alias given as a single label lives under .local. */
	if (strchr(d->name, '.') == NULL)
		snprintf(name, sizeof(name), "%s.local", d->name);
	else
		snprintf(name, sizeof(name), "%s", d->name);
	snprintf(item, itemlen, "address record %s -> %s", name, d->addr);
	if (avahi_address_parse(d->addr, pub_proto(d->family), &aa) == NULL)
		return AVAHI_ERR_INVALID_ADDRESS;
	return avahi_entry_group_add_address(k->group, pub_ifindex(d->ifindex),
	    AVAHI_PROTO_UNSPEC, AVAHI_PUBLISH_NO_REVERSE, name, &aa);
}

static void pub_group_cb(AvahiEntryGroup *, AvahiEntryGroupState, void *);

/* Builds k's group from its records and commits it.  From pub_work only. */
static void
pub_key_publish(struct publisher *p, struct pub_key *k)
{
	AvahiEntryGroup *g;
	char item[512];
	size_t i;
	int err;

	k->dirty = false;
	evtimer_del(k->retry);
	/*
	 * avahi-daemon holds each commit of a group off until 1 s after the
	 * previous one, and 20 s once the group has been committed 15 times
	 * (its own RFC 6762 rate limit).  Changed records are no conflict:
	 * they get a new group, so that a container whose records change
	 * often is not delayed.  Collisions reuse the group.
	 */
	if (k->fresh)
		pub_key_drop_group(k);
	k->fresh = false;
	if (k->group == NULL) {
		/* Its callback runs before this returns: k->group is NULL. */
		g = avahi_entry_group_new(p->client, pub_group_cb, k);
		if (g == NULL) {
			pub_key_skip(
			    p, k, avahi_client_errno(p->client), "entry group");
			return;
		}
		k->group = g;
	} else if ((err = avahi_entry_group_reset(k->group)) < 0) {
		pub_key_skip(p, k, err, "entry group reset");
		return;
	}
	for (i = 0; i < k->rec->nservices; i++) {
		err = pub_add_service(k, i, item, sizeof(item));
		if (err < 0) {
			pub_key_skip(p, k, err, item);
			return;
		}
	}
	for (i = 0; i < k->rec->naddresses; i++) {
		err =
		    pub_add_addr(k, &k->rec->addresses[i], item, sizeof(item));
		if (err < 0) {
			pub_key_skip(p, k, err, item);
			return;
		}
	}
	if ((err = avahi_entry_group_commit(k->group)) < 0) {
		pub_key_skip(p, k, err, "commit");
		return;
	}
	k->state = PUB_KEY_REGISTERING;
	k->skip_err = 0;
	log_debug("%s: committed %zu services and %zu address records",
	    pub_what(k), k->rec->nservices, k->rec->naddresses);
}

static void
pub_key_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pub_key *k = arg;

	k->dirty = true;
	pub_kick(k->p);
}

static void
pub_key_later(struct pub_key *k, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	k->state = PUB_KEY_BACKOFF;
	evtimer_add(k->retry, &tv);
}

/*
 * The network already has one of k's names.  Rename, then probe again:
 * at once, or (RFC 6762 8.1) once per 5 s after 15 conflicts in 10 s.
 */
static void
pub_key_collided(struct pub_key *k)
{
	uint64_t now = pub_now_ms(), oldest, delay = 0;
	size_t i;

	if (k->nconflicts > 0) {
		i = (k->conflict_next + PUB_CONFLICTS - 1) % PUB_CONFLICTS;
		if (now - k->conflicts[i] > PUB_CONFLICT_WINDOW_MS)
			k->limited = false;
	}
	k->conflicts[k->conflict_next] = now;
	k->conflict_next = (k->conflict_next + 1) % PUB_CONFLICTS;
	if (k->nconflicts < PUB_CONFLICTS)
		k->nconflicts++;
	if (k->nconflicts == PUB_CONFLICTS) {
		oldest = k->conflicts[k->conflict_next];
		if (now - oldest <= PUB_CONFLICT_WINDOW_MS) {
			if (!k->limited)
				log_warnx("%s: %d name conflicts within %d s, "
					  "probing at most once per %d s",
				    pub_what(k), PUB_CONFLICTS,
				    PUB_CONFLICT_WINDOW_MS / 1000,
				    PUB_CONFLICT_DELAY_MS / 1000);
			k->limited = true;
		}
	}
	if (k->limited)
		delay = PUB_CONFLICT_DELAY_MS;

	for (i = 0; i < k->rec->nservices; i++) {
		if (pub_service_rename(k, i, "on the network") < 0)
			log_error("%s: out of memory renaming \"%s\"",
			    pub_what(k), pub_service_name(k, i));
	}
	if (k->rec->nservices == 0)
		log_warnx("%s: an address record's name is taken on the "
			  "network, retrying in %llu s",
		    pub_what(k), (unsigned long long)delay / 1000);
	pub_key_later(k, delay);
}

static void
pub_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg)
{
	struct pub_key *k = arg;
	AvahiClient *c;
	size_t i;
	int delay;

	/* Calls from inside avahi_entry_group_new() come before k->group. */
	if (g != k->group)
		return;
	switch (state) {
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		break;
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		k->state = PUB_KEY_ESTABLISHED;
		k->fail_delay = 0;
		k->limited = false;
		for (i = 0; i < k->rec->nservices; i++)
			log_info("%s: announced \"%s\" %s port %u", pub_what(k),
			    pub_service_name(k, i), k->rec->services[i].type,
			    (unsigned)k->rec->services[i].port);
		for (i = 0; i < k->rec->naddresses; i++)
			log_info("%s: announced %s -> %s", pub_what(k),
			    k->rec->addresses[i].name,
			    k->rec->addresses[i].addr);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		pub_key_collided(k);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		c = avahi_entry_group_get_client(g);
		delay = k->fail_delay == 0 ? PUB_FAIL_FIRST : k->fail_delay;
		k->fail_delay =
		    delay * 2 > PUB_FAIL_MAX ? PUB_FAIL_MAX : delay * 2;
		log_warnx("%s: avahi-daemon failed to publish it: %s, "
			  "retrying in %d s",
		    pub_what(k), avahi_strerror(avahi_client_errno(c)), delay);
		pub_key_later(k, (uint64_t)delay * 1000);
		break;
	}
}

/* ---------------------------------------------------------------- client */

static void
pub_client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	struct publisher *p = arg;
	struct pub_key *k;
	int err;

	/* The first calls come from inside avahi_client_new(). */
	if (p->client == NULL)
		p->client = c;
	if (c != p->client)
		return;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		if (p->state != PUB_RUNNING)
			log_info("avahi: connected to avahi-daemon %s as %s",
			    avahi_client_get_version_string(c)
				? avahi_client_get_version_string(c)
				: "",
			    avahi_client_get_host_name_fqdn(c)
				? avahi_client_get_host_name_fqdn(c)
				: "?");
		pub_enter_state(p, PUB_RUNNING);
		p->backoff = 0;
		TAILQ_FOREACH(k, &p->keys, entry)
		if (k->group == NULL || k->state == PUB_KEY_WAITING)
			k->dirty = true;
		pub_kick(p);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/*
		 * The daemon is choosing a (new) host name: every record
		 * that names it must be registered again once RUNNING.
		 */
		pub_enter_state(p,
		    state == AVAHI_CLIENT_S_COLLISION ? PUB_COLLISION
						      : PUB_REGISTERING);
		TAILQ_FOREACH(k, &p->keys, entry)
		{
			if (k->group != NULL)
				avahi_entry_group_reset(k->group);
			evtimer_del(k->retry);
			k->state = PUB_KEY_WAITING;
		}
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (p->state != PUB_CONNECTING)
			log_info("avahi: waiting for avahi-daemon to appear "
				 "on D-Bus");
		pub_enter_state(p, PUB_CONNECTING);
		break;
	case AVAHI_CLIENT_FAILURE:
		err = avahi_client_errno(c);
		if (err == AVAHI_ERR_DISCONNECTED)
			log_warnx("avahi: lost avahi-daemon or D-Bus, "
				  "reconnecting");
		else
			log_warnx("avahi: client failed: %s, reconnecting",
			    avahi_strerror(err));
		pub_enter_state(p, PUB_FAILED);
		/* Freed at the top, not inside its own callback. */
		p->restart = true;
		pub_kick(p);
		break;
	}
}

/* Frees the client and every group; keys wait for the next client. */
static void
pub_disconnect(struct publisher *p)
{
	struct pub_key *k;

	TAILQ_FOREACH(k, &p->keys, entry)
	{
		pub_key_drop_group(k);
		evtimer_del(k->retry);
		k->state = PUB_KEY_WAITING;
	}
	if (p->client != NULL)
		avahi_client_free(p->client);
	p->client = NULL;
}

static void
pub_schedule_connect(struct publisher *p)
{
	struct timeval tv = {p->backoff, 0};

	if (p->backoff > 0)
		log_debug("avahi: reconnecting in %d s", p->backoff);
	evtimer_add(p->reconnect, &tv);
	p->backoff = p->backoff == 0	       ? PUB_BACKOFF_FIRST
	    : p->backoff * 2 > PUB_BACKOFF_MAX ? PUB_BACKOFF_MAX
					       : p->backoff * 2;
}

/*
 * The bus socket was (re)created: dbus-daemon is back.  Reconnect in a
 * moment (it binds, then listens) and back off from the start again.
 */
static void
pub_bus_cb(void *arg)
{
	struct publisher *p = arg;
	struct timeval tv = {0, 200 * 1000};

	if (p->client != NULL)
		return;
	log_debug("avahi: the system D-Bus socket %s appeared, reconnecting",
	    p->bus_path);
	p->backoff = PUB_BACKOFF_FIRST;
	evtimer_add(p->reconnect, &tv);
}

/* While the bus is unreachable, watch for its socket to come back. */
static void
pub_watch_bus(struct publisher *p)
{
	if (p->bus != NULL || p->bus_path[0] == '\0')
		return;
	p->bus = buswatch_new(p->base, p->bus_path, pub_bus_cb, p);
	if (p->bus == NULL)
		log_debug("avahi: cannot watch for the D-Bus socket %s (%s): "
			  "reconnecting on the backoff only",
		    p->bus_path, strerror(errno));
}

static void
pub_connect(struct publisher *p)
{
	AvahiClient *c;
	int err = 0;

	c = avahi_client_new(
	    evpoll_get(p->ep), AVAHI_CLIENT_NO_FAIL, pub_client_cb, p, &err);
	if (c == NULL) {
		/* It may have called us back with the client it then freed. */
		p->client = NULL;
		p->restart = false;
		pub_enter_state(p, PUB_DISCONNECTED);
		/*
		 * With NO_FAIL a missing avahi-daemon is waited for: "Daemon
		 * not running" here means the bus itself.
		 */
		log_warnx("avahi: cannot connect: %s%s, retrying in %d s",
		    err == AVAHI_ERR_NO_DAEMON ? "the system D-Bus is "
						 "unreachable: "
					       : "",
		    avahi_strerror(err),
		    p->backoff == 0 ? PUB_BACKOFF_FIRST : p->backoff);
		if (p->backoff == 0)
			p->backoff = PUB_BACKOFF_FIRST;
		pub_schedule_connect(p);
		if (err == AVAHI_ERR_NO_DAEMON)
			pub_watch_bus(p);
		return;
	}
	p->client = c;
	buswatch_free(p->bus);
	p->bus = NULL;
}

static void
pub_reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	struct publisher *p = arg;

	if (p->client == NULL)
		pub_connect(p);
}

/* The top of the loop: replace a failed client, publish what is due. */
static void
pub_work(evutil_socket_t fd, short what, void *arg)
{
	struct publisher *p = arg;
	struct pub_key *k;
	bool room;

	if (p->restart) {
		p->restart = false;
		pub_disconnect(p);
		pub_enter_state(p, PUB_DISCONNECTED);
		/* At once after a good run, then backing off. */
		pub_schedule_connect(p);
	}
	if (p->state != PUB_RUNNING || p->client == NULL)
		return;
	room = p->room;
	p->room = false;
	TAILQ_FOREACH(k, &p->keys, entry)
	{
		if (k->dirty ||
		    (room && k->state == PUB_KEY_SKIPPED &&
			pub_err_is_limit(k->skip_err)))
			pub_key_publish(p, k);
		if (p->state != PUB_RUNNING || p->client == NULL)
			break;
	}
}

/* ------------------------------------------------------------------ API */

struct publisher *
publisher_new(struct event_base *base)
{
	struct publisher *p;
	const char *address;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->base = base;
	TAILQ_INIT(&p->keys);
	p->state = PUB_DISCONNECTED;
	p->ep = evpoll_new(base);
	p->work = event_new(base, -1, 0, pub_work, p);
	p->reconnect = evtimer_new(base, pub_reconnect_cb, p);
	if (p->ep == NULL || p->work == NULL || p->reconnect == NULL) {
		publisher_free(p);
		return NULL;
	}
	p->backoff = 0;
	/* On failure bus_path is "": no socket file to watch. */
	address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	(void)busaddr_socket_path(
	    address != NULL ? address : BUSADDR_SYSTEM_DEFAULT, p->bus_path,
	    sizeof p->bus_path);
	pub_connect(p);
	return p;
}

int
publisher_set(struct publisher *p, const char *key, const char *what,
    const struct announcement *a)
{
	struct announcement *rec;
	struct pub_key *k;
	char **alts = NULL, *w = NULL;
	size_t i, j;

	if (a == NULL || (a->nservices == 0 && a->naddresses == 0)) {
		publisher_remove(p, key);
		return 0;
	}
	k = pub_key_find(p, key);
	if (what != NULL && (w = strdup(what)) == NULL)
		return -ENOMEM;
	if (k != NULL && announcement_records_equal(k->rec, a)) {
		/* Same records: nothing goes to the network. */
		free(k->what);
		k->what = w;
		return 0;
	}
	if ((rec = announcement_copy(a)) == NULL ||
	    (a->nservices > 0 &&
		(alts = calloc(a->nservices, sizeof(*alts))) == NULL)) {
		announcement_free(rec);
		free(w);
		return -ENOMEM;
	}
	if (k == NULL) {
		if ((k = calloc(1, sizeof(*k))) == NULL ||
		    (k->key = strdup(key)) == NULL ||
		    (k->retry = evtimer_new(p->base, pub_key_retry_cb, k)) ==
			NULL) {
			if (k != NULL) {
				free(k->key);
				free(k);
			}
			announcement_free(rec);
			free(alts);
			free(w);
			return -ENOMEM;
		}
		k->p = p;
		k->state = PUB_KEY_WAITING;
		TAILQ_INSERT_TAIL(&p->keys, k, entry);
		p->nkeys++;
	} else {
		/* A renamed name sticks to the key while it lives. */
		for (i = 0; i < rec->nservices; i++) {
			for (j = 0; j < k->rec->nservices; j++) {
				if (k->alts[j] == NULL ||
				    strcmp(k->rec->services[j].name,
					rec->services[i].name) != 0)
					continue;
				alts[i] = k->alts[j];
				k->alts[j] = NULL;
				break;
			}
		}
		pub_alts_free(k);
		announcement_free(k->rec);
		/* Its old records may have held room another key wants. */
		p->room = true;
	}
	k->rec = rec;
	k->alts = alts;
	free(k->what);
	k->what = w;
	k->dirty = true;
	k->fresh = true;
	k->skip_err = 0;
	pub_kick(p);
	return 0;
}

void
publisher_remove(struct publisher *p, const char *key)
{
	struct pub_key *k;

	if ((k = pub_key_find(p, key)) == NULL)
		return;
	TAILQ_REMOVE(&p->keys, k, entry);
	p->nkeys--;
	log_debug("%s: withdrawn", pub_what(k));
	pub_key_free(k);
	p->room = true;
	pub_kick(p);
}

size_t
publisher_count(const struct publisher *p)
{
	return p->nkeys;
}

bool
publisher_settled(const struct publisher *p)
{
	const struct pub_key *k;

	if (p->state != PUB_RUNNING)
		return false;
	/* A key Avahi refused waits for a change: it does not unsettle. */
	TAILQ_FOREACH(k, &p->keys, entry)
	if (k->dirty ||
	    (k->state != PUB_KEY_ESTABLISHED && k->state != PUB_KEY_SKIPPED))
		return false;
	return true;
}

void
publisher_free(struct publisher *p)
{
	struct pub_key *k;

	if (p == NULL)
		return;
	while ((k = TAILQ_FIRST(&p->keys)) != NULL) {
		TAILQ_REMOVE(&p->keys, k, entry);
		pub_key_free(k);
	}
	if (p->client != NULL)
		avahi_client_free(p->client);
	if (p->work != NULL)
		event_free(p->work);
	if (p->reconnect != NULL)
		event_free(p->reconnect);
	buswatch_free(p->bus);
	evpoll_free(p->ep);
	free(p);
}
