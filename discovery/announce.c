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
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "announce.h"
#include "announce_int.h"
#include "instance.h"

/* Longest item name in a skip: a hostile 100 KB label key is not echoed. */
#define ANNOUNCE_ITEM_MAX 160

#define FAM_V4 1
#define FAM_V6 2

/* Ranks of the sources of a service: the second sort key after the port. */
enum announce_rank {
	ANNOUNCE_RANK_MAIN = 0, /* portlight.* of the container */
	ANNOUNCE_RANK_SERVICE, /* portlight.service.ID.* */
	ANNOUNCE_RANK_ENV, /* a PORTLIGHT_ANNOUNCE spec with a port */
};

/* A service while it is built: its record and where it came from. */
struct announce_svc {
	struct announce_service s;
	int rank;
	char *sid;
};

/* A distinct (container port, proto) the container offers. */
struct announce_cand {
	uint16_t port;
	int proto;
};

/* A port selection of a label or spec: 80, 80/udp. */
struct announce_sel {
	uint16_t port;
	int proto; /* ANNOUNCE_PROTO_ANY when not named */
};

/* An address this container's services are reachable on. */
struct announce_reach {
	int ifindex;
	int family;
	char text[INET6_ADDRSTRLEN];
};

/* A list of "key=value" strings with its size on the wire. */
struct announce_txt {
	char **items;
	size_t n;
	size_t bytes;
};

/* What one call of announce_emit() announces. */
struct announce_what {
	int rank;
	const char *sid;
	const char *name;
	const char *type; /* NULL: by the well-known table */
	const char *typehint; /* the label that would set it */
	const struct announce_txt *txt;
	const char *subtypes; /* raw list, or NULL */
	const char *subitem; /* item naming that list */
	const char *portitem; /* item naming the selection */
	struct announce_sel sel;
	bool explicit; /* the user named this port */
};

struct announce_ctx {
	const struct instance *inst;
	const struct host_facts *host;
	struct announcement *a;
	int error;

	struct announce_svc *svcs;
	size_t nsvcs;
	struct announce_cand *cands;
	size_t ncands;
	struct announce_sel *claims; /* ports named by labels */
	size_t nclaims;
	struct announce_sel *envclaims; /* ports named by env specs */
	size_t nenvclaims;
	struct announce_reach *reach; /* specific bound addresses */
	size_t nreach;
	struct announce_reach *caddrs; /* macvlan/ipvlan addresses */
	size_t ncaddrs;
	struct announce_spec *specs; /* PORTLIGHT_ANNOUNCE */
	size_t nspecs;

	bool koioff; /* koi.enable=false: no koi.* label nor env is read */
	bool traefik; /* traefik.enable=true */
	bool dmdns; /* docker-mdns.enable=true */
	bool hostnet; /* network_mode host */
	bool cmode; /* container-address mode */
	char *target; /* cmode: "label.local" */

	char *name; /* the main instance name */
	char *type; /* portlight.type or koi.type */
	char *envname; /* a spec without a port */
	char *envtype;
	struct announce_txt txt;
};

static void
announce_nomem(struct announce_ctx *c)
{
	c->error = -ENOMEM;
}

/* Grows *arr to hold n + 1 elements; false (and the error set) if not. */
static bool
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

static char *
announce_strdup(struct announce_ctx *c, const char *s)
{
	char *d;

	if (c->error != 0)
		return (NULL);
	if ((d = strdup(s)) == NULL)
		announce_nomem(c);
	return (d);
}

static const char *
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

static const char *
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

static bool
announce_prefix(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

static void announce_skip(struct announce_ctx *, const char *, const char *,
    ...) __attribute__((format(printf, 3, 4)));
static void announce_skip_label(struct announce_ctx *, const char *,
    const char *, ...) __attribute__((format(printf, 3, 4)));

/*
 * Records a skip.  The item is cut and made printable (it may be a
 * hostile label key); the same skip twice is kept once, since a
 * selection can meet the same problem for several bindings.
 */
static void
announce_skip(struct announce_ctx *c, const char *item, const char *fmt, ...)
{
	struct announcement *a = c->a;
	struct announce_skip *sk;
	char buf[ANNOUNCE_ITEM_MAX + 4], *reason;
	size_t i;
	va_list ap;
	int r;

	if (c->error != 0)
		return;
	for (i = 0; item[i] != '\0' && i < ANNOUNCE_ITEM_MAX; i++)
		buf[i] = (item[i] >= 0x20 && item[i] <= 0x7e) ? item[i] : '?';
	if (item[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	va_start(ap, fmt);
	r = vasprintf(&reason, fmt, ap);
	va_end(ap);
	if (r < 0) {
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

/* announce_skip() with the item "label KEY". */
static void
announce_skip_label(
    struct announce_ctx *c, const char *key, const char *fmt, ...)
{
	char item[ANNOUNCE_ITEM_MAX + 16], *reason;
	va_list ap;
	int r;

	snprintf(item, sizeof item, "label %.*s", ANNOUNCE_ITEM_MAX, key);
	va_start(ap, fmt);
	r = vasprintf(&reason, fmt, ap);
	va_end(ap);
	if (r < 0) {
		announce_nomem(c);
		return;
	}
	announce_skip(c, item, "%s", reason);
	free(reason);
}

/* A value quoted for a reason; "" on ENOMEM (the error is set). */
static char *
announce_quote(struct announce_ctx *c, const char *s)
{
	char *q;

	if ((q = announce_labels_quote(s, strlen(s))) == NULL)
		announce_nomem(c);
	return (q);
}

static const char *
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

static bool
announce_published(const struct instance *inst)
{
	size_t i;

	for (i = 0; i < inst->nports; i++)
		if (inst->ports[i].host_port != 0)
			return (true);
	return (false);
}

/* True when a Traefik router rule of the container has a .local host. */
static bool
announce_traefik_local(struct announce_ctx *c)
{
	const struct instance_kv *kv;
	char **hosts;
	size_t i, j, n, len;
	bool found = false;

	for (i = 0; i < c->inst->nlabels; i++) {
		kv = &c->inst->labels[i];
		if (kv->key == NULL || kv->value == NULL ||
		    !announce_prefix(kv->key, "traefik.http.routers.") ||
		    (len = strlen(kv->key)) < 5 ||
		    strcmp(kv->key + len - 5, ".rule") != 0)
			continue;
		if (announce_labels_hosts(kv->value, &hosts, &n) != 0) {
			announce_nomem(c);
			return (false);
		}
		for (j = 0; j < n; j++) {
			len = strlen(hosts[j]);
			if (len > 6 &&
			    strcasecmp(hosts[j] + len - 6, ".local") == 0)
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

/* -- Names, types, TXT ------------------------------------------------ */

/*
 * Takes name from item if it is a valid instance name; else records why
 * (the next source is tried).  True when taken.
 */
static bool
announce_try_name(
    struct announce_ctx *c, char **dst, const char *item, const char *name)
{
	const char *why;

	if (name == NULL || *dst != NULL)
		return (*dst != NULL);
	if ((why = announce_validate_instance_name(name)) != NULL) {
		announce_skip(c, item, "%s; using the next name", why);
		return (false);
	}
	*dst = announce_strdup(c, name);
	return (*dst != NULL);
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
	announce_try_name(c, &c->name, "container name", inst->name);
}

/* A type label: NULL if absent or invalid (with a skip). */
static char *
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

static void
announce_txt_clear(struct announce_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

static bool
announce_txt_has(const struct announce_txt *t, const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strncasecmp(t->items[i], key, len) == 0 &&
		    t->items[i][len] == '=')
			return (true);
	return (false);
}

/* Adds key=value to t, or skips item with the reason. */
static void
announce_txt_add(struct announce_ctx *c, struct announce_txt *t,
    const char *item, const char *key, const char *value)
{
	const char *why;
	size_t klen = strlen(key), vlen = strlen(value), len;
	char *s;

	if ((why = announce_validate_txt_key(key, klen)) != NULL) {
		announce_skip(c, item, "%s", why);
		return;
	}
	len = klen + 1 + vlen;
	if (len > ANNOUNCE_TXT_ITEM_MAX) {
		announce_skip(c, item,
		    "key=value is %zu bytes, over the limit of 255", len);
		return;
	}
	/* RFC 6763 6.4: keys compare without case; the first one counts. */
	if (announce_txt_has(t, key, klen)) {
		announce_skip(c, item,
		    "duplicate TXT key \"%s\": the first one wins", key);
		return;
	}
	if (t->bytes + 1 + len > ANNOUNCE_TXT_MAX) {
		announce_skip(c, item,
		    "the TXT record would exceed 1300 bytes: pair left out");
		return;
	}
	if (!announce_grow(c, &t->items, t->n, sizeof *t->items))
		return;
	if (asprintf(&s, "%s=%s", key, value) < 0) {
		announce_nomem(c);
		return;
	}
	t->items[t->n++] = s;
	t->bytes += 1 + len;
}

/* Every label prefix+KEY=VALUE into t, in label order. */
static void
announce_txt_labels(
    struct announce_ctx *c, struct announce_txt *t, const char *prefix)
{
	const struct instance_kv *kv;
	char item[ANNOUNCE_ITEM_MAX + 16];
	size_t i, plen = strlen(prefix);

	for (i = 0; i < c->inst->nlabels && c->error == 0; i++) {
		kv = &c->inst->labels[i];
		if (kv->key == NULL || !announce_prefix(kv->key, prefix))
			continue;
		snprintf(item, sizeof item, "label %.*s", ANNOUNCE_ITEM_MAX,
		    kv->key);
		announce_txt_add(c, t, item, kv->key + plen,
		    kv->value != NULL ? kv->value : "");
	}
}

static void
announce_main_txt(struct announce_ctx *c)
{
	const char *href;
	char *path;

	announce_txt_labels(c, &c->txt, "portlight.txt.");
	if (!c->koioff)
		announce_txt_labels(c, &c->txt, "koi.txt.");
	if ((href = announce_label(c, "homepage.href")) == NULL ||
	    announce_txt_has(&c->txt, "path", 4))
		return;
	if (announce_labels_href_path(href, &path) != 0) {
		announce_nomem(c);
		return;
	}
	if (path != NULL)
		announce_txt_add(
		    c, &c->txt, "label homepage.href", "path", path);
	free(path);
}

static bool
announce_txt_copy(struct announce_ctx *c, const struct announce_txt *t,
    char ***out, size_t *n)
{
	size_t i;

	*out = NULL;
	*n = 0;
	if (t == NULL || t->n == 0)
		return (true);
	if ((*out = calloc(t->n, sizeof **out)) == NULL) {
		announce_nomem(c);
		return (false);
	}
	for (i = 0; i < t->n; i++) {
		if (((*out)[i] = announce_strdup(c, t->items[i])) == NULL)
			return (false);
		(*n)++;
	}
	return (true);
}

/* The subtypes of raw for type into s, each "_label._sub.TYPE". */
static bool
announce_subtypes(struct announce_ctx *c, struct announce_service *s,
    const char *raw, const char *item)
{
	struct announce_token tok;
	const char *cursor = raw, *why, *sub;
	size_t len, tlen = strlen(s->type), i;
	char *full, *q;

	if (raw == NULL)
		return (true);
	while (announce_labels_next(&cursor, ",", &tok) && c->error == 0) {
		len = tok.len;
		/* "_printer._sub._http._tcp": must be for this very type. */
		if ((sub = memmem(tok.start, len, "._sub.", 6)) != NULL) {
			if ((size_t)(tok.start + len - (sub + 6)) != tlen ||
			    strncasecmp(sub + 6, s->type, tlen) != 0) {
				if ((q = announce_labels_quote(
					 tok.start, len)) == NULL) {
					announce_nomem(c);
					return (false);
				}
				announce_skip(c, item,
				    "subtype %s is not of type %s", q, s->type);
				free(q);
				continue;
			}
			len = (size_t)(sub - tok.start);
		}
		if (len > 0 && tok.start[0] == '_') {
			tok.start++;
			len--;
		}
		if ((why = announce_validate_subtype(tok.start, len)) != NULL) {
			if ((q = announce_labels_quote(tok.start, len)) ==
			    NULL) {
				announce_nomem(c);
				return (false);
			}
			announce_skip(c, item, "%s: %s", q, why);
			free(q);
			continue;
		}
		if (asprintf(&full, "_%.*s._sub.%s", (int)len, tok.start,
			s->type) < 0) {
			announce_nomem(c);
			return (false);
		}
		for (i = 0; i < s->nsubtypes; i++)
			if (strcasecmp(s->subtypes[i], full) == 0)
				break;
		if (i < s->nsubtypes) {
			free(full);
			continue;
		}
		if (!announce_grow(
			c, &s->subtypes, s->nsubtypes, sizeof *s->subtypes)) {
			free(full);
			return (false);
		}
		s->subtypes[s->nsubtypes++] = full;
	}
	return (c->error == 0);
}

/* -- Ports and bindings ----------------------------------------------- */

static int
announce_cand_cmp(const void *a, const void *b)
{
	const struct announce_cand *x = a, *y = b;

	if (x->port != y->port)
		return (x->port < y->port ? -1 : 1);
	return (x->proto - y->proto);
}

/*
 * The container ports on offer: the published ones, or every port (the
 * exposed ones) when the container is reached on its own address: host
 * network, container-address mode.
 */
static void
announce_candidates(struct announce_ctx *c)
{
	const struct instance_port *p;
	size_t i, j;

	for (i = 0; i < c->inst->nports; i++) {
		p = &c->inst->ports[i];
		if (p->container_port == 0)
			continue;
		if (p->host_port == 0 && !c->hostnet && !c->cmode)
			continue;
		for (j = 0; j < c->ncands; j++)
			if (c->cands[j].port == p->container_port &&
			    c->cands[j].proto == (int)p->proto)
				break;
		if (j < c->ncands)
			continue;
		if (!announce_grow(c, &c->cands, c->ncands, sizeof *c->cands))
			return;
		c->cands[c->ncands].port = p->container_port;
		c->cands[c->ncands].proto = (int)p->proto;
		c->ncands++;
	}
	if (c->ncands > 1)
		qsort(c->cands, c->ncands, sizeof *c->cands, announce_cand_cmp);
}

static bool
announce_sel_match(const struct announce_sel *sel, uint16_t port, int proto)
{
	return (sel->port == port &&
	    (sel->proto == ANNOUNCE_PROTO_ANY || proto == ANNOUNCE_PROTO_ANY ||
		sel->proto == proto));
}

static bool
announce_claimed(
    const struct announce_sel *list, size_t n, uint16_t port, int proto)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (announce_sel_match(&list[i], port, proto))
			return (true);
	return (false);
}

static bool
announce_add_sel(struct announce_ctx *c, struct announce_sel **list, size_t *n,
    uint16_t port, int proto)
{
	if (!announce_grow(c, list, *n, sizeof **list))
		return (false);
	(*list)[*n].port = port;
	(*list)[*n].proto = proto;
	(*n)++;
	return (true);
}

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
static bool
announce_loopback(int family, const void *bin)
{
	const unsigned char *b = bin;
	static const unsigned char one[16] = {[15] = 1};
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (family == AF_INET)
		return (b[0] == 127);
	if (memcmp(b, one, 16) == 0)
		return (true);
	return (memcmp(b, mapped, 12) == 0 && b[12] == 127);
}

static bool
announce_linklocal(int family, const void *bin)
{
	const unsigned char *b = bin;

	if (family == AF_INET)
		return (b[0] == 169 && b[1] == 254);
	return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

/* The interface of this host holding the address, or NULL. */
static const struct host_iface *
announce_iface_of(const struct host_facts *host, int family, const void *bin)
{
	unsigned char other[16];
	size_t i, j;

	for (i = 0; i < host->nifaces; i++) {
		for (j = 0; j < host->ifaces[i].naddrs; j++) {
			if (host->ifaces[i].addrs[j].family != family ||
			    inet_pton(family, host->ifaces[i].addrs[j].text,
				other) != 1)
				continue;
			if (memcmp(other, bin, family == AF_INET ? 4 : 16) == 0)
				return (&host->ifaces[i]);
		}
	}
	return (NULL);
}

/* 0.0.0.0 and ::, the wildcard bindings. */
static const unsigned char announce_zero[16];

/* One host port of a candidate, on one interface (or any). */
struct announce_hport {
	uint16_t port;
	int ifindex;
	int fam; /* FAM_V4 | FAM_V6 */
};

static void
announce_reach_add(struct announce_ctx *c, struct announce_reach **list,
    size_t *n, int ifindex, int family, const char *text)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*list)[i].ifindex == ifindex &&
		    (*list)[i].family == family &&
		    strcmp((*list)[i].text, text) == 0)
			return;
	if (!announce_grow(c, list, *n, sizeof **list))
		return;
	(*list)[*n].ifindex = ifindex;
	(*list)[*n].family = family;
	snprintf((*list)[*n].text, sizeof(*list)[*n].text, "%s", text);
	(*n)++;
}

/*
 * The host ports a candidate is published on, merged: the 0.0.0.0 and
 * :: bindings of one host port are one service; different ephemeral
 * host ports for IPv4 and IPv6 are one service each.  Bindings nobody
 * on the LAN can reach are skipped with the reason.
 */
static size_t
announce_hports(struct announce_ctx *c, const struct announce_cand *cand,
    const char *item, struct announce_hport *out, size_t max)
{
	const struct instance_port *p;
	const struct host_iface *ifc;
	unsigned char bin[16];
	const char *ip;
	size_t i, j, n = 0;
	int family, ifindex, fam;

	for (i = 0; i < c->inst->nports; i++) {
		p = &c->inst->ports[i];
		if (p->container_port != cand->port ||
		    (int)p->proto != cand->proto || p->host_port == 0)
			continue;
		ip = p->host_ip;
		ifindex = ANNOUNCE_IF_ANY;
		if (ip == NULL || ip[0] == '\0')
			fam = FAM_V4 | FAM_V6;
		else {
			if (inet_pton(AF_INET, ip, bin) == 1)
				family = AF_INET;
			else if (inet_pton(AF_INET6, ip, bin) == 1)
				family = AF_INET6;
			else {
				char *q = announce_quote(c, ip);

				if (q != NULL)
					announce_skip(c, item,
					    "host address %s is not an IP "
					    "address",
					    q);
				free(q);
				continue;
			}
			fam = family == AF_INET ? FAM_V4 : FAM_V6;
			if (announce_loopback(family, bin)) {
				announce_skip(c, item, "bound to loopback");
				continue;
			}
			if (memcmp(bin, announce_zero,
				family == AF_INET ? 4 : 16) != 0) {
				ifc = announce_iface_of(c->host, family, bin);
				if (ifc == NULL) {
					announce_skip(c, item,
					    "bound to %s, which no interface "
					    "of this host holds",
					    ip);
					continue;
				}
				if (ifc->loopback) {
					announce_skip(
					    c, item, "bound to loopback");
					continue;
				}
				if (ifc->bridge) {
					announce_skip(c, item,
					    "bound to %s on container bridge "
					    "%s",
					    ip, ifc->name);
					continue;
				}
				ifindex = ifc->index;
				announce_reach_add(c, &c->reach, &c->nreach,
				    ifindex, family, ip);
			}
		}
		for (j = 0; j < n; j++)
			if (out[j].port == p->host_port &&
			    out[j].ifindex == ifindex)
				break;
		if (j < n)
			out[j].fam |= fam;
		else if (n < max) {
			out[n].port = p->host_port;
			out[n].ifindex = ifindex;
			out[n].fam = fam;
			n++;
		} else
			announce_skip(c, item,
			    "more than %zu host ports: the others are not "
			    "announced",
			    max);
	}
	return (n);
}

/* Adds one service record built from w. */
static void
announce_add_svc(struct announce_ctx *c, const struct announce_what *w,
    const char *type, uint16_t port, int ifindex, int fam)
{
	struct announce_svc *v;
	struct announce_service *s;

	if (!announce_grow(c, &c->svcs, c->nsvcs, sizeof *c->svcs))
		return;
	v = &c->svcs[c->nsvcs++];
	memset(v, 0, sizeof *v);
	s = &v->s;
	v->rank = w->rank;
	v->sid = announce_strdup(c, w->sid);
	s->name = announce_strdup(c, w->name);
	s->type = announce_strdup(c, type);
	s->port = port;
	s->ifindex = ifindex;
	s->family = fam == FAM_V4 ? AF_INET : fam == FAM_V6 ? AF_INET6 : 0;
	if (c->cmode)
		s->host = announce_strdup(c, c->target);
	if (c->error != 0)
		return;
	if (!announce_txt_copy(c, w->txt, &s->txt, &s->ntxt))
		return;
	announce_subtypes(c, s, w->subtypes, w->subitem);
}

/* Announces one candidate port with the type of w (or the table's). */
static void
announce_emit_cand(struct announce_ctx *c, const struct announce_what *w,
    const struct announce_cand *cand)
{
	struct announce_hport hp[32];
	char item[32];
	const char *type;
	size_t i, n;
	int tproto;

	snprintf(item, sizeof item, "port %u/%s", cand->port,
	    announce_proto_name(cand->proto));
	if (cand->proto == INSTANCE_PROTO_SCTP) {
		announce_skip(c, item, "SCTP ports are not announced");
		return;
	}
	if ((type = w->type) == NULL &&
	    (type = wellknown_type(cand->port, cand->proto)) == NULL) {
		announce_skip(c, item, "no service type: set %s", w->typehint);
		return;
	}
	tproto = announce_validate_type_proto(type);
	if (tproto != cand->proto) {
		/*
		 * "53" with type _domain._udp meant the UDP one: its TCP
		 * twin is no mistake of the user's, so say nothing.
		 */
		for (i = 0; w->sel.proto == ANNOUNCE_PROTO_ANY && i < c->ncands;
		     i++)
			if (c->cands[i].port == cand->port &&
			    c->cands[i].proto == tproto)
				return;
		announce_skip(c, item, "type %s is %s, the port is %s", type,
		    tproto == INSTANCE_PROTO_TCP ? "TCP" : "UDP",
		    cand->proto == INSTANCE_PROTO_TCP ? "TCP" : "UDP");
		return;
	}
	/* On its own address the container is reached on its own port. */
	if (c->hostnet || c->cmode) {
		announce_add_svc(c, w, type, cand->port, ANNOUNCE_IF_ANY, 0);
		return;
	}
	n = announce_hports(c, cand, item, hp, sizeof hp / sizeof hp[0]);
	for (i = 0; i < n && c->error == 0; i++)
		announce_add_svc(c, w, type, hp[i].port, hp[i].ifindex,
		    hp[i].fam == (FAM_V4 | FAM_V6) ? 0 : hp[i].fam);
}

/* Announces what w selects: one port, or (sel.port 0) that is done by the caller. */
static void
announce_emit(struct announce_ctx *c, const struct announce_what *w)
{
	struct announce_cand synth;
	size_t i;
	bool found = false;

	for (i = 0; i < c->ncands && c->error == 0; i++) {
		if (!announce_sel_match(
			&w->sel, c->cands[i].port, c->cands[i].proto))
			continue;
		found = true;
		announce_emit_cand(c, w, &c->cands[i]);
	}
	if (found || c->error != 0)
		return;
	if (w->explicit && (c->hostnet || c->cmode)) {
		/* Listening needs no EXPOSE: announce what the user named. */
		synth.port = w->sel.port;
		if (w->sel.proto != ANNOUNCE_PROTO_ANY)
			synth.proto = w->sel.proto;
		else if (w->type != NULL)
			synth.proto = announce_validate_type_proto(w->type);
		else
			synth.proto = INSTANCE_PROTO_TCP;
		announce_emit_cand(c, w, &synth);
		return;
	}
	if (w->sel.proto == ANNOUNCE_PROTO_ANY)
		announce_skip(c, w->portitem,
		    "container port %u is not published", w->sel.port);
	else
		announce_skip(c, w->portitem,
		    "container port %u/%s is not published", w->sel.port,
		    announce_proto_name(w->sel.proto));
}

/* A comma-separated list of ports into sels; bad entries are skipped. */
static size_t
announce_port_list(struct announce_ctx *c, const char *key, const char *v,
    struct announce_sel **sels)
{
	struct announce_token tok;
	const char *cursor = v, *why;
	size_t n = 0;
	uint16_t port;
	int proto;
	char *q;

	*sels = NULL;
	while (announce_labels_next(&cursor, ",", &tok) && c->error == 0) {
		if (announce_labels_port(
			tok.start, tok.len, &port, &proto, &why) != 0) {
			if ((q = announce_labels_quote(tok.start, tok.len)) ==
			    NULL) {
				announce_nomem(c);
				break;
			}
			announce_skip_label(c, key, "%s: %s", q, why);
			free(q);
			continue;
		}
		announce_add_sel(c, sels, &n, port, proto);
	}
	return (n);
}

/* -- The sources of services ------------------------------------------ */

/* Parses PORTLIGHT_ANNOUNCE into c->specs; a portless one sets defaults. */
static void
announce_env_specs(struct announce_ctx *c)
{
	struct announce_token tok;
	struct announce_spec spec;
	const char *v, *cursor, *why;
	char *q;
	int error;
	bool portless = false;

	if ((v = announce_env(c, "PORTLIGHT_ANNOUNCE")) == NULL)
		return;
	cursor = v;
	while (announce_labels_next(&cursor, ";", &tok) && c->error == 0) {
		error = announce_labels_spec(tok.start, tok.len, &spec, &why);
		if (error == -ENOMEM) {
			announce_nomem(c);
			return;
		}
		if ((q = announce_labels_quote(tok.start, tok.len)) == NULL) {
			announce_labels_spec_clear(&spec);
			announce_nomem(c);
			return;
		}
		if (error != 0)
			announce_skip(
			    c, "env PORTLIGHT_ANNOUNCE", "spec %s: %s", q, why);
		else if (spec.port == 0 && portless) {
			announce_skip(c, "env PORTLIGHT_ANNOUNCE",
			    "spec %s: only the first spec without a port "
			    "is used",
			    q);
			announce_labels_spec_clear(&spec);
		} else if (spec.port == 0) {
			portless = true;
			c->envname = spec.name;
			c->envtype = spec.type;
		} else if (announce_grow(
			       c, &c->specs, c->nspecs, sizeof *c->specs))
			c->specs[c->nspecs++] = spec;
		else
			announce_labels_spec_clear(&spec);
		free(q);
	}
}

static bool
announce_id_char(char ch)
{
	return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-');
}

static int
announce_str_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The IDs of portlight.service.ID.FIELD labels, sorted; labels that do
 * not follow that form are skipped.
 */
static size_t
announce_service_ids(struct announce_ctx *c, char ***ids)
{
	static const char *const fields[] = {
	    "name", "type", "port", "subtypes"};
	const char *key, *rest, *dot;
	size_t i, j, n = 0, idlen;
	bool ok;

	*ids = NULL;
	for (i = 0; i < c->inst->nlabels && c->error == 0; i++) {
		if ((key = c->inst->labels[i].key) == NULL ||
		    !announce_prefix(key, "portlight.service."))
			continue;
		rest = key + strlen("portlight.service.");
		for (dot = rest; announce_id_char(*dot); dot++)
			;
		idlen = (size_t)(dot - rest);
		ok = idlen > 0 && idlen <= 32 && *dot == '.';
		if (ok) {
			ok = announce_prefix(dot + 1, "txt.") && dot[5] != '\0';
			for (j = 0; !ok && j < 4; j++)
				ok = strcmp(dot + 1, fields[j]) == 0;
		}
		if (!ok) {
			announce_skip_label(c, key,
			    "not portlight.service.ID.FIELD (ID a word of "
			    "up to 32 characters; FIELD name, type, port, "
			    "subtypes or txt.KEY)");
			continue;
		}
		for (j = 0; j < n; j++)
			if (strlen((*ids)[j]) == idlen &&
			    strncmp((*ids)[j], rest, idlen) == 0)
				break;
		if (j < n)
			continue;
		if (!announce_grow(c, ids, n, sizeof **ids))
			break;
		if (((*ids)[n] = strndup(rest, idlen)) == NULL) {
			announce_nomem(c);
			break;
		}
		n++;
	}
	if (n > 1)
		qsort(*ids, n, sizeof **ids, announce_str_cmp);
	return (n);
}

/* The value of portlight.service.ID.FIELD, or NULL. */
static const char *
announce_id_label(struct announce_ctx *c, const char *id, const char *field,
    char *key, size_t keysize)
{
	snprintf(key, keysize, "portlight.service.%s.%s", id, field);
	return (announce_label(c, key));
}

/* Claims the ports of each portlight.service.ID, before anything is built. */
static void
announce_id_claims(struct announce_ctx *c, char **ids, size_t nids)
{
	struct announce_sel *sels;
	char key[96];
	const char *v;
	size_t i, j, n;

	for (i = 0; i < nids && c->error == 0; i++) {
		if ((v = announce_id_label(
			 c, ids[i], "port", key, sizeof key)) == NULL)
			continue;
		n = announce_port_list(c, key, v, &sels);
		for (j = 0; j < n; j++)
			announce_add_sel(c, &c->claims, &c->nclaims,
			    sels[j].port, sels[j].proto);
		free(sels);
	}
}

/* One portlight.service.ID: its own name, type, ports, TXT and subtypes. */
static void
announce_id_service(struct announce_ctx *c, const char *id)
{
	struct announce_what w = {0};
	struct announce_txt txt = {0};
	struct announce_sel *sels = NULL;
	char key[96], item[112], hint[96], subitem[112], portitem[112];
	char prefix[96], *name = NULL, *type;
	const char *v;
	size_t i, n;

	if ((v = announce_id_label(c, id, "port", key, sizeof key)) == NULL) {
		snprintf(item, sizeof item, "label portlight.service.%s", id);
		announce_skip(
		    c, item, "no port: set portlight.service.%s.port", id);
		return;
	}
	snprintf(portitem, sizeof portitem, "label %s", key);
	n = announce_port_list(c, key, v, &sels);

	v = announce_id_label(c, id, "name", key, sizeof key);
	snprintf(item, sizeof item, "label %s", key);
	announce_try_name(c, &name, item, v);
	announce_id_label(c, id, "type", key, sizeof key);
	type = announce_type_label(c, key);
	snprintf(hint, sizeof hint, "%s", key);
	snprintf(prefix, sizeof prefix, "portlight.service.%s.txt.", id);
	announce_txt_labels(c, &txt, prefix);
	w.subtypes = announce_id_label(c, id, "subtypes", key, sizeof key);
	snprintf(subitem, sizeof subitem, "label %s", key);

	w.rank = ANNOUNCE_RANK_SERVICE;
	w.sid = id;
	w.name = name != NULL ? name : c->name;
	w.type = type;
	w.typehint = hint;
	w.txt = &txt;
	w.subitem = subitem;
	w.portitem = portitem;
	w.explicit = true;
	for (i = 0; i < n && c->error == 0; i++) {
		w.sel = sels[i];
		announce_emit(c, &w);
	}
	free(sels);
	free(name);
	free(type);
	announce_txt_clear(&txt);
}

/* The container's own portlight.* service (and koi/homepage defaults). */
static void
announce_main_services(struct announce_ctx *c, struct announce_sel *sels,
    size_t nsels, bool listed)
{
	struct announce_what w = {0};
	size_t i;

	w.rank = ANNOUNCE_RANK_MAIN;
	w.sid = "";
	w.name = c->name;
	w.type = c->type != NULL ? c->type : c->envtype;
	w.typehint = "portlight.type";
	w.txt = &c->txt;
	w.subtypes = announce_label(c, "portlight.subtypes");
	w.subitem = "label portlight.subtypes";
	w.portitem = "label portlight.port";
	if (listed) {
		w.explicit = true;
		for (i = 0; i < nsels && c->error == 0; i++) {
			w.sel = sels[i];
			announce_emit(c, &w);
		}
		return;
	}
	/* Every port on offer that no other service claimed. */
	for (i = 0; i < c->ncands && c->error == 0; i++) {
		if (announce_claimed(c->claims, c->nclaims, c->cands[i].port,
			c->cands[i].proto) ||
		    announce_claimed(c->envclaims, c->nenvclaims,
			c->cands[i].port, c->cands[i].proto))
			continue;
		w.sel.port = c->cands[i].port;
		w.sel.proto = c->cands[i].proto;
		announce_emit_cand(c, &w, &c->cands[i]);
	}
}

/* The PORTLIGHT_ANNOUNCE specs with a port; labels win the same port. */
static void
announce_env_services(struct announce_ctx *c)
{
	struct announce_what w = {0};
	char sid[24], *name;
	bool *dropped;
	size_t i;
	int proto;

	if (c->nspecs == 0)
		return;
	if ((dropped = calloc(c->nspecs, sizeof *dropped)) == NULL) {
		announce_nomem(c);
		return;
	}
	for (i = 0; i < c->nspecs && c->error == 0; i++) {
		proto = announce_validate_type_proto(c->specs[i].type);
		if (announce_claimed(
			c->claims, c->nclaims, c->specs[i].port, proto)) {
			announce_skip(c, "env PORTLIGHT_ANNOUNCE",
			    "spec for port %u: labels set that port, "
			    "they win",
			    c->specs[i].port);
			dropped[i] = true;
			continue;
		}
		announce_add_sel(
		    c, &c->envclaims, &c->nenvclaims, c->specs[i].port, proto);
	}
	w.rank = ANNOUNCE_RANK_ENV;
	w.typehint = "portlight.type";
	w.txt = &c->txt;
	w.subtypes = announce_label(c, "portlight.subtypes");
	w.subitem = "label portlight.subtypes";
	w.portitem = "env PORTLIGHT_ANNOUNCE";
	w.explicit = true;
	for (i = 0; i < c->nspecs && c->error == 0; i++) {
		if (dropped[i])
			continue;
		name = NULL;
		announce_try_name(
		    c, &name, "env PORTLIGHT_ANNOUNCE", c->specs[i].name);
		snprintf(sid, sizeof sid, "%04zu", i);
		w.sid = sid;
		w.name = name != NULL ? name : c->name;
		w.type = c->specs[i].type;
		w.sel.port = c->specs[i].port;
		w.sel.proto = ANNOUNCE_PROTO_ANY;
		announce_emit(c, &w);
		free(name);
	}
	free(dropped);
}

/* -- Aliases and addresses ------------------------------------------- */

/*
 * Adds one alias from raw: lower-cased (host names have no case), a
 * trailing ".local" or "." dropped, then checked as one DNS label.
 */
static void
announce_alias_add(
    struct announce_ctx *c, const char *item, const char *raw, size_t len)
{
	struct announcement *a = c->a;
	const char *why;
	char *label, *q;
	size_t i, rawlen = len;

	if ((label = strndup(raw, len)) == NULL) {
		announce_nomem(c);
		return;
	}
	for (i = 0; i < len; i++)
		if (label[i] >= 'A' && label[i] <= 'Z')
			label[i] = (char)(label[i] - 'A' + 'a');
	if (len > 0 && label[len - 1] == '.')
		label[--len] = '\0';
	if (len > 6 && strcmp(label + len - 6, ".local") == 0)
		label[len -= 6] = '\0';
	if ((why = announce_validate_alias(label)) == NULL &&
	    c->host->hostname != NULL &&
	    strcasecmp(label, c->host->hostname) == 0)
		why = "is this host's own name";
	if (why != NULL) {
		if ((q = announce_labels_quote(raw, rawlen)) == NULL)
			announce_nomem(c);
		else
			announce_skip(c, item, "alias %s: %s", q, why);
		free(q);
		free(label);
		return;
	}
	for (i = 0; i < a->naliases; i++) {
		if (strcmp(a->aliases[i], label) == 0) {
			free(label);
			return;
		}
	}
	if (!announce_grow(c, &a->aliases, a->naliases, sizeof *a->aliases)) {
		free(label);
		return;
	}
	a->aliases[a->naliases++] = label;
}

static void
announce_aliases(struct announce_ctx *c)
{
	const struct instance_kv *kv;
	struct announce_token tok;
	const char *v, *cursor;
	char item[ANNOUNCE_ITEM_MAX + 16], **hosts;
	size_t i, j, n, len;

	if ((v = announce_label(c, "portlight.alias")) != NULL) {
		cursor = v;
		while (
		    announce_labels_next(&cursor, ",", &tok) && c->error == 0)
			announce_alias_add(
			    c, "label portlight.alias", tok.start, tok.len);
	}
	if (c->dmdns && (v = announce_label(c, "docker-mdns.host")) != NULL) {
		cursor = v;
		while (announce_labels_next(&cursor, ", \t\r\n", &tok) &&
		    c->error == 0)
			announce_alias_add(
			    c, "label docker-mdns.host", tok.start, tok.len);
	}
	for (i = 0; c->traefik && i < c->inst->nlabels && c->error == 0; i++) {
		kv = &c->inst->labels[i];
		if (kv->key == NULL || kv->value == NULL ||
		    !announce_prefix(kv->key, "traefik.http.routers.") ||
		    (len = strlen(kv->key)) < 5 ||
		    strcmp(kv->key + len - 5, ".rule") != 0)
			continue;
		if (announce_labels_hosts(kv->value, &hosts, &n) != 0) {
			announce_nomem(c);
			return;
		}
		snprintf(item, sizeof item, "label %.*s", ANNOUNCE_ITEM_MAX,
		    kv->key);
		for (j = 0; j < n; j++) {
			/* Only .local names are ours to answer for. */
			len = strlen(hosts[j]);
			if (len > 6 &&
			    strcasecmp(hosts[j] + len - 6, ".local") == 0)
				announce_alias_add(c, item, hosts[j], len);
			free(hosts[j]);
		}
		free(hosts);
	}
	if (c->a->naliases > 1)
		qsort(c->a->aliases, c->a->naliases, sizeof *c->a->aliases,
		    announce_str_cmp);
}

static bool
announce_is_vlan(const char *driver)
{
	return (driver != NULL &&
	    (strcmp(driver, "macvlan") == 0 || strcmp(driver, "ipvlan") == 0));
}

/* The container's addresses on macvlan/ipvlan networks: on the LAN itself. */
static void
announce_container_addrs(struct announce_ctx *c)
{
	const struct instance_network *net;
	const char *ip;
	unsigned char bin[16];
	size_t i, k;
	int family;

	for (i = 0; i < c->inst->nnetworks; i++) {
		net = &c->inst->networks[i];
		if (!announce_is_vlan(net->driver))
			continue;
		for (k = 0; k < 2; k++) {
			ip = k == 0 ? net->ipv4 : net->ipv6;
			family = k == 0 ? AF_INET : AF_INET6;
			if (ip == NULL || inet_pton(family, ip, bin) != 1 ||
			    announce_loopback(family, bin) ||
			    announce_linklocal(family, bin))
				continue;
			announce_reach_add(c, &c->caddrs, &c->ncaddrs,
			    ANNOUNCE_IF_ANY, family, ip);
		}
	}
}

/* Decides container-address mode and its host name. */
static void
announce_mode(struct announce_ctx *c)
{
	const struct instance_network *net;
	const char *v;
	char *q, *slug;
	bool want = false, set = false;
	size_t i;

	announce_container_addrs(c);
	if ((v = announce_label(c, "portlight.address")) != NULL) {
		if (strcasecmp(v, "container") == 0)
			want = set = true;
		else if (strcasecmp(v, "host") == 0)
			set = true;
		else if ((q = announce_quote(c, v)) != NULL) {
			announce_skip_label(c, "portlight.address",
			    "%s is not host or container: using host", q);
			free(q);
		}
	}
	if (want && c->inst->rootless) {
		announce_skip_label(c, "portlight.address",
		    "rootless container: its address is not reachable from "
		    "the LAN; using host");
		return;
	}
	if (want && c->hostnet) {
		announce_skip_label(c, "portlight.address",
		    "host network: the container has no address of its own; "
		    "using host");
		return;
	}
	if (want && c->ncaddrs == 0) {
		announce_skip_label(c, "portlight.address",
		    "no macvlan or ipvlan address (container bridges are not "
		    "reachable from the LAN); using host");
		return;
	}
	/* Automatic: nothing published, but an address on the LAN. */
	if (!set && !c->inst->rootless && !c->hostnet && c->ncaddrs > 0 &&
	    !announce_published(c->inst))
		want = true;
	if (!want)
		return;
	if (c->a->naliases > 0)
		slug = announce_strdup(c, c->a->aliases[0]);
	else if ((slug = announce_labels_slug(c->name)) == NULL)
		announce_nomem(c);
	if (slug == NULL)
		return;
	if (slug[0] == '\0') {
		announce_skip(c, "container",
		    "no host name can be made of the name: set "
		    "portlight.alias; using host");
		free(slug);
		return;
	}
	if (asprintf(&c->target, "%s.local", slug) < 0) {
		c->target = NULL;
		announce_nomem(c);
	}
	free(slug);
	if (c->target == NULL)
		return;
	c->cmode = true;
	for (i = 0; i < c->inst->nnetworks; i++) {
		net = &c->inst->networks[i];
		if (!announce_is_vlan(net->driver) &&
		    (net->ipv4 != NULL || net->ipv6 != NULL)) {
			char item[ANNOUNCE_ITEM_MAX + 16];

			snprintf(item, sizeof item, "network %.*s",
			    ANNOUNCE_ITEM_MAX,
			    net->name != NULL ? net->name : "?");
			announce_skip(c, item,
			    "not macvlan or ipvlan: its address is not "
			    "published");
		}
	}
}

static void
announce_add_address(
    struct announce_ctx *c, const char *label, const struct announce_reach *r)
{
	struct announcement *a = c->a;
	struct announce_address *ad;
	size_t i;
	char *name;

	if (asprintf(&name, "%s.local", label) < 0) {
		announce_nomem(c);
		return;
	}
	for (i = 0; i < a->naddresses; i++) {
		if (strcmp(a->addresses[i].name, name) == 0 &&
		    a->addresses[i].ifindex == r->ifindex &&
		    strcmp(a->addresses[i].addr, r->text) == 0) {
			free(name);
			return;
		}
	}
	if (!announce_grow(
		c, &a->addresses, a->naddresses, sizeof *a->addresses)) {
		free(name);
		return;
	}
	ad = &a->addresses[a->naddresses];
	ad->name = name;
	ad->ifindex = r->ifindex;
	ad->family = r->family;
	if ((ad->addr = strdup(r->text)) == NULL) {
		free(name);
		announce_nomem(c);
		return;
	}
	a->naddresses++;
}

/*
 * A/AAAA records: aliases (and, in container-address mode, the target
 * host name) to the addresses the services are reachable on.  Never an
 * address of loopback or of a container bridge: nobody on the LAN could
 * use it.
 */
static void
announce_addresses(struct announce_ctx *c)
{
	const struct host_iface *ifc;
	struct announce_reach *list = NULL;
	unsigned char bin[16];
	size_t i, j, n = 0;
	bool any = c->nsvcs == 0;
	char *label;

	if (c->a->naliases == 0 && !c->cmode)
		return;
	if (c->cmode) {
		for (i = 0; i < c->ncaddrs; i++)
			announce_reach_add(c, &list, &n, c->caddrs[i].ifindex,
			    c->caddrs[i].family, c->caddrs[i].text);
	} else {
		for (i = 0; i < c->nsvcs; i++)
			if (c->svcs[i].s.ifindex == ANNOUNCE_IF_ANY)
				any = true;
		for (i = 0; any && i < c->host->nifaces; i++) {
			ifc = &c->host->ifaces[i];
			if (ifc->loopback || ifc->bridge)
				continue;
			for (j = 0; j < ifc->naddrs; j++) {
				if ((ifc->addrs[j].family != AF_INET &&
					ifc->addrs[j].family != AF_INET6) ||
				    inet_pton(ifc->addrs[j].family,
					ifc->addrs[j].text, bin) != 1 ||
				    announce_loopback(
					ifc->addrs[j].family, bin))
					continue;
				announce_reach_add(c, &list, &n, ifc->index,
				    ifc->addrs[j].family, ifc->addrs[j].text);
			}
		}
		for (i = 0; !any && i < c->nreach; i++)
			announce_reach_add(c, &list, &n, c->reach[i].ifindex,
			    c->reach[i].family, c->reach[i].text);
	}
	if (n == 0 && c->error == 0)
		announce_skip(c, "aliases",
		    "no address reachable from the LAN to publish");
	for (i = 0; i < n && c->error == 0; i++) {
		if (c->cmode) {
			label = announce_strdup(c, c->target);
			if (label == NULL)
				break;
			label[strlen(label) - 6] = '\0';
			announce_add_address(c, label, &list[i]);
			free(label);
		}
		for (j = 0; j < c->a->naliases; j++)
			announce_add_address(c, c->a->aliases[j], &list[i]);
	}
	free(list);
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

static int
announce_address_cmp(const void *a, const void *b)
{
	const struct announce_address *x = a, *y = b;
	int r;

	if ((r = strcmp(x->name, y->name)) != 0)
		return (r);
	if (x->family != y->family)
		return (x->family - y->family);
	if ((r = strcmp(x->addr, y->addr)) != 0)
		return (r);
	return (x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex);
}

/* Two services that Avahi would see as one name (a local collision). */
static bool
announce_same_name(
    const struct announce_service *x, const struct announce_service *y)
{
	if (strcasecmp(x->name, y->name) != 0 ||
	    strcasecmp(x->type, y->type) != 0)
		return (false);
	if ((x->host == NULL) != (y->host == NULL) ||
	    (x->host != NULL && strcmp(x->host, y->host) != 0))
		return (false);
	return (x->ifindex == y->ifindex || x->ifindex == ANNOUNCE_IF_ANY ||
	    y->ifindex == ANNOUNCE_IF_ANY);
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
			    announce_same_name(&c->svcs[j].s, s))
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
			    announce_same_name(&c->svcs[k].s, s);
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
		    sizeof *c->a->addresses, announce_address_cmp);
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
