/*
 * probe_publish: publishes records given on the command line through
 * discovery/publisher.c (and so evpoll.c) on a real avahi-daemon, until
 * SIGTERM or SIGINT, then withdraws them and exits 0.  For
 * test_publisher.sh.
 *
 *   probe_publish [--key K] [--what W] [--copies N]
 *       NAME TYPE PORT [--txt K=V]... [--sub SUBTYPE]... [--host H]
 *       [--service NAME TYPE PORT ...]... [--alias NAME --addr IP]...
 *
 * --copies N publishes N keys ("K-0" ...) whose names get " i" appended.
 * SIGHUP sets the very same records again (must change nothing on the
 * network).  SIGUSR1 toggles an extra TXT "changed=1" on the first
 * service (a change to republish).  SIGUSR2 removes the first key.  It prints "settled" on stdout each time every key is
 * established, and logs (debug) on stderr.
 */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "announce.h"
#include "log.h"
#include "publisher.h"

#define PROBE_MAX 64

struct probe {
	struct event_base *base;
	struct publisher *pub;
	struct announcement a;
	struct announce_service services[PROBE_MAX];
	char *txt[PROBE_MAX][PROBE_MAX];
	char *subs[PROBE_MAX][PROBE_MAX];
	struct announce_address addrs[PROBE_MAX];
	char *aliases[PROBE_MAX];
	const char *key;
	const char *what;
	int copies;
	bool settled;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: probe_publish [--key K] [--what W] [--copies N] NAME TYPE "
	    "PORT [--txt K=V]... [--sub SUB]... [--host H] [--service NAME "
	    "TYPE PORT ...]... [--alias NAME --addr IP]...\n");
	exit(2);
}

static void
probe_service(struct probe *pr, char **argv, int *i, int argc)
{
	struct announce_service *s;
	char *end;
	long port;

	if (*i + 2 >= argc || pr->a.nservices == PROBE_MAX)
		usage();
	s = &pr->services[pr->a.nservices];
	s->name = argv[(*i)++];
	s->type = argv[(*i)++];
	port = strtol(argv[*i], &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		usage();
	s->port = (uint16_t)port;
	s->ifindex = ANNOUNCE_IF_ANY;
	s->txt = pr->txt[pr->a.nservices];
	s->subtypes = pr->subs[pr->a.nservices];
	pr->a.nservices++;
}

static void
probe_parse(struct probe *pr, int argc, char **argv)
{
	struct announce_service *s = NULL;
	struct announce_address *d;
	int i;

	pr->key = "probe";
	pr->what = "probe: container 0123456789ab (probe)";
	pr->copies = 0;
	pr->a.enabled = true;
	pr->a.services = pr->services;
	pr->a.addresses = pr->addrs;
	pr->a.aliases = pr->aliases;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			pr->key = argv[++i];
		else if (strcmp(argv[i], "--what") == 0 && i + 1 < argc)
			pr->what = argv[++i];
		else if (strcmp(argv[i], "--copies") == 0 && i + 1 < argc)
			pr->copies = atoi(argv[++i]);
		else if (strcmp(argv[i], "--txt") == 0 && i + 1 < argc &&
		    s != NULL && s->ntxt < PROBE_MAX)
			s->txt[s->ntxt++] = argv[++i];
		else if (strcmp(argv[i], "--sub") == 0 && i + 1 < argc &&
		    s != NULL && s->nsubtypes < PROBE_MAX)
			s->subtypes[s->nsubtypes++] = argv[++i];
		else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc &&
		    s != NULL)
			s->host = argv[++i];
		else if (strcmp(argv[i], "--alias") == 0 && i + 1 < argc &&
		    pr->a.naddresses < PROBE_MAX) {
			d = &pr->addrs[pr->a.naddresses++];
			d->name = argv[++i];
			d->ifindex = ANNOUNCE_IF_ANY;
			pr->aliases[pr->a.naliases++] = d->name;
		} else if (strcmp(argv[i], "--addr") == 0 && i + 1 < argc &&
		    pr->a.naddresses > 0) {
			d = &pr->addrs[pr->a.naddresses - 1];
			d->addr = argv[++i];
			d->family = strchr(d->addr, ':') ? AF_INET6 : AF_INET;
		} else if (strcmp(argv[i], "--service") == 0) {
			i++;
			probe_service(pr, argv, &i, argc);
			s = &pr->services[pr->a.nservices - 1];
		} else if (argv[i][0] != '-' && s == NULL) {
			probe_service(pr, argv, &i, argc);
			s = &pr->services[pr->a.nservices - 1];
		} else
			usage();
	}
	for (i = 0; i < (int)pr->a.naddresses; i++)
		if (pr->addrs[i].addr == NULL)
			usage();
	if (pr->a.nservices == 0 && pr->a.naddresses == 0)
		usage();
}

/* Sets the records (all copies); the same call again changes nothing. */
static void
probe_set(struct probe *pr)
{
	struct announcement c;
	struct announce_service sv[PROBE_MAX];
	char key[256], what[256], names[PROBE_MAX][128];
	size_t j;
	int i;

	if (pr->copies <= 0) {
		if (publisher_set(pr->pub, pr->key, pr->what, &pr->a) < 0)
			fatalx("publisher_set: out of memory");
		return;
	}
	for (i = 0; i < pr->copies; i++) {
		c = pr->a;
		memcpy(sv, pr->services, sizeof(sv));
		for (j = 0; j < c.nservices; j++) {
			snprintf(names[j], sizeof(names[j]), "%s %d",
			    pr->services[j].name, i);
			sv[j].name = names[j];
		}
		c.services = sv;
		c.naddresses = 0;
		snprintf(key, sizeof(key), "%s-%d", pr->key, i);
		snprintf(what, sizeof(what), "%s #%d", pr->what, i);
		if (publisher_set(pr->pub, key, what, &c) < 0)
			fatalx("publisher_set: out of memory");
	}
}

static void
probe_signal(evutil_socket_t sig, short what, void *arg)
{
	struct probe *pr = arg;
	struct announce_service *s;
	char key[256];

	if (sig == SIGHUP) {
		log_info("probe: SIGHUP: setting the same records again");
		probe_set(pr);
		return;
	}
	if (sig == SIGUSR1 && pr->a.nservices > 0) {
		s = &pr->services[0];
		if (s->ntxt > 0 &&
		    strcmp(s->txt[s->ntxt - 1], "changed=1") == 0)
			s->ntxt--;
		else if (s->ntxt < PROBE_MAX)
			s->txt[s->ntxt++] = "changed=1";
		log_info("probe: SIGUSR1: TXT of \"%s\" changed", s->name);
		probe_set(pr);
		return;
	}
	if (sig == SIGUSR2) {
		if (pr->copies > 0)
			snprintf(key, sizeof(key), "%s-0", pr->key);
		else
			snprintf(key, sizeof(key), "%s", pr->key);
		log_info("probe: SIGUSR2: removing %s", key);
		publisher_remove(pr->pub, key);
		return;
	}
	log_info("probe: signal %d: withdrawing everything", (int)sig);
	event_base_loopbreak(pr->base);
}

static void
probe_tick(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;
	bool settled = publisher_settled(pr->pub);

	if (settled && !pr->settled) {
		printf("settled %zu\n", publisher_count(pr->pub));
		fflush(stdout);
	}
	pr->settled = settled;
}

int
main(int argc, char **argv)
{
	static struct probe pr;
	struct event *sigs[5], *tick;
	struct timeval tv = {0, 100000};
	int signos[5] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}, i;

	log_init(LOG_LEVEL_DEBUG);
	probe_parse(&pr, argc, argv);
	if ((pr.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	for (i = 0; i < 5; i++) {
		sigs[i] = evsignal_new(pr.base, signos[i], probe_signal, &pr);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) < 0)
			fatalx("evsignal_new failed");
	}
	if ((pr.pub = publisher_new(pr.base)) == NULL)
		fatalx("publisher_new failed");
	probe_set(&pr);
	tick = event_new(pr.base, -1, EV_PERSIST, probe_tick, &pr);
	event_add(tick, &tv);

	event_base_dispatch(pr.base);

	publisher_free(pr.pub);
	event_free(tick);
	for (i = 0; i < 5; i++)
		event_free(sigs[i]);
	event_base_free(pr.base);
	log_info("probe: done");
	return 0;
}
