/*
 * hostfacts: this host's name and its interfaces with their addresses,
 * read with gethostname() and getifaddrs(), for announce() to decide on
 * which interface a binding is reachable and which addresses an alias
 * may point at.  Container bridges are flagged so that their addresses,
 * unreachable from the LAN, are never announced.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostfacts.h"

static bool
hostfacts_is_bridge(const char *name)
{
	static const char *const prefixes[] = {
	    "docker",
	    "br-",
	    "cni-podman",
	    "podman",
	    "veth",
	    "virbr",
	};
	size_t i;

	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	}
	return false;
}

static struct host_iface *
hostfacts_iface(struct host_facts *hf, const char *name)
{
	struct host_iface *ifs;
	size_t i;

	for (i = 0; i < hf->nifaces; i++) {
		if (strcmp(hf->ifaces[i].name, name) == 0)
			return &hf->ifaces[i];
	}
	ifs = realloc(hf->ifaces, (hf->nifaces + 1) * sizeof *ifs);
	if (ifs == NULL)
		return NULL;
	hf->ifaces = ifs;
	memset(&ifs[hf->nifaces], 0, sizeof ifs[hf->nifaces]);
	snprintf(
	    ifs[hf->nifaces].name, sizeof ifs[hf->nifaces].name, "%s", name);
	ifs[hf->nifaces].index = (int)if_nametoindex(name);
	ifs[hf->nifaces].bridge = hostfacts_is_bridge(name);
	return &ifs[hf->nifaces++];
}

static int
hostfacts_add_addr(struct host_iface *hi, const struct sockaddr *sa)
{
	struct host_addr *addrs, *ha;
	const void *raw;

	if (sa->sa_family == AF_INET)
		raw = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else
		raw =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	addrs = realloc(hi->addrs, (hi->naddrs + 1) * sizeof *addrs);
	if (addrs == NULL)
		return -ENOMEM;
	hi->addrs = addrs;
	ha = &addrs[hi->naddrs];
	memset(ha, 0, sizeof *ha);
	ha->family = sa->sa_family;
	if (inet_ntop(sa->sa_family, raw, ha->text, sizeof ha->text) == NULL)
		return -errno;
	hi->naddrs++;
	return 0;
}

int
hostfacts_read(struct host_facts *out)
{
	struct ifaddrs *list, *ifa;
	struct host_iface *hi;
	char name[256];
	int error = 0;

	memset(out, 0, sizeof *out);
	if (gethostname(name, sizeof name) != 0)
		snprintf(name, sizeof name, "localhost");
	name[sizeof name - 1] = '\0';
	name[strcspn(name, ".")] = '\0';
	if ((out->hostname = strdup(name)) == NULL)
		return -ENOMEM;

	if (getifaddrs(&list) != 0) {
		error = -errno;
		hostfacts_clear(out);
		return error;
	}
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_name == NULL)
			continue;
		if ((hi = hostfacts_iface(out, ifa->ifa_name)) == NULL) {
			error = -ENOMEM;
			break;
		}
		if (ifa->ifa_flags & IFF_LOOPBACK)
			hi->loopback = true;
		if (ifa->ifa_addr == NULL ||
		    (ifa->ifa_addr->sa_family != AF_INET &&
			ifa->ifa_addr->sa_family != AF_INET6))
			continue;
		if ((error = hostfacts_add_addr(hi, ifa->ifa_addr)) != 0)
			break;
	}
	freeifaddrs(list);
	if (error != 0)
		hostfacts_clear(out);
	return error;
}

void
hostfacts_clear(struct host_facts *hf)
{
	size_t i;

	for (i = 0; i < hf->nifaces; i++)
		free(hf->ifaces[i].addrs);
	free(hf->ifaces);
	free((char *)hf->hostname);
	memset(hf, 0, sizeof *hf);
}
