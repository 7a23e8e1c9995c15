/*
 * announce: from one container (struct instance) and the facts of this
 * host to the DNS-SD records to publish for it, with the reason for
 * every thing left out.  This is the whole announcement model of README
 * "Labels": who opts in, what is announced under which name and type,
 * on which port and interface, and which addresses aliases resolve to.
 *
 * It is pure (no I/O, no logging) so that it can be tested on any input
 * and so that the caller can log each skip once.  A bad value costs the
 * user only the item it belongs to: the rest of the container is still
 * announced.  Output is sorted, so equal inputs give equal announcements
 * and the reconciler republishes only on real change.
 *
 * This file holds the context of one computation and its small helpers
 * (allocation, label and env lookup, skips), the decisions whether the
 * container is announced at all (opt-in, liveness), its names and types,
 * and the putting together: announce_instance().  The ports a service is
 * published on are in announce_ports.c, the services the labels and env
 * define in announce_services.c, TXT records and subtypes in
 * announce_txt.c, host-name aliases and address records in
 * announce_addrs.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "announce.h"
#include "announce_int.h"
#include "instance.h"

void
announce_nomem(struct announce_ctx *c)
{
	c->error = -ENOMEM;
}

/* Grows *arr to hold n + 1 elements; false (and the error set) if not. */
bool
announce_grow(struct announce_ctx *c, void *arrp, size_t n, size_t size)
{
	void **arr = arrp, *p;

	if (c->error != 0)
		return (false);
	/* Capacity 4, then powers of two: n is one of them when full. */
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return (true);
	if ((p = reallocarray(*arr, n == 0 ? 4 : n * 2, size)) == NULL) {
		announce_nomem(c);
		return (false);
	}
	*arr = p;
	return (true);
}

char *
announce_strdup(struct announce_ctx *c, const char *s)
{
	char *d;

	if (c->error != 0)
		return (NULL);
	if ((d = strdup(s)) == NULL)
		announce_nomem(c);
	return (d);
}

const char *
announce_label(const struct announce_ctx *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->inst->nlabels; i++)
		if (c->inst->labels[i].key != NULL &&
		    strcmp(c->inst->labels[i].key, key) == 0)
			return (c->inst->labels[i].value != NULL
				? c->inst->labels[i].value
				: "");
	return (NULL);
}

const char *
announce_env(const struct announce_ctx *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->inst->nenv; i++)
		if (c->inst->env[i].key != NULL &&
		    strcmp(c->inst->env[i].key, key) == 0)
			return (c->inst->env[i].value != NULL
				? c->inst->env[i].value
				: "");
	return (NULL);
}

bool
announce_prefix(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

int
announce_str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Records a skip.  The item is cut and made printable (it may be a
 * hostile label key); the same skip twice is kept once, since a
 * selection can meet the same problem for several bindings.
 */
static void __attribute__((format(printf, 3, 0))) announce_vskip(
    struct announce_ctx *c, const char *item, const char *fmt, va_list ap)
{
	struct announcement *a = c->a;
	struct announce_skip *sk;
	char buf[ANNOUNCE_ITEM_MAX + 4], *reason;
	size_t i;

	if (c->error != 0)
		return;
	for (i = 0; item[i] != '\0' && i < ANNOUNCE_ITEM_MAX; i++)
		buf[i] = (item[i] >= 0x20 && item[i] <= 0x7e) ? item[i] : '?';
	if (item[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	if (vasprintf(&reason, fmt, ap) < 0) {
		announce_nomem(c);
		return;
	}
	for (i = 0; i < a->nskips; i++) {
		if (strcmp(a->skips[i].item, buf) == 0 &&
		    strcmp(a->skips[i].reason, reason) == 0) {
			free(reason);
			return;
		}
	}
	if (!announce_grow(c, &a->skips, a->nskips, sizeof *a->skips)) {
		free(reason);
		return;
	}
	sk = &a->skips[a->nskips];
	sk->reason = reason;
	if ((sk->item = strdup(buf)) == NULL) {
		free(reason);
		announce_nomem(c);
		return;
	}
	a->nskips++;
}

void
announce_skip(struct announce_ctx *c, const char *item, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	announce_vskip(c, item, fmt, ap);
	va_end(ap);
}

/* announce_skip() with the item "label KEY" (cut as every item is). */
void
announce_skip_label(
    struct announce_ctx *c, const char *key, const char *fmt, ...)
{
	char item[ANNOUNCE_ITEM_MAX + 16];
	va_list ap;

	snprintf(item, sizeof item, "label %.*s", ANNOUNCE_ITEM_MAX, key);
	va_start(ap, fmt);
	announce_vskip(c, item, fmt, ap);
	va_end(ap);
}

/* A value quoted for a reason; NULL on ENOMEM (the error is set). */
char *
announce_quote(struct announce_ctx *c, const char *s)
{
	char *q;

	if ((q = announce_labels_quote(s, strlen(s))) == NULL)
		announce_nomem(c);
	return (q);
}

const char *
announce_proto_name(int proto)
{
	switch (proto) {
	case INSTANCE_PROTO_TCP:
		return ("tcp");
	case INSTANCE_PROTO_UDP:
		return ("udp");
	default:
		return ("sctp");
	}
}

/* -- Opting in, liveness ------------------------------------------------ */

bool
announce_published(const struct instance *inst)
{
	size_t i;

	for (i = 0; i < inst->nports; i++)
		if (inst->ports[i].host_port != 0)
			return (true);
	return (false);
}

/* True for a Traefik router rule: traefik.http.routers.NAME.rule. */
bool
announce_traefik_rule(const struct instance_kv *kv)
{
	size_t len;

	return kv->key != NULL && kv->value != NULL &&
	    announce_prefix(kv->key, "traefik.http.routers.") &&
	    (len = strlen(kv->key)) >= 5 &&
	    strcmp(kv->key + len - 5, ".rule") == 0;
}

/* True for a multicast DNS name: something, then ".local". */
bool
announce_local_host(const char *host, size_t len)
{
	return len > 6 && strcasecmp(host + len - 6, ".local") == 0;
}

/* True when a Traefik router rule of the container has a .local host. */
static bool
announce_traefik_local(struct announce_ctx *c)
{
	char **hosts;
	size_t i, j, n;
	bool found = false;

	for (i = 0; i < c->inst->nlabels; i++) {
		if (!announce_traefik_rule(&c->inst->labels[i]))
			continue;
		if (announce_labels_hosts(
			c->inst->labels[i].value, &hosts, &n) != 0) {
			announce_nomem(c);
			return (false);
		}
		for (j = 0; j < n; j++) {
			if (announce_local_host(hosts[j], strlen(hosts[j])))
				found = true;
			free(hosts[j]);
		}
		free(hosts);
	}
	return (found);
}

static void
announce_optin(struct announce_ctx *c)
{
	const struct instance *inst = c->inst;
	const char *v, *key;
	char *q;
	bool in = false, out = false, koi = false, koioff = false;
	bool dmdns = false, traefik_local = false;
	int b;
	size_t i;

	if ((v = announce_label(c, "portlight.enable")) != NULL) {
		if ((b = announce_labels_bool(v)) == 1)
			in = true;
		else if (b == 0)
			out = true;
		else if ((q = announce_quote(c, v)) != NULL) {
			announce_skip_label(c, "portlight.enable",
			    "%s is not true/yes/1 or false/no/0: ignored", q);
			free(q);
		}
	}
	for (i = 0; i < inst->nlabels; i++) {
		if ((key = inst->labels[i].key) == NULL)
			continue;
		if (announce_prefix(key, "portlight.") &&
		    strcmp(key, "portlight.enable") != 0)
			in = true;
		if (announce_prefix(key, "koi.") &&
		    strcmp(key, "koi.enable") != 0)
			koi = true;
	}
	if (announce_env(c, "PORTLIGHT_ANNOUNCE") != NULL)
		in = true;

	/* koi: koi.enable=false switches its other labels off. */
	if (announce_env(c, "KOI_MDNS_ANNOUNCE") != NULL)
		koi = true;
	if ((v = announce_label(c, "koi.enable")) != NULL) {
		if ((b = announce_labels_bool(v)) == 1)
			koi = true;
		else if (b == 0) {
			koioff = koi;
			koi = false;
			c->koioff = true;
		} else if ((q = announce_quote(c, v)) != NULL) {
			announce_skip_label(c, "koi.enable",
			    "%s is not true/yes/1 or false/no/0: ignored", q);
			free(q);
		}
	}
	if (koi)
		in = true;

	if ((v = announce_label(c, "docker-mdns.enable")) != NULL &&
	    announce_labels_bool(v) == 1) {
		dmdns = true;
		if ((v = announce_label(c, "docker-mdns.host")) != NULL &&
		    strspn(v, " \t\r\n,") != strlen(v)) {
			c->dmdns = true;
			in = true;
		}
	}
	if ((v = announce_label(c, "traefik.enable")) != NULL &&
	    announce_labels_bool(v) == 1) {
		c->traefik = true;
		if ((traefik_local = announce_traefik_local(c)))
			in = true;
	}
	/*
	 * A Podman pod's infra container holds the pod's ports for its
	 * members, which report them as their own: --all announces those.
	 */
	if (c->host->all && announce_published(inst) && !inst->pod_infra)
		in = true;
	c->a->enabled = in && !out;

	/*
	 * Why a container that has labels of ours or of a peer is not
	 * announced: portlight list shows it (item "container": not logged
	 * for a container that is not announced).
	 */
	if (out)
		announce_skip(c, "container", "opted out by portlight.enable");
	else if (!in && koioff)
		announce_skip(c, "container",
		    "koi.enable=false turns its other koi labels off");
	else if (!in && dmdns && !c->dmdns)
		announce_skip(c, "container",
		    "docker-mdns.enable=true, but no docker-mdns.host");
	else if (!in && c->traefik && !traefik_local)
		announce_skip(c, "container",
		    "traefik.enable=true, but no router rule has "
		    "Host(`NAME.local`)");
}

/* False (with a skip saying why) when the container must not be seen. */
static bool
announce_alive(struct announce_ctx *c)
{
	const char *v;
	char *q;
	bool ignore = false;

	if ((v = announce_label(c, "portlight.health")) != NULL) {
		if (strcasecmp(v, "ignore") == 0)
			ignore = true;
		else if (strcasecmp(v, "check") != 0 &&
		    (q = announce_quote(c, v)) != NULL) {
			announce_skip_label(c, "portlight.health",
			    "%s is not check or ignore: health is checked", q);
			free(q);
		}
	}
	if (c->inst->state == INSTANCE_STATE_PAUSED) {
		announce_skip(c, "container", "paused");
		return (false);
	}
	if (c->inst->state != INSTANCE_STATE_RUNNING) {
		announce_skip(c, "container", "not running");
		return (false);
	}
	if (ignore)
		return (true);
	if (c->inst->health == INSTANCE_HEALTH_STARTING) {
		announce_skip(c, "container", "health: starting");
		return (false);
	}
	if (c->inst->health == INSTANCE_HEALTH_UNHEALTHY) {
		announce_skip(c, "container", "health: unhealthy");
		return (false);
	}
	return (true);
}

/* -- Names and types ------------------------------------------------ */

/*
 * Takes name from item if it is a valid instance name; else records why
 * (the next source is tried).  Does nothing once *dst is set.
 */
void
announce_try_name(
    struct announce_ctx *c, char **dst, const char *item, const char *name)
{
	const char *why;

	if (name == NULL || *dst != NULL)
		return;
	if ((why = announce_validate_instance_name(name)) != NULL) {
		announce_skip(c, item, "%s; using the next name", why);
		return;
	}
	*dst = announce_strdup(c, name);
}

static void
announce_main_name(struct announce_ctx *c)
{
	const struct instance *inst = c->inst;
	char *compose = NULL;

	announce_try_name(c, &c->name, "label portlight.name",
	    announce_label(c, "portlight.name"));
	announce_try_name(c, &c->name, "env PORTLIGHT_ANNOUNCE", c->envname);
	announce_try_name(c, &c->name, "label homepage.name",
	    announce_label(c, "homepage.name"));
	if (!c->koioff) {
		announce_try_name(c, &c->name, "label koi.name",
		    announce_label(c, "koi.name"));
		announce_try_name(c, &c->name, "label koi.announce",
		    announce_label(c, "koi.announce"));
		announce_try_name(c, &c->name, "env KOI_MDNS_ANNOUNCE",
		    announce_env(c, "KOI_MDNS_ANNOUNCE"));
	}
	if (c->name == NULL && inst->compose_service != NULL &&
	    inst->compose_service[0] != '\0') {
		/* Replicas of a scaled service need names of their own. */
		if (inst->compose_number > 1) {
			if (asprintf(&compose, "%s-%d", inst->compose_service,
				inst->compose_number) < 0) {
				announce_nomem(c);
				return;
			}
		} else
			compose = announce_strdup(c, inst->compose_service);
		announce_try_name(c, &c->name, "compose service", compose);
		free(compose);
	}
	/*
	 * A Podman pod is announced once, under its name (agent/pod.c merges
	 * its members).  Podman allows pod names longer than DNS-SD does:
	 * such a pod's members keep their own names, without a skip.
	 */
	if (inst->pod != NULL && inst->pod_name != NULL &&
	    announce_validate_instance_name(inst->pod_name) == NULL)
		announce_try_name(c, &c->name, "pod name", inst->pod_name);
	announce_try_name(c, &c->name, "container name", inst->name);
}

/* A type label: NULL if absent or invalid (with a skip). */
char *
announce_type_label(struct announce_ctx *c, const char *key)
{
	const char *v, *why;
	char *type, *q;
	int error;

	if ((v = announce_label(c, key)) == NULL)
		return (NULL);
	error = announce_labels_type(v, strlen(v), &type, &why);
	if (error == -ENOMEM)
		announce_nomem(c);
	else if (error != 0 && (q = announce_quote(c, v)) != NULL) {
		announce_skip_label(c, key, "%s: %s", q, why);
		free(q);
	}
	return (error == 0 ? type : NULL);
}

/* -- Putting it together ---------------------------------------------- */

static int
announce_svc_cmp(const void *a, const void *b)
{
	const struct announce_svc *x = a, *y = b;
	int r;

	if (x->s.port != y->s.port)
		return (x->s.port < y->s.port ? -1 : 1);
	if (x->rank != y->rank)
		return (x->rank - y->rank);
	if ((r = strcmp(x->sid, y->sid)) != 0)
		return (r);
	if ((r = strcmp(x->s.type, y->s.type)) != 0)
		return (r);
	if (x->s.ifindex != y->s.ifindex)
		return (x->s.ifindex < y->s.ifindex ? -1 : 1);
	if (x->s.family != y->s.family)
		return (x->s.family - y->s.family);
	return (strcmp(x->s.name, y->s.name));
}

/*
 * Sorts the services and gives a later one that would collide with an
 * earlier one (one name and type on two host ports) "NAME (PORT)".
 */
static void
announce_finish_services(struct announce_ctx *c)
{
	struct announce_service *s;
	char *renamed;
	size_t i, j, k;
	bool clash;

	if (c->nsvcs > 1)
		qsort(c->svcs, c->nsvcs, sizeof *c->svcs, announce_svc_cmp);
	for (i = 1; i < c->nsvcs && c->error == 0; i++) {
		s = &c->svcs[i].s;
		for (j = 0; j < i; j++)
			if (c->svcs[j].s.name != NULL &&
			    announcement_same_name(&c->svcs[j].s, s))
				break;
		if (j == i)
			continue;
		if (asprintf(&renamed, "%s (%u)", s->name, s->port) < 0) {
			announce_nomem(c);
			return;
		}
		clash = announce_validate_instance_name(renamed) != NULL;
		free(s->name);
		s->name = renamed;
		for (k = 0; !clash && k < i; k++)
			clash = c->svcs[k].s.name != NULL &&
			    announcement_same_name(&c->svcs[k].s, s);
		if (clash) {
			char item[32];

			snprintf(item, sizeof item, "port %u", s->port);
			announce_skip(c, item,
			    "another service has the same name and type");
			announcement_service_clear(s);
		}
	}
	if (c->error != 0)
		return;
	if ((c->a->services = calloc(
		 c->nsvcs ? c->nsvcs : 1, sizeof *c->a->services)) == NULL) {
		announce_nomem(c);
		return;
	}
	for (i = 0; i < c->nsvcs; i++) {
		if (c->svcs[i].s.name == NULL)
			continue;
		c->a->services[c->a->nservices++] = c->svcs[i].s;
		memset(&c->svcs[i].s, 0, sizeof c->svcs[i].s);
	}
	if (c->a->naddresses > 1)
		qsort(c->a->addresses, c->a->naddresses,
		    sizeof *c->a->addresses, announcement_address_cmp);
}

static void
announce_build(struct announce_ctx *c)
{
	struct announce_sel *sels = NULL;
	const char *v;
	char **ids = NULL;
	size_t nids, nsels = 0, i;

	announce_env_specs(c);
	announce_main_name(c);
	if (c->error != 0)
		return;
	if (c->name == NULL) {
		announce_skip(c, "container",
		    "no valid instance name: set portlight.name");
		return;
	}
	if ((c->type = announce_type_label(c, "portlight.type")) == NULL &&
	    !c->koioff)
		c->type = announce_type_label(c, "koi.type");
	c->hostnet = c->inst->network_mode != NULL &&
	    strcmp(c->inst->network_mode, "host") == 0;
	announce_aliases(c);
	announce_mode(c);
	announce_candidates(c);
	announce_main_txt(c);
	if (c->error != 0)
		return;

	/* Who claims which port, before anything is announced. */
	nids = announce_service_ids(c, &ids);
	announce_id_claims(c, ids, nids);
	if ((v = announce_label(c, "portlight.port")) != NULL) {
		nsels = announce_port_list(c, "portlight.port", v, &sels);
		for (i = 0; i < nsels; i++)
			announce_add_sel(c, &c->claims, &c->nclaims,
			    sels[i].port, sels[i].proto);
	}

	announce_env_services(c);
	/* A port list with no valid entry is unset, as any invalid label. */
	announce_main_services(c, sels, nsels, nsels > 0);
	for (i = 0; i < nids && c->error == 0; i++)
		announce_id_service(c, ids[i]);
	for (i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(sels);

	announce_addresses(c);
	if (c->error == 0 && c->nsvcs == 0 && c->a->naddresses == 0 &&
	    c->ncands == 0 && c->nspecs == 0 && nids == 0 && nsels == 0)
		announce_skip(
		    c, "container", "nothing to announce: no published port");
}

static void
announce_ctx_clear(struct announce_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nsvcs; i++) {
		announcement_service_clear(&c->svcs[i].s);
		free(c->svcs[i].sid);
	}
	free(c->svcs);
	free(c->cands);
	free(c->claims);
	free(c->envclaims);
	free(c->reach);
	free(c->caddrs);
	for (i = 0; i < c->nspecs; i++)
		announce_labels_spec_clear(&c->specs[i]);
	free(c->specs);
	free(c->target);
	free(c->name);
	free(c->type);
	free(c->envname);
	free(c->envtype);
	announce_txt_clear(&c->txt);
}

int
announce_instance(const struct instance *inst, const struct host_facts *host,
    struct announcement **out)
{
	static const struct host_facts nohost;
	struct announce_ctx c;

	*out = NULL;
	memset(&c, 0, sizeof c);
	c.inst = inst;
	c.host = host != NULL ? host : &nohost;
	if ((c.a = calloc(1, sizeof *c.a)) == NULL)
		return (-ENOMEM);
	announce_optin(&c);
	if (c.error == 0 && c.a->enabled && announce_alive(&c))
		announce_build(&c);
	if (c.error == 0)
		announce_finish_services(&c);
	announce_ctx_clear(&c);
	if (c.error != 0) {
		announcement_free(c.a);
		return (c.error);
	}
	*out = c.a;
	return (0);
}
