/*
 * reconcile: the agent's table of containers.  Each entry holds the
 * latest instance an engine reported, the announcement computed from it,
 * and whether that announcement was handed to the sink.  The sink sees
 * only differences, so an event that changes nothing causes no churn on
 * the network.  Entries are found by (source, id): source is the engine
 * connection, id the container.
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
#include "reconcile.h"

#ifndef TAILQ_FOREACH_SAFE /* BSD has it, glibc does not */
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                             \
	for ((var) = TAILQ_FIRST(head);                                        \
	     (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);            \
	     (var) = (tvar))
#endif

struct reconcile_entry {
	char *source;
	char *id;
	char *key; /* for the sink: "source#id" */
	char *what; /* "docker: container 3f2a9c1b7e44 (web)" */
	struct instance *inst;
	struct announcement *ann; /* NULL until computed */
	bool handed; /* ann is what the sink has */
	bool marked; /* not reported since sweep_begin */
	TAILQ_ENTRY(reconcile_entry) entry;
};
TAILQ_HEAD(reconcile_entries, reconcile_entry);

struct reconcile {
	struct reconcile_sink sink;
	const struct host_facts *host;
	struct reconcile_entries entries;
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

static void
reconcile_remove(struct reconcile *r, struct reconcile_entry *re)
{
	reconcile_withdraw(r, re);
	TAILQ_REMOVE(&r->entries, re, entry);
	r->count--;
	reconcile_entry_free(re);
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
reconcile_log_skips(const struct reconcile_entry *re,
    const struct announcement *prev, const struct announcement *next)
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
				log_debug("%s: %s", re->what, s->reason);
		} else
			log_warnx("%s: %s: %s, skipping", re->what, s->item,
			    s->reason);
	}
}

static void
reconcile_log_change(
    const struct reconcile_entry *re, const struct announcement *a)
{
	const struct announce_service *svc;
	size_t i;

	if (!reconcile_has_records(a)) {
		log_info("%s: withdrawing its records", re->what);
		return;
	}
	for (i = 0; i < a->nservices; i++) {
		svc = &a->services[i];
		log_info("%s: announcing \"%s\" %s port %u", re->what,
		    svc->name, svc->type, (unsigned)svc->port);
	}
	for (i = 0; i < a->naliases; i++)
		log_info("%s: announcing host name %s.local", re->what,
		    a->aliases[i]);
}

/* Computes re's announcement and hands the sink what changed. */
static void
reconcile_apply(struct reconcile *r, struct reconcile_entry *re)
{
	struct announcement *next;
	bool had, has;
	int error;

	if ((error = announce_instance(re->inst, r->host, &next)) != 0) {
		log_warnx("%s: cannot compute its records: %s, keeping the "
			  "previous ones",
		    re->what, strerror(-error));
		return;
	}
	reconcile_log_skips(re, re->ann, next);

	had = re->handed && reconcile_has_records(re->ann);
	has = reconcile_has_records(next);
	if (had && has && announcement_equal(re->ann, next)) {
		announcement_free(next);
		return;
	}
	if (had || has)
		reconcile_log_change(re, next);
	if (has) {
		if ((error = r->sink.set(
			 r->sink.arg, re->key, re->what, next)) != 0) {
			log_warnx("%s: cannot publish: %s", re->what,
			    strerror(-error));
			re->handed = false;
		} else
			re->handed = true;
	} else
		reconcile_withdraw(r, re);
	announcement_free(re->ann);
	re->ann = next;
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
	reconcile_apply(r, re);
}

void
reconcile_gone(struct reconcile *r, const char *source, const char *id)
{
	struct reconcile_entry *re;

	if ((re = reconcile_find(r, source, id)) == NULL)
		return;
	if (re->handed)
		log_info("%s: withdrawing its records", re->what);
	reconcile_remove(r, re);
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
		reconcile_remove(r, re);
	}
}

void
reconcile_drop_source(struct reconcile *r, const char *source)
{
	struct reconcile_entry *re, *next;

	TAILQ_FOREACH_SAFE(re, &r->entries, entry, next)
	{
		if (strcmp(re->source, source) == 0)
			reconcile_remove(r, re);
	}
}

void
reconcile_refresh(struct reconcile *r)
{
	struct reconcile_entry *re;

	TAILQ_FOREACH(re, &r->entries, entry)
	reconcile_apply(r, re);
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

	if (r == NULL)
		return;
	while ((re = TAILQ_FIRST(&r->entries)) != NULL) {
		TAILQ_REMOVE(&r->entries, re, entry);
		reconcile_entry_free(re);
	}
	free(r);
}
