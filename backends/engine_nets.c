/*
 * engine_nets: the engine's networks, listed at every sync and again when
 * an event names one we do not know.  Only their drivers are used: a
 * container on a macvlan or ipvlan network is reached at its own address.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "engine.h"
#include "engine_int.h"
#include "http.h"
#include "jsonget.h"
#include "log.h"

void
engine_nets_clear(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nnets; i++) {
		free(e->nets[i].id);
		free(e->nets[i].name);
		free(e->nets[i].driver);
	}
	free(e->nets);
	e->nets = NULL;
	e->nnets = 0;
}

const char *
engine_net_driver(struct engine *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nnets; i++) {
		if (e->nets[i].name != NULL &&
		    strcmp(e->nets[i].name, name) == 0)
			return e->nets[i].driver;
	}
	return NULL;
}

bool
engine_net_known(struct engine *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->nnets; i++) {
		if (e->nets[i].id != NULL && strcmp(e->nets[i].id, id) == 0)
			return true;
	}
	return false;
}

/* Parses /networks into e->nets.  Returns 0 or -EINVAL/-ENOMEM. */
static int
engine_nets_parse(struct engine *e, const char *body, size_t len)
{
	struct json_object *root, *o;
	struct engine_net *nets;
	const char *id, *name, *driver;
	size_t i, n, k = 0;
	int rc = 0;

	root = json_tokener_parse(body);
	if (root == NULL || !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	n = json_object_array_length(root);
	nets = calloc(n + 1, sizeof *nets);
	if (nets == NULL) {
		json_object_put(root);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(root, i);
		if (!json_object_is_type(o, json_type_object))
			continue;
		id = jsonget_string(o, "Id");
		name = jsonget_string(o, "Name");
		driver = jsonget_string(o, "Driver");
		if (name == NULL)
			continue;
		nets[k].id = id != NULL ? strdup(id) : NULL;
		nets[k].name = strdup(name);
		nets[k].driver = driver != NULL ? strdup(driver) : NULL;
		if (nets[k].name == NULL) {
			rc = -ENOMEM;
			break;
		}
		k++;
	}
	json_object_put(root);
	engine_nets_clear(e);
	e->nets = nets;
	e->nnets = k;
	return rc;
}

void
engine_nets_answer(struct engine *e, struct http_request *req, int result,
    long status, const char *body, size_t len)
{
	char reason[512];

	if (result == 0 && status == 200)
		result = engine_nets_parse(e, body, len);
	if (result != 0 || status != 200) {
		/* Only macvlan detection needs drivers: go on without. */
		engine_reason(
		    reason, sizeof reason, "networks", req, result, status);
		log_warnx("%s (%s): %s; network drivers may be unknown",
		    engine_name(e), e->socket, reason);
	}
}

static void
engine_netreq_done(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg)
{
	struct engine *e = arg;

	engine_hold(e);
	e->netreq = NULL;
	engine_nets_answer(e, req, result, status, body, len);
	engine_schedule(e);
	engine_release(e);
}

void
engine_nets_refresh(struct engine *e)
{
	char path[64];

	if (e->netreq != NULL)
		return;
	snprintf(path, sizeof path, "%s/networks", e->prefix);
	e->netreq = http_get(e->http, e->socket, path, ENGINE_LIST_CAP,
	    ENGINE_TIMEOUT_MS, engine_netreq_done, e);
}
