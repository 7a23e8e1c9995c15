/*
 * announce_int: what the files of the announce module share and nobody
 * else needs: the label/env grammar (announce_labels.c), the validation
 * rules (announce_validate.c) and the table of well-known ports
 * (wellknown.c).  All of it is pure: no I/O, no logging, no globals that
 * change.
 */
#ifndef ANNOUNCE_INT_H
#define ANNOUNCE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "announce.h"
#include "instance.h"

/* Longest label value quoted in a skip reason; longer ones end in "...". */
#define ANNOUNCE_QUOTE_MAX 48

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
