/*
 * announce_labels: the small grammars of the labels and env hints (lists,
 * booleans, service types, ports, PORTLIGHT_ANNOUNCE specs, Traefik
 * router rules, homepage hrefs).  Each parser takes one value and says
 * what it means or why it cannot, so that announce.c can skip exactly
 * the item that is wrong and keep the rest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "announce_int.h"

static bool
announce_labels_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

static bool
announce_labels_alnum(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'));
}

static char
announce_labels_lower(char c)
{
	return ((c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
}

/*
 * The next non-empty piece of a list separated by any of seps, with the
 * blanks around it removed.  Empty pieces ("a,,b", a trailing comma) are
 * passed over: they are a slip, not a request.
 */
bool
announce_labels_next(
    const char **cursor, const char *seps, struct announce_token *tok)
{
	const char *p = *cursor, *end;

	for (;;) {
		while (*p != '\0' &&
		    (strchr(seps, *p) != NULL || announce_labels_space(*p)))
			p++;
		if (*p == '\0') {
			*cursor = p;
			return (false);
		}
		end = p;
		while (*end != '\0' && strchr(seps, *end) == NULL)
			end++;
		*cursor = end;
		tok->start = p;
		while (end > p && announce_labels_space(end[-1]))
			end--;
		tok->len = (size_t)(end - p);
		if (tok->len > 0)
			return (true);
		p = *cursor;
	}
}

/* 1 for true/yes/1, 0 for false/no/0 (any case), -1 for anything else. */
int
announce_labels_bool(const char *s)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0)
		return (1);
	if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
	    strcmp(s, "0") == 0)
		return (0);
	return (-1);
}

/*
 * "_svc._tcp", "_svc._udp" or bare "svc" (meaning "_svc._tcp"), into the
 * lower-case full form.  DNS names compare without case, so "HTTP" is
 * taken as "http" rather than refused.
 */
int
announce_labels_type(const char *s, size_t len, char **out, const char **why)
{
	char *t;
	size_t i, n;

	*out = NULL;
	while (len > 0 && announce_labels_space(*s)) {
		s++;
		len--;
	}
	while (len > 0 && announce_labels_space(s[len - 1]))
		len--;
	if (len == 0) {
		*why = "empty type";
		return (-EINVAL);
	}
	if (len > 64) {
		*why = "type is not _name._tcp or _name._udp";
		return (-EINVAL);
	}
	if ((t = malloc(len + 7)) == NULL)
		return (-ENOMEM);
	n = 0;
	if (s[0] != '_')
		t[n++] = '_';
	for (i = 0; i < len; i++)
		t[n++] = announce_labels_lower(s[i]);
	t[n] = '\0';
	if (s[0] != '_') {
		if (memchr(s, '.', len) != NULL) {
			free(t);
			*why = "type is not _name._tcp or _name._udp";
			return (-EINVAL);
		}
		memcpy(t + n, "._tcp", 6);
	}
	if ((*why = announce_validate_type(t)) != NULL) {
		free(t);
		return (-EINVAL);
	}
	*out = t;
	return (0);
}

/* "80", "80/tcp" or "80/udp"; *proto is ANNOUNCE_PROTO_ANY for "80". */
int
announce_labels_port(
    const char *s, size_t len, uint16_t *port, int *proto, const char **why)
{
	unsigned long v = 0;
	size_t i = 0;

	*proto = ANNOUNCE_PROTO_ANY;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > 65535) {
			*why = "port is not 1-65535";
			return (-EINVAL);
		}
		i++;
	}
	if (i == 0) {
		*why = "port is not a number";
		return (-EINVAL);
	}
	if (i < len) {
		if (len - i == 4 && strncasecmp(s + i, "/tcp", 4) == 0)
			*proto = INSTANCE_PROTO_TCP;
		else if (len - i == 4 && strncasecmp(s + i, "/udp", 4) == 0)
			*proto = INSTANCE_PROTO_UDP;
		else {
			*why =
			    "port is not a number (or NUMBER/tcp, NUMBER/udp)";
			return (-EINVAL);
		}
	}
	if (v == 0) {
		*why = "port is not 1-65535";
		return (-EINVAL);
	}
	*port = (uint16_t)v;
	return (0);
}

void
announce_labels_spec_clear(struct announce_spec *spec)
{
	free(spec->name);
	free(spec->type);
	memset(spec, 0, sizeof *spec);
}

/* One PORTLIGHT_ANNOUNCE spec: [NAME=]TYPE[:PORT]. */
int
announce_labels_spec(
    const char *s, size_t len, struct announce_spec *out, const char **why)
{
	const char *eq, *colon, *type;
	size_t typelen, namelen;
	int proto, error;

	memset(out, 0, sizeof *out);
	type = s;
	typelen = len;
	if ((eq = memchr(s, '=', len)) != NULL) {
		namelen = (size_t)(eq - s);
		while (namelen > 0 && announce_labels_space(s[namelen - 1]))
			namelen--;
		if (namelen == 0) {
			*why = "empty name before '='";
			return (-EINVAL);
		}
		if ((out->name = strndup(s, namelen)) == NULL)
			return (-ENOMEM);
		type = eq + 1;
		typelen = len - (size_t)(type - s);
	}
	colon = NULL;
	for (size_t i = 0; i < typelen; i++)
		if (type[i] == ':')
			colon = type + i;
	if (colon != NULL) {
		error = announce_labels_port(colon + 1,
		    typelen - (size_t)(colon + 1 - type), &out->port, &proto,
		    why);
		if (error == 0 && proto != ANNOUNCE_PROTO_ANY) {
			*why = "the port of a spec takes no /proto: the type "
			       "says it";
			error = -EINVAL;
		}
		if (error != 0) {
			announce_labels_spec_clear(out);
			return (error);
		}
		typelen = (size_t)(colon - type);
	}
	if ((error = announce_labels_type(type, typelen, &out->type, why)) !=
	    0) {
		announce_labels_spec_clear(out);
		return (error);
	}
	return (0);
}

static void
announce_labels_free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/*
 * Every argument of every Host(...) matcher of a Traefik router rule:
 * Host(`a.local`) || Host(`b.local`, `c.local`).  HostRegexp and
 * HostSNI are other matchers and are not read.
 */
int
announce_labels_hosts(const char *rule, char ***out, size_t *n)
{
	const char *p = rule, *end;
	char **list = NULL, **grown;
	size_t count = 0;
	char quote;

	*out = NULL;
	*n = 0;
	while ((p = strcasestr(p, "host(")) != NULL) {
		if (p > rule &&
		    (announce_labels_alnum(p[-1]) || p[-1] == '_')) {
			p += 5;
			continue;
		}
		p += 5;
		for (;;) {
			while (*p == ',' || announce_labels_space(*p))
				p++;
			if (*p != '`' && *p != '"' && *p != '\'')
				break;
			quote = *p++;
			if ((end = strchr(p, quote)) == NULL)
				break;
			grown = reallocarray(list, count + 1, sizeof *list);
			if (grown == NULL)
				goto nomem;
			list = grown;
			if ((list[count] = strndup(p, (size_t)(end - p))) ==
			    NULL)
				goto nomem;
			count++;
			p = end + 1;
		}
	}
	*out = list;
	*n = count;
	return (0);
nomem:
	announce_labels_free_list(list, count);
	return (-ENOMEM);
}

/*
 * The path of a homepage.href ("http://nas.local:8080/admin?x" ->
 * "/admin"), *out NULL when it has none.
 */
int
announce_labels_href_path(const char *href, char **out)
{
	const char *p, *end;

	*out = NULL;
	if ((p = strstr(href, "://")) != NULL) {
		p += 3;
		while (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
			p++;
	} else
		p = href;
	if (*p != '/')
		return (0);
	end = p;
	while (*end != '\0' && *end != '?' && *end != '#')
		end++;
	if ((*out = strndup(p, (size_t)(end - p))) == NULL)
		return (-ENOMEM);
	return (0);
}

/*
 * A value as it is shown in a skip reason: quoted, bytes that are not
 * printable ASCII as '?', cut to ANNOUNCE_QUOTE_MAX with "..." (a reason
 * is read in a log line, not published, so cutting is safe here).
 */
char *
announce_labels_quote(const char *s, size_t len)
{
	char *q;
	size_t i, n, show;

	show = len > ANNOUNCE_QUOTE_MAX ? ANNOUNCE_QUOTE_MAX : len;
	if ((q = malloc(show + 6)) == NULL)
		return (NULL);
	n = 0;
	q[n++] = '"';
	for (i = 0; i < show; i++)
		q[n++] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
	if (show < len) {
		memcpy(q + n, "...", 3);
		n += 3;
	}
	q[n++] = '"';
	q[n] = '\0';
	return (q);
}

/*
 * A host label made from an instance name: "My Shop" -> "my-shop".
 * Anything not [a-z0-9] becomes one '-'; the result may be empty.
 */
char *
announce_labels_slug(const char *s)
{
	char *slug;
	size_t n = 0;

	if ((slug = malloc(ANNOUNCE_LABEL_MAX + 1)) == NULL)
		return (NULL);
	for (; *s != '\0' && n < ANNOUNCE_LABEL_MAX; s++) {
		if (announce_labels_alnum(*s))
			slug[n++] = announce_labels_lower(*s);
		else if (n > 0 && slug[n - 1] != '-')
			slug[n++] = '-';
	}
	while (n > 0 && slug[n - 1] == '-')
		n--;
	slug[n] = '\0';
	return (slug);
}
