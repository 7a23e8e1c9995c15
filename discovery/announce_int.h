/*
 * announce_int: what the files of the announce module share and nobody
 * else needs: the context of one computation and the functions of
 * announce.c, announce_ports.c, announce_services.c, announce_txt.c and
 * announce_addrs.c that work on it, the label/env grammar
 * (announce_labels.c), the validation rules (announce_validate.c) and the
 * table of well-known ports (wellknown.c).  All of it is pure: no I/O, no
 * logging, no globals that change.
 */
#ifndef ANNOUNCE_INT_H
#define ANNOUNCE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "announce.h"
#include "instance.h"

/* Longest label value quoted in a skip reason; longer ones end in "...". */
#define ANNOUNCE_QUOTE_MAX 48

/* Longest item name in a skip: a hostile 100 KB label key is not echoed. */
#define ANNOUNCE_ITEM_MAX 160

/* Limits of DNS-SD as Avahi applies them (see DESIGN.md). */
#define ANNOUNCE_NAME_MAX 63 /* instance name, bytes of UTF-8 */
#define ANNOUNCE_LABEL_MAX 63 /* one DNS label */
#define ANNOUNCE_TXT_ITEM_MAX 255 /* one "key=value" */
#define ANNOUNCE_TXT_MAX 1300 /* a whole TXT record on the wire */

/* A proto wildcard for a port selection that did not name one. */
#define ANNOUNCE_PROTO_ANY (-1)

/* One piece of a separated list: [start, start + len). */
struct announce_token {
	const char *start;
	size_t len;
};

/* One SPEC of PORTLIGHT_ANNOUNCE: [NAME=]TYPE[:PORT]. */
struct announce_spec {
	char *name; /* NULL when the spec has none */
	char *type; /* normalised, "_http._tcp" */
	uint16_t port; /* 0 when the spec has none */
};

/* Ranks of the sources of a service: the second sort key after the port. */
enum announce_rank {
	ANNOUNCE_RANK_MAIN = 0, /* portlight.* of the container */
	ANNOUNCE_RANK_SERVICE, /* portlight.service.ID.* */
	ANNOUNCE_RANK_ENV, /* a PORTLIGHT_ANNOUNCE spec with a port */
};

/* A service while it is built: its record and where it came from. */
struct announce_svc {
	struct announce_service s;
	int rank;
	char *sid;
};

/* A distinct (container port, proto) the container offers. */
struct announce_cand {
	uint16_t port;
	int proto;
};

/* A port selection of a label or spec: 80, 80/udp. */
struct announce_sel {
	uint16_t port;
	int proto; /* ANNOUNCE_PROTO_ANY when not named */
};

/* An address this container's services are reachable on. */
struct announce_reach {
	int ifindex;
	int family;
	char text[INET6_ADDRSTRLEN];
};

/* A list of "key=value" strings with its size on the wire. */
struct announce_txt {
	char **items;
	size_t n;
	size_t bytes;
};

/* What one call of announce_emit() announces. */
struct announce_what {
	int rank;
	const char *sid;
	const char *name;
	const char *type; /* NULL: by the well-known table */
	const char *typehint; /* the label that would set it */
	const struct announce_txt *txt;
	const char *subtypes; /* raw list, or NULL */
	const char *subitem; /* item naming that list */
	const char *portitem; /* item naming the selection */
	struct announce_sel sel;
};

/* One announce_instance() call: its inputs, what it built, its error. */
struct announce_ctx {
	const struct instance *inst;
	const struct host_facts *host;
	struct announcement *a;
	int error;

	struct announce_svc *svcs;
	size_t nsvcs;
	struct announce_cand *cands;
	size_t ncands;
	struct announce_sel *claims; /* ports named by labels */
	size_t nclaims;
	struct announce_sel *envclaims; /* ports named by env specs */
	size_t nenvclaims;
	struct announce_reach *reach; /* specific bound addresses */
	size_t nreach;
	struct announce_reach *caddrs; /* macvlan/ipvlan addresses */
	size_t ncaddrs;
	struct announce_spec *specs; /* PORTLIGHT_ANNOUNCE */
	size_t nspecs;

	bool koioff; /* koi.enable=false: no koi.* label nor env is read */
	bool traefik; /* traefik.enable=true */
	bool dmdns; /* docker-mdns.enable=true */
	bool hostnet; /* network_mode host */
	bool cmode; /* container-address mode */
	char *target; /* cmode: "label.local" */

	char *name; /* the main instance name */
	char *type; /* portlight.type or koi.type */
	char *envname; /* a spec without a port */
	char *envtype;
	struct announce_txt txt;
};

/* announce.c: the context, opting in, names, types, TXT. */
void announce_nomem(struct announce_ctx *c);
bool announce_grow(struct announce_ctx *c, void *arrp, size_t n, size_t size);
char *announce_strdup(struct announce_ctx *c, const char *s);
const char *announce_label(const struct announce_ctx *c, const char *key);
const char *announce_env(const struct announce_ctx *c, const char *key);
bool announce_prefix(const char *s, const char *prefix);
int announce_str_cmp(const void *a, const void *b);
void announce_skip(struct announce_ctx *c, const char *item, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
void announce_skip_label(struct announce_ctx *c, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
char *announce_quote(struct announce_ctx *c, const char *s);
const char *announce_proto_name(int proto);
bool announce_published(const struct instance *inst);
bool announce_traefik_rule(const struct instance_kv *kv);
bool announce_local_host(const char *host, size_t len);
void announce_try_name(
    struct announce_ctx *c, char **dst, const char *item, const char *name);
char *announce_type_label(struct announce_ctx *c, const char *key);

/* announce_txt.c: TXT records and subtypes. */
void announce_txt_clear(struct announce_txt *t);
void announce_txt_labels(
    struct announce_ctx *c, struct announce_txt *t, const char *prefix);
void announce_main_txt(struct announce_ctx *c);
/* announcement.c: copies n strings; false on ENOMEM (the copied stay). */
bool announcement_strv_copy(char **src, size_t n, char ***out, size_t *nout);
bool announce_txt_copy(struct announce_ctx *c, const struct announce_txt *t,
    char ***out, size_t *n);
void announce_subtypes(struct announce_ctx *c, struct announce_service *s,
    const char *raw, const char *item);

/* announce_ports.c: ports on offer, selections, bindings, records. */
void announce_candidates(struct announce_ctx *c);
bool announce_claimed(
    const struct announce_sel *list, size_t n, uint16_t port, int proto);
void announce_add_sel(struct announce_ctx *c, struct announce_sel **list,
    size_t *n, uint16_t port, int proto);
bool announce_loopback(int family, const void *bin);
void announce_reach_add(struct announce_ctx *c, struct announce_reach **list,
    size_t *n, int ifindex, int family, const char *text);
void announce_emit_cand(struct announce_ctx *c, const struct announce_what *w,
    const struct announce_cand *cand);
void announce_emit(struct announce_ctx *c, const struct announce_what *w);
size_t announce_port_list(struct announce_ctx *c, const char *key,
    const char *v, struct announce_sel **sels);

/* announce_services.c: the services of labels and PORTLIGHT_ANNOUNCE. */
void announce_env_specs(struct announce_ctx *c);
size_t announce_service_ids(struct announce_ctx *c, char ***ids);
void announce_id_claims(struct announce_ctx *c, char **ids, size_t nids);
void announce_id_service(struct announce_ctx *c, const char *id);
void announce_main_services(struct announce_ctx *c, struct announce_sel *sels,
    size_t nsels, bool listed);
void announce_env_services(struct announce_ctx *c);

/* announce_addrs.c: aliases, container-address mode, A/AAAA records. */
void announce_aliases(struct announce_ctx *c);
void announce_mode(struct announce_ctx *c);
void announce_addresses(struct announce_ctx *c);

/* announce_labels.c: the grammar. */
bool announce_labels_next(
    const char **cursor, const char *seps, struct announce_token *tok);
int announce_labels_bool(const char *s);
int announce_labels_type(
    const char *s, size_t len, char **out, const char **why);
int announce_labels_port(
    const char *s, size_t len, uint16_t *port, int *proto, const char **why);
int announce_labels_spec(
    const char *s, size_t len, struct announce_spec *out, const char **why);
void announce_labels_spec_clear(struct announce_spec *spec);
int announce_labels_hosts(const char *rule, char ***out, size_t *n);
int announce_labels_href_path(const char *href, char **out);
char *announce_labels_quote(const char *s, size_t len);
char *announce_labels_slug(const char *s);

/* announce_validate.c: each returns NULL when valid, else the reason. */
const char *announce_validate_instance_name(const char *s);
const char *announce_validate_type(const char *type);
const char *announce_validate_txt_key(const char *key, size_t len);
const char *announce_validate_alias(const char *label);
const char *announce_validate_subtype(const char *label, size_t len);
int announce_validate_type_proto(const char *type);

/* wellknown.c: the default service type of a container port, or NULL. */
const char *wellknown_type(uint16_t port, enum instance_proto proto);

#endif
