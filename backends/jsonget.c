/*
 * jsonget: typed reads of one member of an engine's JSON object (see
 * jsonget.h).  Shared by the parsers of inspect documents and of events.
 */
#include <stddef.h>

#include <json-c/json.h>

#include "jsonget.h"

struct json_object *
jsonget_member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

const char *
jsonget_string(struct json_object *obj, const char *key)
{
	struct json_object *v = jsonget_member(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool
jsonget_bool(struct json_object *obj, const char *key)
{
	struct json_object *v = jsonget_member(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_boolean))
		return false;
	return json_object_get_boolean(v);
}

int64_t
jsonget_int64(struct json_object *obj, const char *key)
{
	struct json_object *v = jsonget_member(obj, key);

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}
