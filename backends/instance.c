/*
 * instance: builds the normalised container (struct instance) from an
 * engine's inspect JSON.  Docker's /containers/{id}/json, Podman's compat
 * copy of it and Podman's libpod inspect (which alone carries Pod and
 * IsInfra) share the fields read here.  Pure: no I/O, no logging.
 *
 * Every value is type-checked before it is read, and every string is
 * copied before the json-c root is released.  The structure of the
 * document (Id, and Config, State, ... when present) must be right or the
 * whole object is refused; a single odd port binding, label or variable
 * is skipped so that one bad value never hides a container.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "instance.h"
#include "jsonget.h"

/*
 * An optional member that must be an object when present: returns 0 and
 * sets *out (NULL when absent or null), or -EINVAL.
 */
static int
instance_get_object(
    struct json_object *obj, const char *key, struct json_object **out)
{
	struct json_object *v = jsonget_member(obj, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Copies s (NULL stays NULL); empty strings become NULL when empty_null. */
static int
instance_strdup(char **dst, const char *s, int empty_null)
{
	*dst = NULL;
	if (s == NULL || (empty_null && *s == '\0'))
		return 0;
	if ((*dst = strdup(s)) == NULL)
		return -ENOMEM;
	return 0;
}

/* A decimal port 1-65535 with nothing else around it. */
static int
instance_parse_port(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* "80/tcp", "53/udp", "80" (tcp): the keys of Ports and ExposedPorts. */
static int
instance_parse_port_key(
    const char *key, uint16_t *port, enum instance_proto *proto)
{
	const char *slash = strchr(key, '/');
	size_t n = slash != NULL ? (size_t)(slash - key) : strlen(key);

	if (instance_parse_port(key, n, port) != 0)
		return -EINVAL;
	if (slash == NULL || strcmp(slash + 1, "tcp") == 0)
		*proto = INSTANCE_PROTO_TCP;
	else if (strcmp(slash + 1, "udp") == 0)
		*proto = INSTANCE_PROTO_UDP;
	else if (strcmp(slash + 1, "sctp") == 0)
		*proto = INSTANCE_PROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

/* Grows an array by one zeroed element; returns it or NULL. */
static void *
instance_grow(void **array, size_t *n, size_t size)
{
	void *p;

	if (*n >= SIZE_MAX / size - 1)
		return NULL;
	if ((p = realloc(*array, (*n + 1) * size)) == NULL)
		return NULL;
	*array = p;
	p = (char *)p + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

static int
instance_add_port(struct instance *inst, uint16_t cport,
    enum instance_proto proto, const char *host_ip, uint16_t host_port)
{
	struct instance_port *p;

	p = instance_grow((void **)&inst->ports, &inst->nports, sizeof *p);
	if (p == NULL)
		return -ENOMEM;
	p->container_port = cport;
	p->proto = proto;
	p->host_port = host_port;
	return instance_strdup(&p->host_ip, host_ip, 0);
}

static int
instance_has_port(
    const struct instance *inst, uint16_t cport, enum instance_proto proto)
{
	size_t i;

	for (i = 0; i < inst->nports; i++) {
		if (inst->ports[i].container_port == cport &&
		    inst->ports[i].proto == proto)
			return 1;
	}
	return 0;
}

/*
 * NetworkSettings.Ports: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort":
 * "8080"}, ...] or null}.  null or [] is exposed only.
 */
static int
instance_parse_ports(struct instance *inst, struct json_object *ports)
{
	struct json_object *binding;
	enum instance_proto proto;
	const char *hp, *hip;
	uint16_t cport, hport;
	size_t i, n;
	int error;

	json_object_object_foreach(ports, key, val)
	{
		if (instance_parse_port_key(key, &cport, &proto) != 0)
			continue;
		if (val == NULL ||
		    (json_object_is_type(val, json_type_array) &&
			json_object_array_length(val) == 0)) {
			if (!instance_has_port(inst, cport, proto) &&
			    (error = instance_add_port(
				 inst, cport, proto, NULL, 0)) != 0)
				return error;
			continue;
		}
		if (!json_object_is_type(val, json_type_array))
			continue;
		n = json_object_array_length(val);
		for (i = 0; i < n; i++) {
			binding = json_object_array_get_idx(val, i);
			if ((hp = jsonget_string(binding, "HostPort")) == NULL)
				continue;
			if (instance_parse_port(hp, strlen(hp), &hport) != 0)
				continue;
			/* NULL is for unpublished ports: no HostIp is "all". */
			if ((hip = jsonget_string(binding, "HostIp")) == NULL)
				hip = "";
			error =
			    instance_add_port(inst, cport, proto, hip, hport);
			if (error != 0)
				return error;
		}
	}
	return 0;
}

/* Config.ExposedPorts: {"80/tcp": {}}; adds what Ports did not list. */
static int
instance_parse_exposed(struct instance *inst, struct json_object *exposed)
{
	enum instance_proto proto;
	uint16_t cport;
	int error;

	json_object_object_foreach(exposed, key, val)
	{
		(void)val;
		if (instance_parse_port_key(key, &cport, &proto) != 0)
			continue;
		if (instance_has_port(inst, cport, proto))
			continue;
		if ((error = instance_add_port(inst, cport, proto, NULL, 0)) !=
		    0)
			return error;
	}
	return 0;
}

static int
instance_parse_networks(struct instance *inst, struct json_object *networks)
{
	struct instance_network *nw;
	int error;

	json_object_object_foreach(networks, key, val)
	{
		if (val == NULL || !json_object_is_type(val, json_type_object))
			continue;
		nw = instance_grow(
		    (void **)&inst->networks, &inst->nnetworks, sizeof *nw);
		if (nw == NULL)
			return -ENOMEM;
		if ((error = instance_strdup(&nw->name, key, 0)) != 0 ||
		    (error = instance_strdup(&nw->ipv4,
			 jsonget_string(val, "IPAddress"), 1)) != 0 ||
		    (error = instance_strdup(&nw->ipv6,
			 jsonget_string(val, "GlobalIPv6Address"), 1)) != 0)
			return error;
	}
	return 0;
}

static int
instance_add_kv(struct instance_kv **array, size_t *n, const char *key,
    size_t keylen, const char *value)
{
	struct instance_kv *kv;

	if ((kv = instance_grow((void **)array, n, sizeof *kv)) == NULL)
		return -ENOMEM;
	if ((kv->key = strndup(key, keylen)) == NULL ||
	    (kv->value = strdup(value)) == NULL)
		return -ENOMEM;
	return 0;
}

/* Config.Labels: string values only, in the engine's order. */
static int
instance_parse_labels(struct instance *inst, struct json_object *labels)
{
	int error;

	json_object_object_foreach(labels, key, val)
	{
		if (val == NULL || !json_object_is_type(val, json_type_string))
			continue;
		error = instance_add_kv(&inst->labels, &inst->nlabels, key,
		    strlen(key), json_object_get_string(val));
		if (error != 0)
			return error;
	}
	return 0;
}

/* Config.Env: keeps only the announce hints, PORTLIGHT_* and KOI_*. */
static int
instance_parse_env(struct instance *inst, struct json_object *env)
{
	struct json_object *v;
	const char *s, *eq;
	size_t i, n;
	int error;

	n = json_object_array_length(env);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(env, i);
		if (v == NULL || !json_object_is_type(v, json_type_string))
			continue;
		s = json_object_get_string(v);
		if (strncmp(s, "PORTLIGHT_", 10) != 0 &&
		    strncmp(s, "KOI_", 4) != 0)
			continue;
		if ((eq = strchr(s, '=')) == NULL)
			continue;
		error = instance_add_kv(
		    &inst->env, &inst->nenv, s, (size_t)(eq - s), eq + 1);
		if (error != 0)
			return error;
	}
	return 0;
}

static enum instance_state
instance_parse_state(struct json_object *state)
{
	static const struct {
		const char *name;
		enum instance_state state;
	} names[] = {
	    {"created", INSTANCE_STATE_CREATED},
	    {"configured", INSTANCE_STATE_CREATED}, /* Podman */
	    {"running", INSTANCE_STATE_RUNNING},
	    {"paused", INSTANCE_STATE_PAUSED},
	    {"restarting", INSTANCE_STATE_RESTARTING},
	    {"removing", INSTANCE_STATE_REMOVING},
	    {"exited", INSTANCE_STATE_EXITED},
	    {"stopped", INSTANCE_STATE_EXITED}, /* Podman */
	};
	const char *s;
	size_t i;

	if ((s = jsonget_string(state, "Status")) != NULL) {
		for (i = 0; i < sizeof names / sizeof names[0]; i++) {
			if (strcasecmp(s, names[i].name) == 0)
				return names[i].state;
		}
		return INSTANCE_STATE_OTHER;
	}
	/* Only the old booleans: Paused implies Running. */
	if (jsonget_bool(state, "Paused"))
		return INSTANCE_STATE_PAUSED;
	if (jsonget_bool(state, "Restarting"))
		return INSTANCE_STATE_RESTARTING;
	if (jsonget_bool(state, "Running"))
		return INSTANCE_STATE_RUNNING;
	return INSTANCE_STATE_OTHER;
}

/* Podman reports Health {"Status": ""} for containers without a check. */
static enum instance_health
instance_parse_health(struct json_object *state)
{
	struct json_object *health;
	const char *s;

	health = jsonget_member(state, "Health");
	if ((s = jsonget_string(health, "Status")) == NULL)
		return INSTANCE_HEALTH_NONE;
	if (strcmp(s, "starting") == 0)
		return INSTANCE_HEALTH_STARTING;
	if (strcmp(s, "healthy") == 0)
		return INSTANCE_HEALTH_HEALTHY;
	if (strcmp(s, "unhealthy") == 0)
		return INSTANCE_HEALTH_UNHEALTHY;
	return INSTANCE_HEALTH_NONE;
}

static int
instance_parse_compose(struct instance *inst)
{
	const char *s;
	char *end;
	long n;
	int error;

	if ((s = instance_label(inst, "com.docker.compose.project")) == NULL)
		s = instance_label(inst, "io.podman.compose.project");
	if ((error = instance_strdup(&inst->compose_project, s, 1)) != 0)
		return error;
	if ((s = instance_label(inst, "com.docker.compose.service")) == NULL)
		s = instance_label(inst, "io.podman.compose.service");
	if ((error = instance_strdup(&inst->compose_service, s, 1)) != 0)
		return error;
	s = instance_label(inst, "com.docker.compose.container-number");
	if (s != NULL && *s >= '0' && *s <= '9') {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno == 0 && *end == '\0' && n > 0 && n <= INT_MAX)
			inst->compose_number = (int)n;
	}
	return 0;
}

static int
instance_parse(
    struct instance *inst, struct json_object *root, const char **why)
{
	struct json_object *config, *state, *hostconfig, *netsettings, *v;
	const char *s;
	int error;

	if (!json_object_is_type(root, json_type_object)) {
		*why = "not a JSON object";
		return -EINVAL;
	}
	if ((s = jsonget_string(root, "Id")) == NULL || *s == '\0') {
		*why = "no Id";
		return -EINVAL;
	}
	/* The id goes into request paths and logs: hex digits only. */
	if (strlen(s) > 128 || strspn(s, "0123456789abcdef") != strlen(s)) {
		*why = "Id is not a hexadecimal container id";
		return -EINVAL;
	}
	if ((error = instance_strdup(&inst->id, s, 0)) != 0)
		return error;
	strncpy(inst->short_id, s, sizeof inst->short_id - 1);

	if ((error = instance_get_object(root, "Config", &config)) != 0) {
		*why = "Config is not an object";
		return error;
	}
	if ((error = instance_get_object(root, "State", &state)) != 0) {
		*why = "State is not an object";
		return error;
	}
	if ((error = instance_get_object(root, "HostConfig", &hostconfig)) !=
	    0) {
		*why = "HostConfig is not an object";
		return error;
	}
	if ((error = instance_get_object(
		 root, "NetworkSettings", &netsettings)) != 0) {
		*why = "NetworkSettings is not an object";
		return error;
	}

	v = jsonget_member(root, "Name");
	if (v != NULL && !json_object_is_type(v, json_type_string)) {
		*why = "Name is not a string";
		return -EINVAL;
	}
	s = v != NULL ? json_object_get_string(v) : "";
	/* Docker's names lead with '/'; no real name has more than one. */
	while (*s == '/')
		s++;
	/* Never NULL downstream: a nameless container goes by its short id. */
	if (*s == '\0')
		s = inst->short_id;
	if ((error = instance_strdup(&inst->name, s, 0)) != 0)
		return error;

	/* Podman's libpod inspect has ImageName; Config.Image is the common one. */
	if ((s = jsonget_string(config, "Image")) == NULL)
		s = jsonget_string(root, "ImageName");
	if ((error = instance_strdup(&inst->image, s, 1)) != 0)
		return error;

	inst->state = instance_parse_state(state);
	inst->health = instance_parse_health(state);

	v = jsonget_member(config, "Labels");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			*why = "Config.Labels is not an object";
			return -EINVAL;
		}
		if ((error = instance_parse_labels(inst, v)) != 0)
			return error;
	}
	v = jsonget_member(config, "Env");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_array)) {
			*why = "Config.Env is not an array";
			return -EINVAL;
		}
		if ((error = instance_parse_env(inst, v)) != 0)
			return error;
	}
	if ((error = instance_parse_compose(inst)) != 0)
		return error;

	/* Only the libpod inspect says this; see tests/fixtures/README.md. */
	if ((error = instance_strdup(
		 &inst->pod, jsonget_string(root, "Pod"), 1)) != 0)
		return error;
	inst->pod_infra = jsonget_bool(root, "IsInfra");

	if ((error = instance_strdup(&inst->network_mode,
		 jsonget_string(hostconfig, "NetworkMode"), 1)) != 0)
		return error;

	v = jsonget_member(netsettings, "Ports");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			*why = "NetworkSettings.Ports is not an object";
			return -EINVAL;
		}
		if ((error = instance_parse_ports(inst, v)) != 0)
			return error;
	}
	/* With --network host, Ports is empty: only ExposedPorts says what. */
	v = jsonget_member(config, "ExposedPorts");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			*why = "Config.ExposedPorts is not an object";
			return -EINVAL;
		}
		if ((error = instance_parse_exposed(inst, v)) != 0)
			return error;
	}
	v = jsonget_member(netsettings, "Networks");
	if (v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			*why = "NetworkSettings.Networks is not an object";
			return -EINVAL;
		}
		if ((error = instance_parse_networks(inst, v)) != 0)
			return error;
	}
	return 0;
}

/*
 * json-c ends a key at an escaped NUL ("a\u0000b" is read as "a", the
 * same key as "a": the later one replaces the earlier), and every string
 * we copy ends at its first NUL.  Engines keep such labels as they were
 * given, so a hidden "portlight.name\u0000x" would silently replace the
 * portlight.name `docker inspect` shows, and "a\u0000b" would be cut to
 * "a".  Each \u0000 escape is read as \ufffd instead (U+FFFD, what the
 * engines themselves make of invalid UTF-8): every key stays its own and
 * nothing is cut.  Sets *copy to the rewritten document, or NULL when
 * there is no \u0000; returns 0 or -ENOMEM.
 */
static int
instance_no_nul(const char *json, size_t len, char **copy)
{
	size_t i;

	*copy = NULL;
	/* Outside strings a backslash is not JSON: parsing fails anyway. */
	for (i = 0; i + 5 < len; i++) {
		if (json[i] != '\\')
			continue;
		if (json[i + 1] == 'u' &&
		    memcmp(json + i + 2, "0000", 4) == 0) {
			/* Copied at the first one only: most have none. */
			if (*copy == NULL) {
				if ((*copy = malloc(len)) == NULL)
					return -ENOMEM;
				memcpy(*copy, json, len);
			}
			memcpy(*copy + i + 2, "fffd", 4);
		}
		i++; /* the escaped character: "\\" is not a new escape */
	}
	return 0;
}

int
instance_from_inspect(const char *json, size_t len, const char *engine,
    struct instance **out, const char **why)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	struct instance *inst;
	const char *dummy;
	char *copy;
	size_t end;
	int error;

	*out = NULL;
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (json == NULL || len == 0) {
		*why = "empty document";
		return -EINVAL;
	}
	if (len > INT_MAX) {
		*why = "document too large";
		return -EINVAL;
	}
	if (instance_no_nul(json, len, &copy) != 0)
		return -ENOMEM;
	if ((tok = json_tokener_new()) == NULL) {
		free(copy);
		return -ENOMEM;
	}
	/* json-c copies what it keeps: the copy is not needed after. */
	root = json_tokener_parse_ex(tok, copy != NULL ? copy : json, (int)len);
	free(copy);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (root == NULL || jerr != json_tokener_success) {
		*why = jerr == json_tokener_continue ? "truncated JSON"
						     : "not JSON";
		json_object_put(root);
		return -EINVAL;
	}
	/*
	 * Anything but white space after the document is not inspect JSON.
	 * The copy differed only in the digits of \u0000 escapes, never in
	 * white space: the original tells the same.
	 */
	for (; end < len; end++) {
		if (strchr(" \t\r\n", json[end]) == NULL || json[end] == '\0') {
			*why = "data after the JSON document";
			json_object_put(root);
			return -EINVAL;
		}
	}

	if ((inst = calloc(1, sizeof *inst)) == NULL) {
		json_object_put(root);
		return -ENOMEM;
	}
	error = instance_strdup(&inst->engine, engine, 0);
	if (error == 0)
		error = instance_parse(inst, root, why);
	json_object_put(root);
	if (error != 0) {
		if (error == -ENOMEM)
			*why = "out of memory";
		instance_free(inst);
		return error;
	}
	*out = inst;
	return 0;
}

void
instance_free(struct instance *inst)
{
	size_t i;

	if (inst == NULL)
		return;
	for (i = 0; i < inst->nports; i++)
		free(inst->ports[i].host_ip);
	free(inst->ports);
	for (i = 0; i < inst->nnetworks; i++) {
		free(inst->networks[i].name);
		free(inst->networks[i].driver);
		free(inst->networks[i].ipv4);
		free(inst->networks[i].ipv6);
	}
	free(inst->networks);
	for (i = 0; i < inst->nlabels; i++) {
		free(inst->labels[i].key);
		free(inst->labels[i].value);
	}
	free(inst->labels);
	for (i = 0; i < inst->nenv; i++) {
		free(inst->env[i].key);
		free(inst->env[i].value);
	}
	free(inst->env);
	free(inst->engine);
	free(inst->id);
	free(inst->name);
	free(inst->image);
	free(inst->compose_project);
	free(inst->compose_service);
	free(inst->pod);
	free(inst->pod_name);
	free(inst->network_mode);
	free(inst);
}

const char *
instance_label(const struct instance *inst, const char *key)
{
	size_t i;

	if (inst == NULL || key == NULL)
		return NULL;
	for (i = 0; i < inst->nlabels; i++) {
		if (strcmp(inst->labels[i].key, key) == 0)
			return inst->labels[i].value;
	}
	return NULL;
}

const char *
instance_env(const struct instance *inst, const char *key)
{
	size_t i;

	if (inst == NULL || key == NULL)
		return NULL;
	/* Like a shell, the last definition of a variable wins. */
	for (i = inst->nenv; i > 0; i--) {
		if (strcmp(inst->env[i - 1].key, key) == 0)
			return inst->env[i - 1].value;
	}
	return NULL;
}

int
instance_set_network_driver(
    struct instance *inst, const char *name, const char *driver)
{
	char *copy;
	size_t i;

	if (inst == NULL || name == NULL)
		return 0;
	for (i = 0; i < inst->nnetworks; i++) {
		if (strcmp(inst->networks[i].name, name) != 0)
			continue;
		if (instance_strdup(&copy, driver, 1) != 0)
			return -ENOMEM;
		free(inst->networks[i].driver);
		inst->networks[i].driver = copy;
		return 0;
	}
	return 0;
}

int
instance_set_pod(struct instance *inst, const char *pod, bool infra)
{
	char *copy;

	if (inst == NULL)
		return 0;
	if (instance_strdup(&copy, pod, 1) != 0)
		return -ENOMEM;
	/* Another pod's name (or none) is not this pod's. */
	if (copy == NULL || inst->pod == NULL || strcmp(inst->pod, copy) != 0) {
		free(inst->pod_name);
		inst->pod_name = NULL;
	}
	free(inst->pod);
	inst->pod = copy;
	inst->pod_infra = copy != NULL && infra;
	return 0;
}

int
instance_set_pod_name(struct instance *inst, const char *name)
{
	char *copy;

	if (inst == NULL || inst->pod == NULL)
		return 0;
	if (instance_strdup(&copy, name, 1) != 0)
		return -ENOMEM;
	free(inst->pod_name);
	inst->pod_name = copy;
	return 0;
}

const char *
instance_state_name(enum instance_state state)
{
	switch (state) {
	case INSTANCE_STATE_CREATED:
		return "created";
	case INSTANCE_STATE_RUNNING:
		return "running";
	case INSTANCE_STATE_PAUSED:
		return "paused";
	case INSTANCE_STATE_RESTARTING:
		return "restarting";
	case INSTANCE_STATE_REMOVING:
		return "removing";
	case INSTANCE_STATE_EXITED:
		return "exited";
	case INSTANCE_STATE_OTHER:
		break;
	}
	return "other";
}

const char *
instance_health_name(enum instance_health health)
{
	switch (health) {
	case INSTANCE_HEALTH_STARTING:
		return "starting";
	case INSTANCE_HEALTH_HEALTHY:
		return "healthy";
	case INSTANCE_HEALTH_UNHEALTHY:
		return "unhealthy";
	case INSTANCE_HEALTH_NONE:
		break;
	}
	return "none";
}

const char *
instance_proto_name(enum instance_proto proto)
{
	switch (proto) {
	case INSTANCE_PROTO_UDP:
		return "udp";
	case INSTANCE_PROTO_SCTP:
		return "sctp";
	case INSTANCE_PROTO_TCP:
		break;
	}
	return "tcp";
}
