/*
 * list: "portlight list".  Connects to the engines as the daemon does,
 * waits until each has listed and inspected its running containers (or
 * failed), then prints what announce() makes of each container: the
 * services, the host names, and every skip with its reason.  It changes
 * nothing on the network: no Avahi client is made.
 */
#include <sys/queue.h>

#include <net/if.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "announce.h"
#include "engine.h"
#include "engines.h"
#include "hostfacts.h"
#include "http.h"
#include "instance.h"
#include "list.h"
#include "log.h"
#include "options.h"

/* The longest list waits for slow engines before it prints what it has. */
#define LIST_TIMEOUT_SEC 20

struct list_item {
	struct engine *engine;
	struct instance *inst;
	TAILQ_ENTRY(list_item) entry;
};
TAILQ_HEAD(list_items, list_item);

struct list {
	struct event_base *base;
	struct engines *engines;
	struct list_items items;
	struct event *timeout;
};

static void
list_check_done(struct list *l)
{
	if (l->engines != NULL && engines_settled(l->engines))
		event_base_loopbreak(l->base);
}

static void
list_remove(struct list *l, struct engine *e, const char *id)
{
	struct list_item *it;

	TAILQ_FOREACH(it, &l->items, entry)
	{
		if (it->engine == e && strcmp(it->inst->id, id) == 0) {
			TAILQ_REMOVE(&l->items, it, entry);
			instance_free(it->inst);
			free(it);
			return;
		}
	}
}

static void
list_container(struct engine *e, struct instance *inst, void *arg)
{
	struct list *l = arg;
	struct list_item *it;

	list_remove(l, e, inst->id);
	if ((it = calloc(1, sizeof *it)) == NULL) {
		instance_free(inst);
		return;
	}
	it->engine = e;
	it->inst = inst;
	TAILQ_INSERT_TAIL(&l->items, it, entry);
}

static void
list_gone(struct engine *e, const char *id, void *arg)
{
	list_remove(arg, e, id);
}

static void
list_sync(struct engine *e, enum engine_sync phase, void *arg)
{
}

static void
list_state(struct engine *e, enum engine_state state, void *arg)
{
	list_check_done(arg);
}

static void
list_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct list *l = arg;

	log_warnx("not every engine answered within %d s; listing what did",
	    LIST_TIMEOUT_SEC);
	event_base_loopbreak(l->base);
}

static const char *
list_ifname(int ifindex, char *buf)
{
	if (ifindex == ANNOUNCE_IF_ANY)
		return NULL;
	if (if_indextoname((unsigned)ifindex, buf) == NULL)
		snprintf(buf, IF_NAMESIZE, "%d", ifindex);
	return buf;
}

static json_object *
list_strings(char **v, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* Why a container with no skip at all is not announced. */
static const char *
list_not_in(bool all)
{
	return all ? "not opted in: no portlight label, and no published "
		     "port for --all"
		   : "not opted in: no portlight label (or run with --all)";
}

static json_object *
list_json_container(const struct instance *inst, const char *socket,
    const struct announcement *a, bool all)
{
	json_object *c, *services, *svc, *txt, *skipped, *skip;
	const struct announce_service *s;
	char ifbuf[IF_NAMESIZE], *eq;
	const char *ifname;
	size_t i, j;

	c = json_object_new_object();
	json_object_object_add(c, "engine",
	    json_object_new_string(
		inst->engine != NULL ? inst->engine : "engine"));
	json_object_object_add(c, "id", json_object_new_string(inst->id));
	json_object_object_add(c, "name",
	    json_object_new_string(inst->name != NULL ? inst->name : ""));
	json_object_object_add(c, "socket", json_object_new_string(socket));
	/* A pod's members share its records: the network has them once. */
	json_object_object_add(c, "pod",
	    inst->pod == NULL
		? NULL
		: json_object_new_string(
		      inst->pod_name != NULL ? inst->pod_name : inst->pod));
	json_object_object_add(c, "announced",
	    json_object_new_boolean(a->nservices > 0 || a->naddresses > 0));
	services = json_object_new_array();
	for (i = 0; i < a->nservices; i++) {
		s = &a->services[i];
		svc = json_object_new_object();
		json_object_object_add(
		    svc, "name", json_object_new_string(s->name));
		json_object_object_add(
		    svc, "type", json_object_new_string(s->type));
		json_object_object_add(
		    svc, "port", json_object_new_int(s->port));
		txt = json_object_new_object();
		for (j = 0; j < s->ntxt; j++) {
			eq = strchr(s->txt[j], '=');
			if (eq == NULL)
				json_object_object_add(txt, s->txt[j], NULL);
			else {
				*eq = '\0';
				json_object_object_add(txt, s->txt[j],
				    json_object_new_string(eq + 1));
				*eq = '=';
			}
		}
		json_object_object_add(svc, "txt", txt);
		json_object_object_add(
		    svc, "subtypes", list_strings(s->subtypes, s->nsubtypes));
		ifname = list_ifname(s->ifindex, ifbuf);
		json_object_object_add(svc, "interface",
		    ifname == NULL ? NULL : json_object_new_string(ifname));
		json_object_object_add(svc, "host",
		    s->host == NULL ? NULL : json_object_new_string(s->host));
		json_object_array_add(services, svc);
	}
	json_object_object_add(c, "services", services);
	json_object_object_add(
	    c, "aliases", list_strings(a->aliases, a->naliases));
	skipped = json_object_new_array();
	for (i = 0; i < a->nskips; i++) {
		skip = json_object_new_object();
		json_object_object_add(
		    skip, "item", json_object_new_string(a->skips[i].item));
		json_object_object_add(
		    skip, "reason", json_object_new_string(a->skips[i].reason));
		json_object_array_add(skipped, skip);
	}
	if (!a->enabled && a->nskips == 0) {
		skip = json_object_new_object();
		json_object_object_add(
		    skip, "item", json_object_new_string("container"));
		json_object_object_add(
		    skip, "reason", json_object_new_string(list_not_in(all)));
		json_object_array_add(skipped, skip);
	}
	json_object_object_add(c, "skipped", skipped);
	return c;
}

static void
list_text_container(FILE *f, const struct instance *inst,
    const struct announcement *a, bool all)
{
	const struct announce_service *s;
	char ifbuf[IF_NAMESIZE];
	const char *ifname;
	size_t i, j;

	fprintf(f, "%s %s %s", inst->engine != NULL ? inst->engine : "engine",
	    inst->short_id, inst->name != NULL ? inst->name : "?");
	if (inst->pod_name != NULL)
		fprintf(f, " (pod %s)", inst->pod_name);
	else if (inst->pod != NULL)
		fprintf(f, " (pod %.12s)", inst->pod);
	fputc('\n', f);
	if (!a->enabled && a->nskips == 0) {
		fprintf(f, "    skipped  container: %s\n", list_not_in(all));
		return;
	}
	for (i = 0; i < a->nservices; i++) {
		s = &a->services[i];
		fprintf(f, "    service  \"%s\" %s port %u", s->name, s->type,
		    (unsigned)s->port);
		if ((ifname = list_ifname(s->ifindex, ifbuf)) != NULL)
			fprintf(f, " on %s", ifname);
		if (s->host != NULL)
			fprintf(f, " at %s", s->host);
		for (j = 0; j < s->ntxt; j++)
			fprintf(f, "%s%s", j == 0 ? "  TXT " : " ", s->txt[j]);
		for (j = 0; j < s->nsubtypes; j++)
			fprintf(f, "%s%s", j == 0 ? "  subtypes " : ",",
			    s->subtypes[j]);
		fputc('\n', f);
	}
	for (i = 0; i < a->naliases; i++)
		fprintf(f, "    alias    %s.local\n", a->aliases[i]);
	for (i = 0; i < a->nskips; i++)
		fprintf(f, "    skipped  %s: %s\n", a->skips[i].item,
		    a->skips[i].reason);
}

static int
list_item_cmp(const void *a, const void *b)
{
	const struct list_item *x = *(struct list_item *const *)a;
	const struct list_item *y = *(struct list_item *const *)b;
	int c;

	if ((c = strcmp(x->inst->engine != NULL ? x->inst->engine : "",
		 y->inst->engine != NULL ? y->inst->engine : "")) != 0)
		return c;
	if ((c = strcmp(x->inst->name != NULL ? x->inst->name : "",
		 y->inst->name != NULL ? y->inst->name : "")) != 0)
		return c;
	return strcmp(x->inst->id, y->inst->id);
}

/* The items in a stable order: by engine, then by container name. */
static struct list_item **
list_sorted(struct list *l, size_t *n)
{
	struct list_item *it, **v;
	size_t count = 0;

	TAILQ_FOREACH(it, &l->items, entry)
	count++;
	if ((v = calloc(count + 1, sizeof *v)) == NULL)
		return NULL;
	count = 0;
	TAILQ_FOREACH(it, &l->items, entry)
	v[count++] = it;
	qsort(v, count, sizeof *v, list_item_cmp);
	*n = count;
	return v;
}

static int
list_print(struct list *l, const struct options *o)
{
	struct host_facts host;
	struct list_item **items;
	struct announcement *a;
	json_object *root = NULL, *containers = NULL;
	size_t n, i;
	int error;

	if ((error = hostfacts_read(&host)) != 0) {
		log_error(
		    "cannot read this host's interfaces: %s", strerror(-error));
		return 1;
	}
	host.all = o->all;
	if ((items = list_sorted(l, &n)) == NULL) {
		hostfacts_clear(&host);
		log_error("out of memory");
		return 1;
	}
	if (o->json) {
		root = json_object_new_object();
		containers = json_object_new_array();
		json_object_object_add(root, "containers", containers);
	}
	for (i = 0; i < n; i++) {
		if (announce_instance(items[i]->inst, &host, &a) != 0) {
			log_error("out of memory");
			break;
		}
		if (o->json)
			json_object_array_add(containers,
			    list_json_container(items[i]->inst,
				engine_socket(items[i]->engine), a, o->all));
		else
			list_text_container(stdout, items[i]->inst, a, o->all);
		announcement_free(a);
	}
	free(items);
	if (o->json) {
		puts(json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	hostfacts_clear(&host);
	return 0;
}

int
list_run(const struct options *o)
{
	static const struct engine_cbs cbs = {
	    .container_cb = list_container,
	    .gone_cb = list_gone,
	    .sync_cb = list_sync,
	    .state_cb = list_state,
	};
	struct timeval tv = {LIST_TIMEOUT_SEC, 0};
	struct http *http = NULL;
	struct list l;
	struct list_item *it;
	int status = 1;

	memset(&l, 0, sizeof l);
	TAILQ_INIT(&l.items);
	if ((l.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	if ((http = http_new(l.base)) == NULL)
		fatalx("cannot set up libcurl");
	l.timeout = evtimer_new(l.base, list_timeout, &l);
	if (l.timeout == NULL)
		fatalx("out of memory");
	evtimer_add(l.timeout, &tv);
	if ((l.engines = engines_new(l.base, http, o, false, &cbs, NULL, &l)) !=
	    NULL) {
		list_check_done(&l);
		event_base_dispatch(l.base);
		if (engines_answered(l.engines) == 0)
			log_error("no engine answered");
		else
			status = list_print(&l, o);
	}
	engines_free(l.engines);
	while ((it = TAILQ_FIRST(&l.items)) != NULL) {
		TAILQ_REMOVE(&l.items, it, entry);
		instance_free(it->inst);
		free(it);
	}
	event_free(l.timeout);
	http_free(http);
	event_base_free(l.base);
	return status;
}
