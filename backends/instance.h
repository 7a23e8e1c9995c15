/*
 * instance: one container as portlight sees it, normalised from an
 * engine's inspect JSON (Docker's /containers/{id}/json, or Podman's
 * Docker-compatible one) by a pure function.  Nothing downstream of
 * backends/ ever reads engine JSON: this struct is the whole contract.
 */
#ifndef INSTANCE_H
#define INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum instance_state {
	INSTANCE_STATE_OTHER = 0, /* anything not listed ("dead", "") */
	INSTANCE_STATE_CREATED,
	INSTANCE_STATE_RUNNING,
	INSTANCE_STATE_PAUSED,
	INSTANCE_STATE_RESTARTING,
	INSTANCE_STATE_REMOVING,
	INSTANCE_STATE_EXITED,
};

enum instance_health {
	INSTANCE_HEALTH_NONE = 0, /* no healthcheck */
	INSTANCE_HEALTH_STARTING,
	INSTANCE_HEALTH_HEALTHY,
	INSTANCE_HEALTH_UNHEALTHY,
};

enum instance_proto {
	INSTANCE_PROTO_TCP = 0,
	INSTANCE_PROTO_UDP,
	INSTANCE_PROTO_SCTP,
};

/*
 * One port of the container.  A published port has one entry per host
 * binding (so "0.0.0.0:8080" and ":::8080" are two entries); an exposed
 * but unpublished port has one entry with host_ip NULL and host_port 0.
 */
struct instance_port {
	uint16_t container_port;
	enum instance_proto proto;
	char *
	    host_ip; /* "", "0.0.0.0", "::", "127.0.0.1", ...; NULL iff not published */
	uint16_t host_port; /* 0: not published */
};

/* One network the container is attached to (NetworkSettings.Networks). */
struct instance_network {
	char *name; /* "bridge", "myproj_default", "lan" */
	char
	    *driver; /* "bridge", "macvlan", "ipvlan", ...; NULL when unknown */
	char *ipv4; /* NULL when none */
	char *ipv6; /* NULL when none */
};

/* A key=value pair; labels keep engine order, env hints too. */
struct instance_kv {
	char *key;
	char *value;
};

struct instance {
	char *engine; /* "docker", "podman": set by the caller */
	char *id; /* full id, 64 hex */
	char short_id[13]; /* first 12 characters of id */
	char *name; /* without the leading '/' */
	char *image; /* Config.Image, may be NULL */

	enum instance_state state;
	enum instance_health health;

	char *
	    compose_project; /* com.docker.compose.project or io.podman.compose.project */
	char *
	    compose_service; /* com.docker.compose.service or io.podman.compose.service */
	int compose_number; /* com.docker.compose.container-number, 0 if unknown */

	char *pod; /* Podman pod id, NULL otherwise */
	char *pod_name; /* its name ("web"), NULL when unknown */
	bool pod_infra; /* Podman: this is the pod's infra container */

	char *
	    network_mode; /* HostConfig.NetworkMode: "bridge", "host", "container:ID", ... */
	bool rootless; /* set by the caller when the engine is rootless */

	struct instance_port *ports;
	size_t nports;
	struct instance_network *networks;
	size_t nnetworks;
	struct instance_kv *labels;
	size_t nlabels;
	/* Only the announce hints of Config.Env: PORTLIGHT_* and KOI_* variables. */
	struct instance_kv *env;
	size_t nenv;
};

/*
 * Builds an instance from inspect JSON.  engine names the engine for the
 * struct (copied).  Returns 0 and sets *out, or -EINVAL when the JSON is
 * not an inspect object (no Id, wrong types), -ENOMEM.  On error *why
 * (if not NULL) points at a static string saying what was wrong.
 * Missing optional fields are tolerated: a container with no ports is
 * still an instance.
 */
int instance_from_inspect(const char *json, size_t len, const char *engine,
    struct instance **out, const char **why);
void instance_free(struct instance *inst);

/* The value of a label, or NULL. */
const char *instance_label(const struct instance *inst, const char *key);
/* The value of an announce env hint (e.g. "PORTLIGHT_ANNOUNCE"), or NULL. */
const char *instance_env(const struct instance *inst, const char *key);
/* Sets the driver of the network called name (copied); ignored if absent. */
int instance_set_network_driver(
    struct instance *inst, const char *name, const char *driver);

/*
 * Sets the Podman pod (copied; NULL or "" clears it) and whether this is
 * its infra container.  Podman's Docker-compatible inspect has no pod
 * fields (only the libpod inspect has Pod and IsInfra, which
 * instance_from_inspect reads), so the engine fills them from the
 * container's libpod inspect.
 */
int instance_set_pod(struct instance *inst, const char *pod, bool infra);
/*
 * Sets the name of the instance's pod (copied; NULL or "" clears it), the
 * default instance name of what the pod announces.  Only the libpod pod
 * inspect has it.  Ignored (returns 0) when the instance has no pod.
 */
int instance_set_pod_name(struct instance *inst, const char *name);

const char *instance_state_name(enum instance_state state);
const char *instance_health_name(enum instance_health health);
const char *instance_proto_name(enum instance_proto proto);

#endif
