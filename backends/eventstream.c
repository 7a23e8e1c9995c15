/*
 * eventstream: cuts an engine's /events stream into lines and each line
 * into a struct engine_event.  libcurl hands the bytes over in arbitrary
 * slices, so a partial line is kept in a buffer; the buffer has a cap
 * because the stream comes from outside (a line over the cap is skipped
 * whole, and the stream goes on at the next newline).  Pure: no I/O.
 *
 * Docker 20.10+ and Podman's compat API send one JSON object per line:
 * Docker puts a health result in the action ("health_status: healthy"),
 * Podman in a top-level "HealthStatus".  Network events name the container
 * in Actor.Attributes.container (Docker) or in Actor.ID itself (Podman).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "eventstream.h"
#include "jsonget.h"

/* The line buffer starts small and doubles up to the cap. */
#define EVENTSTREAM_INITIAL 4096

struct eventstream {
	size_t cap;
	char *buf;
	size_t len;
	size_t size;
	bool skipping; /* in a line over the cap */
	struct json_tokener *tok;
	eventstream_event_cb event_cb;
	eventstream_error_cb error_cb;
	void *arg;
};

struct eventstream *
eventstream_new(size_t cap, eventstream_event_cb event_cb,
    eventstream_error_cb error_cb, void *arg)
{
	struct eventstream *es;

	if (cap == 0 || cap > INT_MAX)
		return NULL;
	if ((es = calloc(1, sizeof *es)) == NULL)
		return NULL;
	if ((es->tok = json_tokener_new()) == NULL) {
		free(es);
		return NULL;
	}
	es->cap = cap;
	es->event_cb = event_cb;
	es->error_cb = error_cb;
	es->arg = arg;
	return es;
}

void
eventstream_free(struct eventstream *es)
{
	if (es == NULL)
		return;
	json_tokener_free(es->tok);
	free(es->buf);
	free(es);
}

void
eventstream_reset(struct eventstream *es)
{
	es->len = 0;
	es->skipping = false;
}

static void
eventstream_error(struct eventstream *es, const char *reason)
{
	if (es->error_cb != NULL)
		es->error_cb(reason, es->arg);
}

static int
eventstream_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum eventstream_effect
eventstream_effect(const struct engine_event *ev)
{
	const char *a = ev->action;

	if (ev->type == NULL || a == NULL)
		return EVENTSTREAM_NONE;
	if (strcmp(ev->type, "network") == 0)
		return strcmp(a, "connect") == 0 || strcmp(a, "disconnect") == 0
		    ? EVENTSTREAM_INSPECT
		    : EVENTSTREAM_NONE;
	if (strcmp(ev->type, "container") != 0)
		return EVENTSTREAM_NONE;
	/*
	 * A health result is never acted on as it stands: the container may
	 * say portlight.health=ignore, and Podman's event carries the status
	 * from before its check (and one event per check).  The inspect
	 * tells; announce decides.
	 */
	if (strcmp(a, "start") == 0 || strcmp(a, "unpause") == 0 ||
	    strcmp(a, "restart") == 0 || strcmp(a, "rename") == 0 ||
	    strcmp(a, "health_status") == 0)
		return EVENTSTREAM_INSPECT;
	if (strcmp(a, "die") == 0 || strcmp(a, "stop") == 0 ||
	    strcmp(a, "destroy") == 0 || strcmp(a, "remove") == 0 ||
	    strcmp(a, "pause") == 0)
		return EVENTSTREAM_GONE;
	/*
	 * kill, oom, exec_*, attach, init, cleanup, create, ...: nothing by
	 * themselves (a kill or an oom that ends the container is followed
	 * by die).
	 */
	return EVENTSTREAM_NONE;
}

/* Turns one parsed object into an event; 0, -EINVAL (not an event), -ENOMEM. */
static int
eventstream_dispatch(
    struct eventstream *es, struct json_object *root, const char **why)
{
	struct engine_event ev;
	struct json_object *actor, *attrs;
	const char *action, *colon, *health;
	char *verb;
	size_t n;

	memset(&ev, 0, sizeof ev);
	if (!json_object_is_type(root, json_type_object)) {
		*why = "not a JSON object";
		return -EINVAL;
	}
	ev.type = jsonget_string(root, "Type");
	if ((action = jsonget_string(root, "Action")) == NULL)
		action = jsonget_string(root, "status");
	actor = jsonget_member(root, "Actor");
	attrs = jsonget_member(actor, "Attributes");
	if ((ev.id = jsonget_string(actor, "ID")) == NULL)
		ev.id = jsonget_string(root, "id");
	if (ev.type == NULL || action == NULL || *action == '\0' ||
	    ev.id == NULL || *ev.id == '\0') {
		*why = "not an engine event (no Type, Action or Actor.ID)";
		return -EINVAL;
	}

	/* "health_status: healthy", "exec_start: sh -c ...": keep the verb. */
	health = NULL;
	if ((colon = strchr(action, ':')) != NULL) {
		n = (size_t)(colon - action);
		while (n > 0 && eventstream_is_space(action[n - 1]))
			n--;
		health = colon + 1;
		while (eventstream_is_space(*health))
			health++;
	} else
		n = strlen(action);
	if (n == 0) {
		*why = "not an engine event (empty action)";
		return -EINVAL;
	}
	if ((verb = strndup(action, n)) == NULL)
		return -ENOMEM;
	ev.action = verb;
	if (strcmp(verb, "health_status") == 0) {
		/* Podman: no suffix on the action, the value on its own. */
		if (health == NULL || *health == '\0')
			health = jsonget_string(root, "HealthStatus");
		ev.health = health != NULL && *health != '\0' ? health : NULL;
	}

	ev.container = ev.id;
	if (strcmp(ev.type, "network") == 0) {
		const char *c = jsonget_string(attrs, "container");

		if (c != NULL && *c != '\0')
			ev.container = c;
	}
	ev.name = jsonget_string(attrs, "name");
	ev.time = jsonget_int64(root, "time");
	ev.time_nano = jsonget_int64(root, "timeNano");
	if (ev.time == 0 && ev.time_nano != 0)
		ev.time = ev.time_nano / 1000000000;

	if (es->event_cb != NULL)
		es->event_cb(&ev, es->arg);
	free(verb);
	return 0;
}

/* One complete line, without its '\n'. */
static int
eventstream_line(struct eventstream *es, const char *line, size_t len)
{
	struct json_object *root;
	enum json_tokener_error jerr;
	const char *why = NULL;
	size_t end;
	int error;

	while (len > 0 && eventstream_is_space(line[len - 1]))
		len--;
	while (len > 0 && eventstream_is_space(*line)) {
		line++;
		len--;
	}
	if (len == 0)
		return 0; /* keep-alive or CRLF residue */

	/*
	 * Every event is an object: anything else is refused before parsing
	 * (json-c would also wait for more digits after a bare number).
	 */
	if (*line != '{') {
		eventstream_error(es, "line is not a JSON object");
		return 0;
	}
	json_tokener_reset(es->tok);
	root = json_tokener_parse_ex(es->tok, line, (int)len);
	jerr = json_tokener_get_error(es->tok);
	if (root == NULL || jerr != json_tokener_success) {
		json_object_put(root);
		eventstream_error(es,
		    jerr == json_tokener_continue ? "line is truncated JSON"
						  : "line is not JSON");
		return 0;
	}
	end = json_tokener_get_parse_end(es->tok);
	if (end < len) {
		json_object_put(root);
		eventstream_error(es, "data after the JSON object on a line");
		return 0;
	}
	error = eventstream_dispatch(es, root, &why);
	json_object_put(root);
	if (error == -EINVAL) {
		eventstream_error(es, why);
		return 0;
	}
	return error;
}

/* Appends to the partial line; the cap has been checked by the caller. */
static int
eventstream_append(struct eventstream *es, const char *buf, size_t len)
{
	size_t size;
	char *p;

	if (es->len + len > es->size) {
		size = es->size != 0 ? es->size : EVENTSTREAM_INITIAL;
		while (size < es->len + len)
			size *= 2;
		if (size > es->cap)
			size = es->cap;
		if ((p = realloc(es->buf, size)) == NULL)
			return -ENOMEM;
		es->buf = p;
		es->size = size;
	}
	memcpy(es->buf + es->len, buf, len);
	es->len += len;
	return 0;
}

int
eventstream_feed(struct eventstream *es, const char *buf, size_t len)
{
	const char *nl;
	size_t n;
	int error;

	while (len > 0) {
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) : len;

		if (es->skipping) {
			/* The rest of a line over the cap: drop it. */
		} else if (es->len + n > es->cap) {
			es->skipping = true;
			es->len = 0;
			eventstream_error(
			    es, "line longer than the cap, skipped");
		} else if (nl != NULL && es->len == 0) {
			/* A whole line in this slice: no copy. */
			if ((error = eventstream_line(es, buf, n)) != 0)
				return error;
		} else {
			if ((error = eventstream_append(es, buf, n)) != 0) {
				es->len = 0;
				es->skipping = nl == NULL;
				return error;
			}
			if (nl != NULL) {
				error = eventstream_line(es, es->buf, es->len);
				es->len = 0;
				if (error != 0)
					return error;
			}
		}
		if (nl == NULL)
			break;
		es->skipping = false;
		buf = nl + 1;
		len -= n + 1;
	}
	return 0;
}
