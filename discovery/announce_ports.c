/*
 * announce_ports: on which host ports and interfaces a container's
 * services are published.  The container ports on offer, the port
 * selections of labels and specs and the ports they claim, the bindings
 * that nobody on the LAN can reach (loopback, an address no interface
 * holds, a container bridge), and the service records built from them.
 * Pure, as the rest of announce (announce.c).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "announce_int.h"
#include "instance.h"

#define FAM_V4 1
#define FAM_V6 2

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
void
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

bool
announce_claimed(
    const struct announce_sel *list, size_t n, uint16_t port, int proto)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (announce_sel_match(&list[i], port, proto))
			return (true);
	return (false);
}

void
announce_add_sel(struct announce_ctx *c, struct announce_sel **list, size_t *n,
    uint16_t port, int proto)
{
	if (!announce_grow(c, list, *n, sizeof **list))
		return;
	(*list)[*n].port = port;
	(*list)[*n].proto = proto;
	(*n)++;
}

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool
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

void
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
void
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

/*
 * Announces the offered ports w->sel matches.  When none does, the port
 * the user named is announced anyway on the host network or in
 * container-address mode (listening there needs no EXPOSE); otherwise
 * it is a skip.
 */
void
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
	if (c->hostnet || c->cmode) {
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
size_t
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
