/*
 * engine_pods: a Podman container's pod is announced under the pod's
 * name, which the container's libpod inspect does not give: one pod
 * inspect asks for it, and it is remembered (ENGINE_PODS_MAX per engine)
 * for the pod's other members.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine.h"
#include "engine_int.h"
#include "http.h"
#include "instance.h"
#include "jsonget.h"
#include "log.h"

void
engine_pods_clear(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->npods; i++) {
		free(e->pods[i].id);
		free(e->pods[i].name);
	}
	e->npods = 0;
}

static const char *
engine_pod_name(struct engine *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->npods; i++) {
		if (strcmp(e->pods[i].id, id) == 0)
			return e->pods[i].name;
	}
	return NULL;
}

/* Pods are never renamed, so a name once known stays true. */
static void
engine_pod_remember(struct engine *e, const char *id, const char *name)
{
	char *i, *n;

	if (engine_pod_name(e, id) != NULL)
		return;
	if (e->npods == ENGINE_PODS_MAX)
		engine_pods_clear(e);
	i = strdup(id);
	n = strdup(name);
	if (i == NULL || n == NULL) {
		free(i);
		free(n);
		return;
	}
	e->pods[e->npods].id = i;
	e->pods[e->npods].name = n;
	e->npods++;
}

static void
engine_podname_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine_ctr *c = arg;
	struct engine *e = c->e;
	struct instance *inst;
	struct json_object *root;
	const char *name = NULL;
	unsigned gen;

	engine_hold(e);
	gen = e->gen;
	if ((inst = engine_take_held(e, c)) == NULL)
		goto out;
	root = result == 0 && status == 200 ? json_tokener_parse(body) : NULL;
	if ((name = jsonget_string(root, "Name")) != NULL && *name != '\0') {
		engine_pod_remember(e, inst->pod, name);
		instance_set_pod_name(inst, name);
	} else
		log_debug("%s: container %s (%s): pod %.12s: pod inspect "
			  "failed, its name is unknown",
		    engine_name(e), inst->short_id,
		    inst->name != NULL ? inst->name : "?", inst->pod);
	json_object_put(root);
	engine_deliver(e, c, inst);
out:
	engine_ctr_done(e, gen);
}

/*
 * Names inst's pod from memory, or asks the libpod API for it: then inst
 * waits in c->held and true is returned.  The pod's name, not its id, is
 * what its records are announced under.
 */
bool
engine_pod_lookup(struct engine *e, struct engine_ctr *c, struct instance *inst)
{
	const char *name;
	char path[256];

	if (inst->pod == NULL)
		return false;
	if ((name = engine_pod_name(e, inst->pod)) != NULL) {
		instance_set_pod_name(inst, name);
		return false;
	}
	if (!engine_valid_id(inst->pod))
		return false;
	snprintf(path, sizeof path, "/v%d.0.0/libpod/pods/%s/json",
	    e->libpod_major, inst->pod);
	return engine_ctr_request(e, c, path, ENGINE_SMALL_CAP,
		   engine_podname_done, inst) == 0;
}
