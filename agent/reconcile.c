/*
 * reconcile: the agent's table of containers.  Each entry holds the
 * latest instance an engine reported, the announcement computed from it,
 * and whether that announcement was handed to the sink.  The sink sees
 * only differences, so an event that changes nothing causes no churn on
 * the network.  Entries are found by (source, id): source is the engine
 * connection, id the container.
 *
 * The members of a Podman pod (same source and pod id) are published
 * together: each keeps its own announcement, and the sink gets their
 * merge (pod_merge) under the pod's key, so a pod is announced once and
 * stays announced while any labelled member runs.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "instance.h"
#include "log.h"
#include "pod.h"
#include "reconcile.h"

#ifndef TAILQ_FOREACH_SAFE /* BSD has it, glibc does not */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                             \
	for ((var) = TAILQ_FIRST(head);                                        \
	     (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);            \
	     (var) = (tvar))
#endif

/* A Podman pod with members in the table: what the sink has for it. */
struct reconcile_pod {
	char *source;
	char *id; /* the pod's id */
	char *key; /* for the sink: "source#pod:id" */
	char *what; /* "podman: pod 3f2a9c1b7e44 (shop)" */
	bool named; /* what has the pod's name, not "?" */
	struct announcement *ann; /* the members' merge, NULL until made */
	bool handed; /* ann is what the sink has */
	size_t nmembers;
	TAILQ_ENTRY(reconcile_pod) entry;
};
TAILQ_HEAD(reconcile_pods, reconcile_pod);

struct reconcile_entry {
	char *source;
	char *id;
	char *key; /* for the sink: "source#id" */
	char *what; /* "docker: container 3f2a9c1b7e44 (web)" */
	struct instance *inst;
	struct announcement *ann; /* NULL until computed */
	bool handed; /* ann is what the sink has under key */
	bool marked; /* not reported since sweep_begin */
	struct reconcile_pod *pod; /* published through its pod, or NULL */
	TAILQ_ENTRY(reconcile_entry) entry;
};
TAILQ_HEAD(reconcile_entries, reconcile_entry);

struct reconcile {
	struct reconcile_sink sink;
	const struct host_facts *host;
	struct reconcile_entries entries;
	struct reconcile_pods pods;
	size_t count;
};

struct reconcile *
reconcile_new(const struct reconcile_sink *sink, const struct host_facts *host)
{
	struct reconcile *r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->sink = *sink;
	r->host = host;
	TAILQ_INIT(&r->entries);
	TAILQ_INIT(&r->pods);
	return r;
}

static struct reconcile_entry *
reconcile_find(struct reconcile *r, const char *source, const char *id)
{
	struct reconcile_entry *re;

	TAILQ_FOREACH(re, &r->entries, entry)
	{
		if (strcmp(re->id, id) == 0 && strcmp(re->source, source) == 0)
			return re;
	}
	return NULL;
}

static void
reconcile_entry_free(struct reconcile_entry *re)
{
	if (re == NULL)
		return;
	instance_free(re->inst);
	announcement_free(re->ann);
	free(re->source);
	free(re->id);
	free(re->key);
	free(re->what);
	free(re);
}

static bool
reconcile_has_records(const struct announcement *a)
{
	return a != NULL && (a->nservices > 0 || a->naddresses > 0);
}

static void
reconcile_withdraw(struct reconcile *r, struct reconcile_entry *re)
{
	if (re->handed) {
		r->sink.remove(r->sink.arg, re->key);
		re->handed = false;
	}
}

static bool
reconcile_same_skips(const struct announcement *a, const struct announcement *b)
{
	size_t i;

	if (a == NULL || b == NULL || a->nskips != b->nskips)
		return false;
	for (i = 0; i < a->nskips; i++) {
		if (strcmp(a->skips[i].item, b->skips[i].item) != 0 ||
		    strcmp(a->skips[i].reason, b->skips[i].reason) != 0)
			return false;
	}
	return true;
}

/*
 * Each skip is logged once per change, not per event: a container whose
 * label is wrong says so when it appears and when its skips change.
 * Skips of the whole container (not running, paused, unhealthy) are the
 * normal life of a container and go to debug.  A container that did not
 * opt in still has its unreadable opt-in labels reported.
 */
static void
reconcile_log_skips(const char *what, const struct announcement *prev,
    const struct announcement *next)
{
	const struct announce_skip *s;
	size_t i;

	if (reconcile_same_skips(prev, next))
		return;
	for (i = 0; i < next->nskips; i++) {
		s = &next->skips[i];
		/*
		 * A container that did not opt in is none of our business,
		 * except for a label that tried to opt it in or out and
		 * could not be read (portlight.enable=maybe).
		 */
		if (strcmp(s->item, "container") == 0) {
			if (next->enabled)
				log_debug("%s: %s", what, s->reason);
		} else
			log_warnx(
			    "%s: %s: %s, skipping", what, s->item, s->reason);
	}
}

static void
reconcile_log_change(const char *what, const struct announcement *a)
{
	const struct announce_service *svc;
	size_t i;

	if (!reconcile_has_records(a)) {
		log_info("%s: withdrawing its records", what);
		return;
	}
	for (i = 0; i < a->nservices; i++) {
		svc = &a->services[i];
		log_info("%s: announcing \"%s\" %s port %u", what, svc->name,
		    svc->type, (unsigned)svc->port);
	}
	for (i = 0; i < a->naliases; i++)
		log_info(
		    "%s: announcing host name %s.local", what, a->aliases[i]);
}

/*
 * Hands the sink next (taken) under key if it differs from *cur, what
 * the sink had when *handed; next becomes *cur.
 */
static void
reconcile_hand(struct reconcile *r, const char *key, const char *what,
    bool *handed, struct announcement **cur, struct announcement *next)
{
	bool had, has;
	int error;

	had = *handed && reconcile_has_records(*cur);
	has = reconcile_has_records(next);
	if (had && has && announcement_equal(*cur, next)) {
		/* Same records; its skips may be new. */
		announcement_free(*cur);
		*cur = next;
		return;
	}
	if (had || has)
		reconcile_log_change(what, next);
	if (has) {
		if ((error = r->sink.set(r->sink.arg, key, what, next)) != 0) {
			log_warnx(
			    "%s: cannot publish: %s", what, strerror(-error));
			*handed = false;
		} else
			*handed = true;
	} else if (*handed) {
		r->sink.remove(r->sink.arg, key);
		*handed = false;
	}
	announcement_free(*cur);
	*cur = next;
}

/* -- Pods -------------------------------------------------------------- */

static struct reconcile_pod *
reconcile_pod_find(struct reconcile *r, const char *source, const char *id)
{
	struct reconcile_pod *p;

	TAILQ_FOREACH(p, &r->pods, entry)
	{
		if (strcmp(p->id, id) == 0 && strcmp(p->source, source) == 0)
			return p;
	}
	return NULL;
}

static void
reconcile_pod_free(struct reconcile_pod *p)
{
	if (p == NULL)
		return;
	announcement_free(p->ann);
	free(p->source);
	free(p->id);
	free(p->key);
	free(p->what);
	free(p);
}

/*
 * The pod is named in logs by its name once a member brought it (pods
 * are never renamed: once named, it stays so).
 */
static void
reconcile_pod_name(struct reconcile_pod *p, const struct instance *inst)
{
	char *what;

	if (p->named || (p->what != NULL && inst->pod_name == NULL))
		return;
	if (asprintf(&what, "%s: pod %.12s (%s)",
		inst->engine != NULL ? inst->engine : "engine", p->id,
		inst->pod_name != NULL ? inst->pod_name : "?") < 0)
		return;
	free(p->what);
	p->what = what;
	p->named = inst->pod_name != NULL;
}

static struct reconcile_pod *
reconcile_pod_get(
    struct reconcile *r, const char *source, const struct instance *inst)
{
	struct reconcile_pod *p;

	if ((p = reconcile_pod_find(r, source, inst->pod)) != NULL) {
		reconcile_pod_name(p, inst);
		return p;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->source = strdup(source);
	p->id = strdup(inst->pod);
	if (asprintf(&p->key, "%s#pod:%s", source, inst->pod) < 0)
		p->key = NULL;
	reconcile_pod_name(p, inst);
	if (p->source == NULL || p->id == NULL || p->key == NULL ||
	    p->what == NULL) {
		reconcile_pod_free(p);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&r->pods, p, entry);
	return p;
}

/* Merges the members' records and hands the sink what changed. */
static void
reconcile_pod_apply(struct reconcile *r, struct reconcile_pod *p)
{
	const struct announcement **v;
	struct announcement *next;
	struct reconcile_entry *re;
	size_t n = 0;
	int error;

	if ((v = calloc(p->nmembers + 1, sizeof *v)) == NULL) {
		log_warnx(
		    "%s: out of memory, keeping the previous records", p->what);
		return;
	}
	TAILQ_FOREACH(re, &r->entries, entry)
	{
		if (re->pod == p && n < p->nmembers)
			v[n++] = re->ann;
	}
	error = pod_merge(v, n, &next);
	free(v);
	if (error != 0) {
		log_warnx("%s: cannot merge its members' records: %s, "
			  "keeping the previous ones",
		    p->what, strerror(-error));
		return;
	}
	reconcile_log_skips(p->what, p->ann, next);
	reconcile_hand(r, p->key, p->what, &p->handed, &p->ann, next);
}

/*
 * Takes re out of its pod.  merge: republish what the others offer (not
 * when they all go too).  The last member out withdraws the pod.
 */
static void
reconcile_pod_leave(struct reconcile *r, struct reconcile_entry *re, bool merge)
{
	struct reconcile_pod *p = re->pod;

	if (p == NULL)
		return;
	re->pod = NULL;
	if (--p->nmembers == 0) {
		if (p->handed) {
			log_info("%s: withdrawing its records", p->what);
			r->sink.remove(r->sink.arg, p->key);
		}
		TAILQ_REMOVE(&r->pods, p, entry);
		reconcile_pod_free(p);
		return;
	}
	if (!merge)
		return;
	reconcile_pod_apply(r, p);
	if (p->handed && reconcile_has_records(re->ann))
		log_info("%s: container %s (%s) left it, still announced for "
			 "its other members",
		    p->what, re->inst != NULL ? re->inst->short_id : re->id,
		    re->inst != NULL && re->inst->name != NULL ? re->inst->name
							       : "?");
}

/* Puts re into the pod its instance names (or none). */
static void
reconcile_pod_join(struct reconcile *r, struct reconcile_entry *re)
{
	const char *pod = re->inst->pod;

	if (re->pod != NULL && (pod == NULL || strcmp(re->pod->id, pod) != 0))
		reconcile_pod_leave(r, re, true);
	if (pod == NULL)
		return;
	if (re->pod != NULL) {
		reconcile_pod_name(re->pod, re->inst);
		return;
	}
	if ((re->pod = reconcile_pod_get(r, re->source, re->inst)) == NULL) {
		log_warnx("%s: out of memory, announcing it apart from its pod",
		    re->what);
		return;
	}
	re->pod->nmembers++;
}

/* -- Containers -------------------------------------------------------- */

static void
reconcile_remove(struct reconcile *r, struct reconcile_entry *re, bool merge)
{
	reconcile_withdraw(r, re);
	TAILQ_REMOVE(&r->entries, re, entry);
	r->count--;
	reconcile_pod_leave(r, re, merge);
	reconcile_entry_free(re);
}

/*
 * Computes re's announcement and hands the sink what changed: its own,
 * or its pod's (merge: now; else the caller merges the pod later).
 */
static void
reconcile_apply(struct reconcile *r, struct reconcile_entry *re, bool merge)
{
	struct announcement *next;
	int error;

	if ((error = announce_instance(re->inst, r->host, &next)) != 0) {
		log_warnx("%s: cannot compute its records: %s, keeping the "
			  "previous ones",
		    re->what, strerror(-error));
		return;
	}
	reconcile_log_skips(re->what, re->ann, next);
	reconcile_pod_join(r, re);
	if (re->pod == NULL) {
		reconcile_hand(
		    r, re->key, re->what, &re->handed, &re->ann, next);
		return;
	}
	/*
	 * Published alone while it was apart from its pod (its libpod
	 * inspect had failed, or out of memory): the pod has it now.
	 */
	reconcile_withdraw(r, re);
	announcement_free(re->ann);
	re->ann = next;
	if (merge)
		reconcile_pod_apply(r, re->pod);
}

static char *
reconcile_what(const struct instance *inst)
{
	char *what;

	if (asprintf(&what, "%s: container %s (%s)",
		inst->engine != NULL ? inst->engine : "engine", inst->short_id,
		inst->name != NULL ? inst->name : "?") < 0)
		return NULL;
	return what;
}

static struct reconcile_entry *
reconcile_entry_new(const char *source, const char *id)
{
	struct reconcile_entry *re;

	if ((re = calloc(1, sizeof *re)) == NULL)
		return NULL;
	re->source = strdup(source);
	re->id = strdup(id);
	if (asprintf(&re->key, "%s#%s", source, id) < 0)
		re->key = NULL;
	if (re->source == NULL || re->id == NULL || re->key == NULL) {
		reconcile_entry_free(re);
		return NULL;
	}
	return re;
}

void
reconcile_container(
    struct reconcile *r, const char *source, struct instance *inst)
{
	struct reconcile_entry *re;
	char *what;

	if ((re = reconcile_find(r, source, inst->id)) == NULL) {
		if ((re = reconcile_entry_new(source, inst->id)) == NULL) {
			log_warnx("%s: container %s: out of memory, skipping",
			    source, inst->short_id);
			instance_free(inst);
			return;
		}
		TAILQ_INSERT_TAIL(&r->entries, re, entry);
		r->count++;
	}
	/* A rename changes how the container is named in logs. */
	if ((what = reconcile_what(inst)) != NULL) {
		free(re->what);
		re->what = what;
	}
	instance_free(re->inst);
	re->inst = inst;
	re->marked = false;
	reconcile_apply(r, re, true);
}

void
reconcile_gone(struct reconcile *r, const char *source, const char *id)
{
	struct reconcile_entry *re;

	if ((re = reconcile_find(r, source, id)) == NULL)
		return;
	if (re->handed)
		log_info("%s: withdrawing its records", re->what);
	reconcile_remove(r, re, true);
}

void
reconcile_sweep_begin(struct reconcile *r, const char *source)
{
	struct reconcile_entry *re;

	TAILQ_FOREACH(re, &r->entries, entry)
	{
		if (strcmp(re->source, source) == 0)
			re->marked = true;
	}
}

void
reconcile_sweep_end(struct reconcile *r, const char *source)
{
	struct reconcile_entry *re, *next;

	TAILQ_FOREACH_SAFE(re, &r->entries, entry, next)
	{
		if (!re->marked || strcmp(re->source, source) != 0)
			continue;
		if (re->handed)
			log_info("%s: no longer running, withdrawing its "
				 "records",
			    re->what);
		reconcile_remove(r, re, true);
	}
}

void
reconcile_drop_source(struct reconcile *r, const char *source)
{
	struct reconcile_entry *re, *next;

	/* Each pod goes at once with its last member, not one by one. */
	TAILQ_FOREACH_SAFE(re, &r->entries, entry, next)
	{
		if (strcmp(re->source, source) == 0)
			reconcile_remove(r, re, false);
	}
}

void
reconcile_refresh(struct reconcile *r)
{
	struct reconcile_entry *re;
	struct reconcile_pod *p;

	TAILQ_FOREACH(re, &r->entries, entry)
	reconcile_apply(r, re, false);
	TAILQ_FOREACH(p, &r->pods, entry)
	reconcile_pod_apply(r, p);
}

size_t
reconcile_count(const struct reconcile *r)
{
	return r->count;
}

void
reconcile_free(struct reconcile *r)
{
	struct reconcile_entry *re;
	struct reconcile_pod *p;

	if (r == NULL)
		return;
	while ((re = TAILQ_FIRST(&r->entries)) != NULL) {
		TAILQ_REMOVE(&r->entries, re, entry);
		reconcile_entry_free(re);
	}
	while ((p = TAILQ_FIRST(&r->pods)) != NULL) {
		TAILQ_REMOVE(&r->pods, p, entry);
		reconcile_pod_free(p);
	}
	free(r);
}
