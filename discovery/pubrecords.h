/*
 * pubrecords: the publisher's private copy of one key's records (from an
 * announcement), and whether a new announcement holds the same ones.
 * Pure: no Avahi, no I/O.
 */
#ifndef PUBRECORDS_H
#define PUBRECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct announcement;

struct pub_service {
	char *name; /* as the caller gave it */
	char *type;
	uint16_t port;
	char **txt;
	size_t ntxt;
	char **subtypes;
	size_t nsubtypes;
	int ifindex;
	int family; /* 0, or AF_INET/AF_INET6: bound for that family only */
	char *host;
	char *alt; /* the name in use after a collision, or NULL (not copied) */
};

struct pub_addr {
	char *name;
	int ifindex;
	int family;
	char *addr;
};

/* The name s is published under: its collision replacement, if any. */
const char *pub_service_current(const struct pub_service *s);

/*
 * a's services (a's addresses) into a new array in *out, NULL when there
 * are none; a NULL name or type becomes "".  Returns 0 or -ENOMEM (then
 * nothing is left allocated).
 */
int pub_services_copy(struct pub_service **out, const struct announcement *a);
int pub_addrs_copy(struct pub_addr **out, const struct announcement *a);
void pub_services_free(struct pub_service *v, size_t n);
void pub_addrs_free(struct pub_addr *v, size_t n);

/*
 * True when the copies (services, addrs) hold exactly a's records: names
 * as the caller gave them, so a collision's replacement does not count.
 */
bool pub_records_equal(const struct pub_service *services, size_t nservices,
    const struct pub_addr *addrs, size_t naddrs, const struct announcement *a);

#endif
