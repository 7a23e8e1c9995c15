/*
 * pubrecords: the publisher's private copies of records.  See pubrecords.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "pubrecords.h"

const char *
pub_service_current(const struct pub_service *s)
{
	return s->alt != NULL ? s->alt : s->name;
}

static void
pub_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
pub_strv_copy(char ***out, char *const *v, size_t n)
{
	char **c;
	size_t i;

	*out = NULL;
	if (n == 0)
		return 0;
	if ((c = calloc(n, sizeof(*c))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if ((c[i] = strdup(v[i] != NULL ? v[i] : "")) == NULL) {
			pub_strv_free(c, i);
			return -ENOMEM;
		}
	}
	*out = c;
	return 0;
}

static bool
pub_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
pub_strv_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!pub_str_equal(a[i], b[i]))
			return false;
	return true;
}

void
pub_services_free(struct pub_service *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].type);
		pub_strv_free(v[i].txt, v[i].ntxt);
		pub_strv_free(v[i].subtypes, v[i].nsubtypes);
		free(v[i].host);
		free(v[i].alt);
	}
	free(v);
}

void
pub_addrs_free(struct pub_addr *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].addr);
	}
	free(v);
}

static char *
pub_strdup_null(const char *s, bool *oom)
{
	char *c;

	if (s == NULL)
		return NULL;
	if ((c = strdup(s)) == NULL)
		*oom = true;
	return c;
}

int
pub_services_copy(struct pub_service **out, const struct announcement *a)
{
	struct pub_service *v;
	const struct announce_service *as;
	bool oom = false;
	size_t i;

	*out = NULL;
	if (a->nservices == 0)
		return 0;
	if ((v = calloc(a->nservices, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < a->nservices; i++) {
		as = &a->services[i];
		v[i].name = pub_strdup_null(as->name ? as->name : "", &oom);
		v[i].type = pub_strdup_null(as->type ? as->type : "", &oom);
		v[i].host = pub_strdup_null(as->host, &oom);
		v[i].port = as->port;
		v[i].ifindex = as->ifindex;
		v[i].family = as->family;
		if (pub_strv_copy(&v[i].txt, as->txt, as->ntxt) == 0)
			v[i].ntxt = as->ntxt;
		else
			oom = true;
		if (pub_strv_copy(
			&v[i].subtypes, as->subtypes, as->nsubtypes) == 0)
			v[i].nsubtypes = as->nsubtypes;
		else
			oom = true;
	}
	if (oom) {
		pub_services_free(v, a->nservices);
		return -ENOMEM;
	}
	*out = v;
	return 0;
}

int
pub_addrs_copy(struct pub_addr **out, const struct announcement *a)
{
	struct pub_addr *v;
	bool oom = false;
	size_t i;

	*out = NULL;
	if (a->naddresses == 0)
		return 0;
	if ((v = calloc(a->naddresses, sizeof(*v))) == NULL)
		return -ENOMEM;
	for (i = 0; i < a->naddresses; i++) {
		v[i].name = pub_strdup_null(
		    a->addresses[i].name ? a->addresses[i].name : "", &oom);
		v[i].addr = pub_strdup_null(
		    a->addresses[i].addr ? a->addresses[i].addr : "", &oom);
		v[i].ifindex = a->addresses[i].ifindex;
		v[i].family = a->addresses[i].family;
	}
	if (oom) {
		pub_addrs_free(v, a->naddresses);
		return -ENOMEM;
	}
	*out = v;
	return 0;
}

bool
pub_records_equal(const struct pub_service *services, size_t nservices,
    const struct pub_addr *addrs, size_t naddrs, const struct announcement *a)
{
	const struct announce_service *as;
	const struct announce_address *aa;
	const struct pub_service *s;
	const struct pub_addr *d;
	size_t i;

	if (nservices != a->nservices || naddrs != a->naddresses)
		return false;
	for (i = 0; i < nservices; i++) {
		s = &services[i];
		as = &a->services[i];
		if (!pub_str_equal(s->name, as->name ? as->name : "") ||
		    !pub_str_equal(s->type, as->type ? as->type : "") ||
		    !pub_str_equal(s->host, as->host) || s->port != as->port ||
		    s->ifindex != as->ifindex || s->family != as->family ||
		    !pub_strv_equal(s->txt, s->ntxt, as->txt, as->ntxt) ||
		    !pub_strv_equal(
			s->subtypes, s->nsubtypes, as->subtypes, as->nsubtypes))
			return false;
	}
	for (i = 0; i < naddrs; i++) {
		d = &addrs[i];
		aa = &a->addresses[i];
		if (!pub_str_equal(d->name, aa->name ? aa->name : "") ||
		    !pub_str_equal(d->addr, aa->addr ? aa->addr : "") ||
		    d->ifindex != aa->ifindex || d->family != aa->family)
			return false;
	}
	return true;
}
