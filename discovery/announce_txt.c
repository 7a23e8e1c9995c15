/*
 * announce_txt: what rides along with a service: its TXT record (from
 * portlight.txt.* and koi.txt.* labels and homepage.href's path, each
 * pair checked against RFC 6763's rules and Avahi's sizes) and its
 * subtypes.  Pure, like the rest of announce: a bad pair or subtype is a
 * skip with its reason, and the others stay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "announce.h"
#include "announce_int.h"
#include "instance.h"

void
announce_txt_clear(struct announce_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->items[i]);
	free(t->items);
	memset(t, 0, sizeof *t);
}

static bool
announce_txt_has(const struct announce_txt *t, const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strncasecmp(t->items[i], key, len) == 0 &&
		    t->items[i][len] == '=')
			return (true);
	return (false);
}

/* Adds key=value to t, or skips item with the reason. */
static void
announce_txt_add(struct announce_ctx *c, struct announce_txt *t,
    const char *item, const char *key, const char *value)
{
	const char *why;
	size_t klen = strlen(key), vlen = strlen(value), len;
	char *s;

	if ((why = announce_validate_txt_key(key, klen)) != NULL) {
		announce_skip(c, item, "%s", why);
		return;
	}
	len = klen + 1 + vlen;
	if (len > ANNOUNCE_TXT_ITEM_MAX) {
		announce_skip(c, item,
		    "key=value is %zu bytes, over the limit of 255", len);
		return;
	}
	/* RFC 6763 6.4: keys compare without case; the first one counts. */
	if (announce_txt_has(t, key, klen)) {
		announce_skip(c, item,
		    "duplicate TXT key \"%s\": the first one wins", key);
		return;
	}
	if (t->bytes + 1 + len > ANNOUNCE_TXT_MAX) {
		announce_skip(c, item,
		    "the TXT record would exceed 1300 bytes: pair left out");
		return;
	}
	if (!announce_grow(c, &t->items, t->n, sizeof *t->items))
		return;
	if (asprintf(&s, "%s=%s", key, value) < 0) {
		announce_nomem(c);
		return;
	}
	t->items[t->n++] = s;
	t->bytes += 1 + len;
}

/* Every label prefix+KEY=VALUE into t, in label order. */
void
announce_txt_labels(
    struct announce_ctx *c, struct announce_txt *t, const char *prefix)
{
	const struct instance_kv *kv;
	char item[ANNOUNCE_ITEM_MAX + 16];
	size_t i, plen = strlen(prefix);

	for (i = 0; i < c->inst->nlabels && c->error == 0; i++) {
		kv = &c->inst->labels[i];
		if (kv->key == NULL || !announce_prefix(kv->key, prefix))
			continue;
		snprintf(item, sizeof item, "label %.*s", ANNOUNCE_ITEM_MAX,
		    kv->key);
		announce_txt_add(c, t, item, kv->key + plen,
		    kv->value != NULL ? kv->value : "");
	}
}

/* The container's own TXT: portlight.txt.*, koi.txt.*, homepage.href. */
void
announce_main_txt(struct announce_ctx *c)
{
	const char *href;
	char *path;

	announce_txt_labels(c, &c->txt, "portlight.txt.");
	if (!c->koioff)
		announce_txt_labels(c, &c->txt, "koi.txt.");
	if ((href = announce_label(c, "homepage.href")) == NULL ||
	    announce_txt_has(&c->txt, "path", 4))
		return;
	if (announce_labels_href_path(href, &path) != 0) {
		announce_nomem(c);
		return;
	}
	if (path != NULL)
		announce_txt_add(
		    c, &c->txt, "label homepage.href", "path", path);
	free(path);
}

bool
announce_txt_copy(struct announce_ctx *c, const struct announce_txt *t,
    char ***out, size_t *n)
{
	if (t == NULL) {
		*out = NULL;
		*n = 0;
		return (true);
	}
	if (!announcement_strv_copy(t->items, t->n, out, n)) {
		announce_nomem(c);
		return (false);
	}
	return (true);
}

/* The subtypes of raw for type into s, each "_label._sub.TYPE". */
void
announce_subtypes(struct announce_ctx *c, struct announce_service *s,
    const char *raw, const char *item)
{
	struct announce_token tok;
	const char *cursor = raw, *why, *sub;
	size_t len, tlen = strlen(s->type), i;
	char *full, *q;

	if (raw == NULL)
		return;
	while (announce_labels_next(&cursor, ",", &tok) && c->error == 0) {
		len = tok.len;
		/* "_printer._sub._http._tcp": must be for this very type. */
		if ((sub = memmem(tok.start, len, "._sub.", 6)) != NULL) {
			if ((size_t)(tok.start + len - (sub + 6)) != tlen ||
			    strncasecmp(sub + 6, s->type, tlen) != 0) {
				if ((q = announce_labels_quote(
					 tok.start, len)) == NULL) {
					announce_nomem(c);
					return;
				}
				announce_skip(c, item,
				    "subtype %s is not of type %s", q, s->type);
				free(q);
				continue;
			}
			len = (size_t)(sub - tok.start);
		}
		if (len > 0 && tok.start[0] == '_') {
			tok.start++;
			len--;
		}
		if ((why = announce_validate_subtype(tok.start, len)) != NULL) {
			if ((q = announce_labels_quote(tok.start, len)) ==
			    NULL) {
				announce_nomem(c);
				return;
			}
			announce_skip(c, item, "%s: %s", q, why);
			free(q);
			continue;
		}
		if (asprintf(&full, "_%.*s._sub.%s", (int)len, tok.start,
			s->type) < 0) {
			announce_nomem(c);
			return;
		}
		for (i = 0; i < s->nsubtypes; i++)
			if (strcasecmp(s->subtypes[i], full) == 0)
				break;
		if (i < s->nsubtypes) {
			free(full);
			continue;
		}
		if (!announce_grow(
			c, &s->subtypes, s->nsubtypes, sizeof *s->subtypes)) {
			free(full);
			return;
		}
		s->subtypes[s->nsubtypes++] = full;
	}
}
