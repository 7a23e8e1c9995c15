/*
 * jsonget: typed reads of one member of a JSON object from the engines.
 * Engine JSON is untrusted: every read checks the container and the
 * member's type, and an absent, null or mistyped member reads as absent.
 */
#ifndef JSONGET_H
#define JSONGET_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

/* The member key of obj; NULL when obj is not an object or has no key. */
struct json_object *jsonget_member(struct json_object *obj, const char *key);
/* A string member (owned by obj), or NULL. */
const char *jsonget_string(struct json_object *obj, const char *key);
/* A boolean member; false when absent or not a boolean. */
bool jsonget_bool(struct json_object *obj, const char *key);
/* An integer member; 0 when absent or not an integer. */
int64_t jsonget_int64(struct json_object *obj, const char *key);

#endif
