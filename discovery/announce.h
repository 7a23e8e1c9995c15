/*
 * announce: the pure function from a container (struct instance) and the
 * facts of this host to the DNS-SD records to publish for it, and the
 * reason for every thing it skips.  No I/O, no logging: the caller logs
 * each skip once, naming the container.  The whole label/env grammar
 * (README "Labels") lives here.
 */
#ifndef ANNOUNCE_H
#define ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct instance;

/* AVAHI_IF_UNSPEC, without including Avahi here. */
#define ANNOUNCE_IF_ANY (-1)

/* One address of a host interface. */
struct host_addr {
	int family; /* AF_INET or AF_INET6 */
	char text[46]; /* "192.168.1.5", "fe80::1" */
};

struct host_iface {
	char name[16]; /* "eth0" */
	int index;
	bool loopback;
	/* A container bridge: docker0, br-*, cni-podman*, podman*, veth*. */
	bool bridge;
	struct host_addr *addrs;
	size_t naddrs;
};

struct host_facts {
	const char *hostname; /* "myhost" (without .local) */
	struct host_iface *ifaces;
	size_t nifaces;
	bool all; /* --all: every container with a published port */
};

struct announce_service {
	char *name; /* instance name, "Grafana" */
	char *type; /* "_http._tcp" */
	uint16_t port; /* the host port */
	char **txt; /* "key=value" strings, in order */
	size_t ntxt;
	char **subtypes; /* "_printer._sub._http._tcp" */
	size_t nsubtypes;
	int ifindex; /* ANNOUNCE_IF_ANY or one interface */
	/* NULL: this host; else "name.local" (container-address mode). */
	char *host;
	/*
	 * 0: reachable over IPv4 and IPv6.  AF_INET or AF_INET6: the port
	 * is bound for that family only (a lone 0.0.0.0 or :: binding, or
	 * IPv4/IPv6 bindings with different ephemeral host ports), so a
	 * publisher may restrict the service to that protocol.
	 */
	int family;
};

/* An A/AAAA record: "name.local" -> addr on ifindex. */
struct announce_address {
	char *name; /* "grafana.local" */
	int ifindex;
	int family;
	char *addr;
};

struct announce_skip {
	char *item; /* "port 5432/tcp", "label portlight.txt.x", "container" */
	char *reason; /* "bound to loopback" */
};

struct announcement {
	bool enabled; /* the container opted in */
	struct announce_service *services;
	size_t nservices;
	char **aliases; /* single labels, "grafana" */
	size_t naliases;
	struct announce_address *addresses;
	size_t naddresses;
	struct announce_skip *skips;
	size_t nskips;
};

/*
 * Computes what to announce for inst.  Always returns 0 and sets *out
 * (possibly with no services and some skips), or -ENOMEM.  A container
 * that is not running, is paused, or has a healthcheck that is not
 * healthy gets no records (and a skip naming why), unless the label
 * portlight.health=ignore says otherwise for health.
 */
int announce_instance(const struct instance *inst,
    const struct host_facts *host, struct announcement **out);
void announcement_free(struct announcement *a);
/* Frees the strings of one service and zeroes it (it stays usable). */
void announcement_service_clear(struct announce_service *s);
/*
 * Orders services by port, then type (ignoring case first), name, host,
 * interface, family, TXT and subtypes (qsort); 0 only for equal records.
 */
int announcement_service_cmp(const void *a, const void *b);
/* Orders address records by name, family, address, interface (qsort). */
int announcement_address_cmp(const void *a, const void *b);
/*
 * True when Avahi would see x and y as one service name (a collision):
 * the same name and type (ignoring case) and host, on one interface.
 */
bool announcement_same_name(
    const struct announce_service *x, const struct announce_service *y);
/*
 * True when a and b publish the same records: services and address
 * records (what goes on the wire; aliases only through their addresses).
 */
bool announcement_records_equal(
    const struct announcement *a, const struct announcement *b);
/* Records and aliases equal (skips are not compared). */
bool announcement_equal(
    const struct announcement *a, const struct announcement *b);
/* A deep copy, or NULL. */
struct announcement *announcement_copy(const struct announcement *a);

#endif
