/*
 * announcement: the life of the result of announce_instance() apart from
 * how it is computed: freeing, comparing (the reconciler republishes a
 * container only when its records changed) and deep copies (the
 * publisher keeps its own, to republish after avahi-daemon restarts).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "announce.h"
#include "announce_int.h"

void
announcement_service_clear(struct announce_service *s)
{
	size_t i;

	free(s->name);
	free(s->type);
	for (i = 0; i < s->ntxt; i++)
		free(s->txt[i]);
	free(s->txt);
	for (i = 0; i < s->nsubtypes; i++)
		free(s->subtypes[i]);
	free(s->subtypes);
	free(s->host);
	memset(s, 0, sizeof *s);
}

void
announcement_free(struct announcement *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nservices; i++)
		announcement_service_clear(&a->services[i]);
	free(a->services);
	for (i = 0; i < a->naliases; i++)
		free(a->aliases[i]);
	free(a->aliases);
	for (i = 0; i < a->naddresses; i++) {
		free(a->addresses[i].name);
		free(a->addresses[i].addr);
	}
	free(a->addresses);
	for (i = 0; i < a->nskips; i++) {
		free(a->skips[i].item);
		free(a->skips[i].reason);
	}
	free(a->skips);
	free(a);
}

/* strcmp with NULL first. */
static int
announcement_strcmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
announcement_strv_cmp(char **a, size_t na, char **b, size_t nb)
{
	size_t i;
	int c;

	for (i = 0; i < na && i < nb; i++) {
		if ((c = announcement_strcmp(a[i], b[i])) != 0)
			return c;
	}
	return (na > nb) - (na < nb);
}

int
announcement_service_cmp(const void *pa, const void *pb)
{
	const struct announce_service *x = pa, *y = pb;
	int c;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((x->type != NULL && y->type != NULL &&
		(c = strcasecmp(x->type, y->type)) != 0) ||
	    (c = announcement_strcmp(x->type, y->type)) != 0 ||
	    (c = announcement_strcmp(x->name, y->name)) != 0 ||
	    (c = announcement_strcmp(x->host, y->host)) != 0)
		return c;
	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if ((c = announcement_strv_cmp(x->txt, x->ntxt, y->txt, y->ntxt)) != 0)
		return c;
	return announcement_strv_cmp(
	    x->subtypes, x->nsubtypes, y->subtypes, y->nsubtypes);
}

bool
announcement_records_equal(
    const struct announcement *a, const struct announcement *b)
{
	const struct announce_address *p, *q;
	size_t i;

	if (a == NULL || b == NULL)
		return (a == b);
	if (a->nservices != b->nservices || a->naddresses != b->naddresses)
		return (false);
	for (i = 0; i < a->nservices; i++) {
		if (announcement_service_cmp(
			&a->services[i], &b->services[i]) != 0)
			return (false);
	}
	for (i = 0; i < a->naddresses; i++) {
		p = &a->addresses[i];
		q = &b->addresses[i];
		if (announcement_strcmp(p->name, q->name) != 0 ||
		    p->ifindex != q->ifindex || p->family != q->family ||
		    announcement_strcmp(p->addr, q->addr) != 0)
			return (false);
	}
	return (true);
}

bool
announcement_equal(const struct announcement *a, const struct announcement *b)
{
	if (!announcement_records_equal(a, b))
		return (false);
	return (a == NULL ||
	    announcement_strv_cmp(
		a->aliases, a->naliases, b->aliases, b->naliases) == 0);
}

bool
announcement_strv_copy(char **src, size_t n, char ***out, size_t *nout)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	if (n == 0)
		return (true);
	if ((*out = calloc(n, sizeof **out)) == NULL)
		return (false);
	for (i = 0; i < n; i++) {
		if (src[i] != NULL && ((*out)[i] = strdup(src[i])) == NULL)
			return (false);
		(*nout)++;
	}
	return (true);
}

static char *
announcement_strdup_null(const char *s, bool *ok)
{
	char *d;

	if (s == NULL)
		return (NULL);
	if ((d = strdup(s)) == NULL)
		*ok = false;
	return (d);
}

struct announcement *
announcement_copy(const struct announcement *a)
{
	struct announcement *b;
	const struct announce_service *s;
	struct announce_service *d;
	size_t i;
	bool ok = true;

	if (a == NULL || (b = calloc(1, sizeof *b)) == NULL)
		return (NULL);
	b->enabled = a->enabled;
	if (a->nservices > 0 &&
	    (b->services = calloc(a->nservices, sizeof *b->services)) == NULL)
		goto fail;
	for (i = 0; i < a->nservices; i++) {
		s = &a->services[i];
		d = &b->services[b->nservices++];
		d->port = s->port;
		d->ifindex = s->ifindex;
		d->family = s->family;
		d->name = announcement_strdup_null(s->name, &ok);
		d->type = announcement_strdup_null(s->type, &ok);
		d->host = announcement_strdup_null(s->host, &ok);
		if (!ok ||
		    !announcement_strv_copy(
			s->txt, s->ntxt, &d->txt, &d->ntxt) ||
		    !announcement_strv_copy(
			s->subtypes, s->nsubtypes, &d->subtypes, &d->nsubtypes))
			goto fail;
	}
	if (!announcement_strv_copy(
		a->aliases, a->naliases, &b->aliases, &b->naliases))
		goto fail;
	if (a->naddresses > 0 &&
	    (b->addresses = calloc(a->naddresses, sizeof *b->addresses)) ==
		NULL)
		goto fail;
	for (i = 0; i < a->naddresses; i++) {
		b->addresses[i].ifindex = a->addresses[i].ifindex;
		b->addresses[i].family = a->addresses[i].family;
		b->addresses[i].name =
		    announcement_strdup_null(a->addresses[i].name, &ok);
		b->addresses[i].addr =
		    announcement_strdup_null(a->addresses[i].addr, &ok);
		b->naddresses++;
		if (!ok)
			goto fail;
	}
	if (a->nskips > 0 &&
	    (b->skips = calloc(a->nskips, sizeof *b->skips)) == NULL)
		goto fail;
	for (i = 0; i < a->nskips; i++) {
		b->skips[i].item =
		    announcement_strdup_null(a->skips[i].item, &ok);
		b->skips[i].reason =
		    announcement_strdup_null(a->skips[i].reason, &ok);
		b->nskips++;
		if (!ok)
			goto fail;
	}
	return (b);
fail:
	announcement_free(b);
	return (NULL);
}

int
announcement_address_cmp(const void *a, const void *b)
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

bool
announcement_same_name(
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
