/*
 * announce_services: the services a container defines and which ports
 * each claims: the container's own portlight.* service, each
 * portlight.service.ID, and the specs of PORTLIGHT_ANNOUNCE.  Labels
 * win a port over a spec; the main service takes every port on offer
 * that no other claimed.  Pure, as the rest of announce (announce.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announce.h"
#include "announce_int.h"
#include "instance.h"

/* Parses PORTLIGHT_ANNOUNCE into c->specs; a portless one sets defaults. */
void
announce_env_specs(struct announce_ctx *c)
{
	struct announce_token tok;
	struct announce_spec spec;
	const char *v, *cursor, *why;
	char *q;
	int error;
	bool portless = false;

	if ((v = announce_env(c, "PORTLIGHT_ANNOUNCE")) == NULL)
		return;
	cursor = v;
	while (announce_labels_next(&cursor, ";", &tok) && c->error == 0) {
		error = announce_labels_spec(tok.start, tok.len, &spec, &why);
		if (error == -ENOMEM) {
			announce_nomem(c);
			return;
		}
		if ((q = announce_labels_quote(tok.start, tok.len)) == NULL) {
			announce_labels_spec_clear(&spec);
			announce_nomem(c);
			return;
		}
		if (error != 0)
			announce_skip(
			    c, "env PORTLIGHT_ANNOUNCE", "spec %s: %s", q, why);
		else if (spec.port == 0 && portless) {
			announce_skip(c, "env PORTLIGHT_ANNOUNCE",
			    "spec %s: only the first spec without a port "
			    "is used",
			    q);
			announce_labels_spec_clear(&spec);
		} else if (spec.port == 0) {
			portless = true;
			c->envname = spec.name;
			c->envtype = spec.type;
		} else if (announce_grow(
			       c, &c->specs, c->nspecs, sizeof *c->specs))
			c->specs[c->nspecs++] = spec;
		else
			announce_labels_spec_clear(&spec);
		free(q);
	}
}

static bool
announce_id_char(char ch)
{
	return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-');
}

/*
 * The IDs of portlight.service.ID.FIELD labels, sorted; labels that do
 * not follow that form are skipped.
 */
size_t
announce_service_ids(struct announce_ctx *c, char ***ids)
{
	static const char *const fields[] = {
	    "name", "type", "port", "subtypes"};
	const char *key, *rest, *dot;
	size_t i, j, n = 0, idlen;
	bool ok;

	*ids = NULL;
	for (i = 0; i < c->inst->nlabels && c->error == 0; i++) {
		if ((key = c->inst->labels[i].key) == NULL ||
		    !announce_prefix(key, "portlight.service."))
			continue;
		rest = key + strlen("portlight.service.");
		for (dot = rest; announce_id_char(*dot); dot++)
			;
		idlen = (size_t)(dot - rest);
		ok = idlen > 0 && idlen <= 32 && *dot == '.';
		if (ok) {
			ok = announce_prefix(dot + 1, "txt.") && dot[5] != '\0';
			for (j = 0; !ok && j < 4; j++)
				ok = strcmp(dot + 1, fields[j]) == 0;
		}
		if (!ok) {
			announce_skip_label(c, key,
			    "not portlight.service.ID.FIELD (ID a word of "
			    "up to 32 characters; FIELD name, type, port, "
			    "subtypes or txt.KEY)");
			continue;
		}
		for (j = 0; j < n; j++)
			if (strlen((*ids)[j]) == idlen &&
			    strncmp((*ids)[j], rest, idlen) == 0)
				break;
		if (j < n)
			continue;
		if (!announce_grow(c, ids, n, sizeof **ids))
			break;
		if (((*ids)[n] = strndup(rest, idlen)) == NULL) {
			announce_nomem(c);
			break;
		}
		n++;
	}
	if (n > 1)
		qsort(*ids, n, sizeof **ids, announce_str_cmp);
	return (n);
}

/* The value of portlight.service.ID.FIELD, or NULL. */
static const char *
announce_id_label(struct announce_ctx *c, const char *id, const char *field,
    char *key, size_t keysize)
{
	snprintf(key, keysize, "portlight.service.%s.%s", id, field);
	return (announce_label(c, key));
}

/* Claims the ports of each portlight.service.ID, before anything is built. */
void
announce_id_claims(struct announce_ctx *c, char **ids, size_t nids)
{
	struct announce_sel *sels;
	char key[96];
	const char *v;
	size_t i, j, n;

	for (i = 0; i < nids && c->error == 0; i++) {
		if ((v = announce_id_label(
			 c, ids[i], "port", key, sizeof key)) == NULL)
			continue;
		n = announce_port_list(c, key, v, &sels);
		for (j = 0; j < n; j++)
			announce_add_sel(c, &c->claims, &c->nclaims,
			    sels[j].port, sels[j].proto);
		free(sels);
	}
}

/* One portlight.service.ID: its own name, type, ports, TXT and subtypes. */
void
announce_id_service(struct announce_ctx *c, const char *id)
{
	struct announce_what w = {0};
	struct announce_txt txt = {0};
	struct announce_sel *sels = NULL;
	char key[96], item[112], hint[96], subitem[112], portitem[112];
	char prefix[96], *name = NULL, *type;
	const char *v;
	size_t i, n;

	if ((v = announce_id_label(c, id, "port", key, sizeof key)) == NULL) {
		snprintf(item, sizeof item, "label portlight.service.%s", id);
		announce_skip(
		    c, item, "no port: set portlight.service.%s.port", id);
		return;
	}
	snprintf(portitem, sizeof portitem, "label %s", key);
	n = announce_port_list(c, key, v, &sels);

	v = announce_id_label(c, id, "name", key, sizeof key);
	snprintf(item, sizeof item, "label %s", key);
	announce_try_name(c, &name, item, v);
	announce_id_label(c, id, "type", key, sizeof key);
	type = announce_type_label(c, key);
	snprintf(hint, sizeof hint, "%s", key);
	snprintf(prefix, sizeof prefix, "portlight.service.%s.txt.", id);
	announce_txt_labels(c, &txt, prefix);
	w.subtypes = announce_id_label(c, id, "subtypes", key, sizeof key);
	snprintf(subitem, sizeof subitem, "label %s", key);

	w.rank = ANNOUNCE_RANK_SERVICE;
	w.sid = id;
	w.name = name != NULL ? name : c->name;
	w.type = type;
	w.typehint = hint;
	w.txt = &txt;
	w.subitem = subitem;
	w.portitem = portitem;
	for (i = 0; i < n && c->error == 0; i++) {
		w.sel = sels[i];
		announce_emit(c, &w);
	}
	free(sels);
	free(name);
	free(type);
	announce_txt_clear(&txt);
}

/* The container's own portlight.* service (and koi/homepage defaults). */
void
announce_main_services(struct announce_ctx *c, struct announce_sel *sels,
    size_t nsels, bool listed)
{
	struct announce_what w = {0};
	size_t i;

	w.rank = ANNOUNCE_RANK_MAIN;
	w.sid = "";
	w.name = c->name;
	w.type = c->type != NULL ? c->type : c->envtype;
	w.typehint = "portlight.type";
	w.txt = &c->txt;
	w.subtypes = announce_label(c, "portlight.subtypes");
	w.subitem = "label portlight.subtypes";
	w.portitem = "label portlight.port";
	if (listed) {
		for (i = 0; i < nsels && c->error == 0; i++) {
			w.sel = sels[i];
			announce_emit(c, &w);
		}
		return;
	}
	/* Every port on offer that no other service claimed. */
	for (i = 0; i < c->ncands && c->error == 0; i++) {
		if (announce_claimed(c->claims, c->nclaims, c->cands[i].port,
			c->cands[i].proto) ||
		    announce_claimed(c->envclaims, c->nenvclaims,
			c->cands[i].port, c->cands[i].proto))
			continue;
		w.sel.port = c->cands[i].port;
		w.sel.proto = c->cands[i].proto;
		announce_emit_cand(c, &w, &c->cands[i]);
	}
}

/* The PORTLIGHT_ANNOUNCE specs with a port; labels win the same port. */
void
announce_env_services(struct announce_ctx *c)
{
	struct announce_what w = {0};
	char sid[24], *name;
	size_t i;
	int proto;

	for (i = 0; i < c->nspecs && c->error == 0; i++) {
		proto = announce_validate_type_proto(c->specs[i].type);
		if (announce_claimed(
			c->claims, c->nclaims, c->specs[i].port, proto)) {
			announce_skip(c, "env PORTLIGHT_ANNOUNCE",
			    "spec for port %u: labels set that port, "
			    "they win",
			    c->specs[i].port);
			continue;
		}
		announce_add_sel(
		    c, &c->envclaims, &c->nenvclaims, c->specs[i].port, proto);
	}
	w.rank = ANNOUNCE_RANK_ENV;
	w.typehint = "portlight.type";
	w.txt = &c->txt;
	w.subtypes = announce_label(c, "portlight.subtypes");
	w.subitem = "label portlight.subtypes";
	w.portitem = "env PORTLIGHT_ANNOUNCE";
	for (i = 0; i < c->nspecs && c->error == 0; i++) {
		/* Skipped above: labels set its port (c->claims is as it was). */
		if (announce_claimed(c->claims, c->nclaims, c->specs[i].port,
			announce_validate_type_proto(c->specs[i].type)))
			continue;
		name = NULL;
		announce_try_name(
		    c, &name, "env PORTLIGHT_ANNOUNCE", c->specs[i].name);
		snprintf(sid, sizeof sid, "%04zu", i);
		w.sid = sid;
		w.name = name != NULL ? name : c->name;
		w.type = c->specs[i].type;
		w.sel.port = c->specs[i].port;
		w.sel.proto = ANNOUNCE_PROTO_ANY;
		announce_emit(c, &w);
		free(name);
	}
}
