/*
 * pod: one announcement for a whole Podman pod.  The members of a pod
 * share one network namespace, whose ports the infra container holds and
 * every member reports, so two labelled members would each announce the
 * pod's web server: on the network that is one service and a "Name #2".
 * The reconciler keeps each member's own records (for its logs and so
 * that a member may go while the others stay) and publishes their merge.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "pod.h"

/* DNS-SD's limit on an instance name (bytes of UTF-8). */
#define POD_NAME_MAX 63

static int
pod_alias_cmp(const void *pa, const void *pb)
{
	return strcmp(*(char *const *)pa, *(char *const *)pb);
}

/* Is s already among m's kept services (by record, or by name)? */
static const struct announce_service *
pod_kept(const struct announcement *m, const struct announce_service *s,
    bool by_name)
{
	size_t i;

	for (i = 0; i < m->nservices; i++) {
		if (by_name ? announcement_same_name(&m->services[i], s)
			    : announcement_service_cmp(&m->services[i], s) == 0)
			return &m->services[i];
	}
	return NULL;
}

static int
pod_skip(struct announcement *m, uint16_t port)
{
	struct announce_skip *sk = &m->skips[m->nskips];

	if (asprintf(&sk->item, "port %u", (unsigned)port) < 0) {
		sk->item = NULL;
		return -ENOMEM;
	}
	sk->reason = strdup("another member of the pod has a service of "
			    "the same name and type");
	if (sk->reason == NULL) {
		free(sk->item);
		sk->item = NULL;
		return -ENOMEM;
	}
	m->nskips++;
	return 0;
}

/*
 * Takes s (moved) into m, or frees it: identical to a kept service, it is
 * the same service; of a kept one's name and type, it is renamed as
 * announce renames within one container.
 */
static int
pod_take_service(struct announcement *m, struct announce_service *s)
{
	char *renamed;
	uint16_t port;

	if (pod_kept(m, s, false) != NULL) {
		announcement_service_clear(s);
		return 0;
	}
	if (pod_kept(m, s, true) != NULL) {
		if (asprintf(&renamed, "%s (%u)", s->name, (unsigned)s->port) <
		    0) {
			announcement_service_clear(s);
			return -ENOMEM;
		}
		free(s->name);
		s->name = renamed;
		if (pod_kept(m, s, false) != NULL) {
			announcement_service_clear(s);
			return 0;
		}
		if (strlen(s->name) > POD_NAME_MAX ||
		    pod_kept(m, s, true) != NULL) {
			port = s->port;
			announcement_service_clear(s);
			return pod_skip(m, port);
		}
	}
	m->services[m->nservices++] = *s;
	memset(s, 0, sizeof *s);
	return 0;
}

/* Moves everything of c (a copy) onto the ends of the gathered arrays. */
static void
pod_gather(struct announcement *c, struct announce_service *svcs, size_t *nsvcs,
    struct announcement *m)
{
	size_t i;

	for (i = 0; i < c->nservices; i++)
		svcs[(*nsvcs)++] = c->services[i];
	c->nservices = 0;
	for (i = 0; i < c->naliases; i++)
		m->aliases[m->naliases++] = c->aliases[i];
	c->naliases = 0;
	for (i = 0; i < c->naddresses; i++)
		m->addresses[m->naddresses++] = c->addresses[i];
	c->naddresses = 0;
	announcement_free(c);
}

static void
pod_unique_aliases(struct announcement *m)
{
	size_t i, k = 0;

	if (m->naliases > 1)
		qsort(
		    m->aliases, m->naliases, sizeof *m->aliases, pod_alias_cmp);
	for (i = 0; i < m->naliases; i++) {
		if (k > 0 && strcmp(m->aliases[k - 1], m->aliases[i]) == 0)
			free(m->aliases[i]);
		else
			m->aliases[k++] = m->aliases[i];
	}
	m->naliases = k;
}

static void
pod_unique_addresses(struct announcement *m)
{
	struct announce_address *ad = m->addresses;
	size_t i, k = 0;

	if (m->naddresses > 1)
		qsort(ad, m->naddresses, sizeof *ad, announcement_address_cmp);
	for (i = 0; i < m->naddresses; i++) {
		if (k > 0 &&
		    announcement_address_cmp(&ad[k - 1], &ad[i]) == 0) {
			free(ad[i].name);
			free(ad[i].addr);
		} else
			ad[k++] = ad[i];
	}
	m->naddresses = k;
}

int
pod_merge(
    const struct announcement *const *v, size_t n, struct announcement **out)
{
	struct announcement *m, *c;
	struct announce_service *svcs = NULL;
	size_t i, nsvcs = 0, ts = 0, ta = 0, td = 0;
	int error = 0;

	*out = NULL;
	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		ts += v[i]->nservices;
		ta += v[i]->naliases;
		td += v[i]->naddresses;
	}
	if ((m = calloc(1, sizeof *m)) == NULL)
		return -ENOMEM;
	/* One more than needed: calloc(0) may be NULL. */
	m->services = calloc(ts + 1, sizeof *m->services);
	m->skips = calloc(ts + 1, sizeof *m->skips);
	m->aliases = calloc(ta + 1, sizeof *m->aliases);
	m->addresses = calloc(td + 1, sizeof *m->addresses);
	svcs = calloc(ts + 1, sizeof *svcs);
	if (m->services == NULL || m->skips == NULL || m->aliases == NULL ||
	    m->addresses == NULL || svcs == NULL) {
		error = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (v[i] == NULL)
			continue;
		m->enabled |= v[i]->enabled;
		if ((c = announcement_copy(v[i])) == NULL) {
			error = -ENOMEM;
			goto out;
		}
		pod_gather(c, svcs, &nsvcs, m);
	}
	if (nsvcs > 1)
		qsort(svcs, nsvcs, sizeof *svcs, announcement_service_cmp);
	for (i = 0; i < nsvcs && error == 0; i++)
		error = pod_take_service(m, &svcs[i]);
	if (error != 0)
		goto out;
	pod_unique_aliases(m);
	pod_unique_addresses(m);
out:
	if (error != 0) {
		for (i = 0; i < nsvcs; i++)
			announcement_service_clear(&svcs[i]);
		announcement_free(m);
		m = NULL;
	}
	free(svcs);
	*out = m;
	return error;
}
