/*
 * reconcile: the table of containers the engines reported, the records
 * each should have (announce), and what was handed to the sink (the
 * publisher).  It hands over only differences, logs each container's
 * skips once per change, and sweeps containers that a resync did not
 * report again.  Its output goes through a sink of function pointers, so
 * the table logic is tested without Avahi.
 */
#ifndef RECONCILE_H
#define RECONCILE_H

#include <stddef.h>

struct announcement;
struct host_facts;
struct instance;
struct reconcile;

struct reconcile_sink {
	int (*set)(void *arg, const char *key, const char *what,
	    const struct announcement *a);
	void (*remove)(void *arg, const char *key);
	void *arg;
};

/* host is borrowed and may be updated between calls (reconcile_refresh). */
struct reconcile *reconcile_new(
    const struct reconcile_sink *sink, const struct host_facts *host);
/*
 * A container's current state from an engine.  source names the engine
 * connection (its socket path); takes inst.
 */
void reconcile_container(
    struct reconcile *r, const char *source, struct instance *inst);
void reconcile_gone(struct reconcile *r, const char *source, const char *id);
/* Marks every container of source; sweep_end drops those not reported since. */
void reconcile_sweep_begin(struct reconcile *r, const char *source);
void reconcile_sweep_end(struct reconcile *r, const char *source);
/* Withdraws and forgets every container of source (engine gone for good). */
void reconcile_drop_source(struct reconcile *r, const char *source);
/* Recomputes every announcement (host facts changed). */
void reconcile_refresh(struct reconcile *r);
size_t reconcile_count(const struct reconcile *r);
void reconcile_free(struct reconcile *r);

#endif
