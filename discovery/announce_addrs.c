/*
 * announce_addrs: the host names of a container and what they resolve
 * to.  Aliases from portlight.alias, docker-mdns.host and Traefik's
 * .local router rules; container-address mode (a macvlan or ipvlan
 * address on the LAN itself) and its host name; the A/AAAA records of
 * both, never to an address nobody on the LAN could use.  Pure, as the
 * rest of announce (announce.c).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "announce.h"
#include "announce_int.h"
#include "instance.h"

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
	if (announce_local_host(label, len))
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

void
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
		if (!announce_traefik_rule(kv))
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
			if (announce_local_host(hosts[j], len))
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
announce_linklocal(int family, const void *bin)
{
	const unsigned char *b = bin;

	if (family == AF_INET)
		return (b[0] == 169 && b[1] == 254);
	return (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
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
void
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
void
announce_addresses(struct announce_ctx *c)
{
	const struct host_iface *ifc;
	const struct announce_reach *use;
	struct announce_reach *list = NULL;
	unsigned char bin[16];
	size_t i, j, n = 0;
	bool any = c->nsvcs == 0;
	char *label = NULL;

	if (c->a->naliases == 0 && !c->cmode)
		return;
	/* caddrs and reach are already without duplicates. */
	if (c->cmode) {
		use = c->caddrs;
		n = c->ncaddrs;
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
		use = list;
		if (!any) {
			use = c->reach;
			n = c->nreach;
		}
	}
	if (n == 0 && c->error == 0)
		announce_skip(c, "aliases",
		    "no address reachable from the LAN to publish");
	/* The target without its ".local": announce_add_address adds it. */
	if (n > 0 && c->cmode &&
	    (label = announce_strdup(c, c->target)) != NULL)
		label[strlen(label) - 6] = '\0';
	for (i = 0; i < n && c->error == 0; i++) {
		if (label != NULL)
			announce_add_address(c, label, &use[i]);
		for (j = 0; j < c->a->naliases; j++)
			announce_add_address(c, c->a->aliases[j], &use[i]);
	}
	free(label);
	free(list);
}
