/*
 * announce_validate: the limits a record must respect before it goes to
 * Avahi.  Avahi rejects some of these (a whole entry group fails with
 * it) and silently cuts others (TXT strings over 255 bytes), so every
 * value a user wrote is checked here first and refused with a reason
 * the user can act on.  Each function returns NULL when the value is
 * valid, else a static string saying why not.
 */
#include <string.h>

#include "announce_int.h"

/*
 * Decodes one UTF-8 sequence at s (n bytes left).  Returns its length
 * and sets *cp, or 0 when it is not well-formed (overlong, surrogate,
 * beyond U+10FFFF, truncated).
 */
static size_t
announce_validate_utf8(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned long c, min;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (len);
}

const char *
announce_validate_instance_name(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, step;
	unsigned long cp;

	n = strlen(s);
	if (n == 0)
		return ("empty name");
	if (n > ANNOUNCE_NAME_MAX)
		return ("name longer than 63 bytes");
	while (n > 0) {
		if ((step = announce_validate_utf8(p, n, &cp)) == 0)
			return ("name is not valid UTF-8");
		/* C0, DEL and C1 controls: browsers show them as garbage. */
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return ("name contains a control character");
		p += step;
		n -= step;
	}
	return (NULL);
}

/* Checks "_svc._tcp": RFC 6335 service names, as Avahi wants them. */
const char *
announce_validate_type(const char *type)
{
	const char *dot;
	size_t len, i;

	if (type[0] != '_' || (dot = strchr(type + 1, '.')) == NULL)
		return ("type is not _name._tcp or _name._udp");
	if (strcmp(dot, "._tcp") != 0 && strcmp(dot, "._udp") != 0)
		return ("protocol is not _tcp or _udp");
	len = (size_t)(dot - (type + 1));
	if (len < 1 || len > 15)
		return ("service name is not 1-15 characters");
	if (type[1] < 'a' || type[1] > 'z')
		return ("service name does not start with a letter");
	for (i = 1; i <= len; i++) {
		if ((type[i] < 'a' || type[i] > 'z') &&
		    (type[i] < '0' || type[i] > '9') && type[i] != '-')
			return ("service name is not [a-z0-9-]");
		if (type[i] == '-' && (i == len || type[i + 1] == '-'))
			return ("service name has a trailing or double '-'");
	}
	return (NULL);
}

/* INSTANCE_PROTO_TCP or _UDP for a type already validated. */
int
announce_validate_type_proto(const char *type)
{
	size_t n = strlen(type);

	if (n >= 4 && strcmp(type + n - 4, "_udp") == 0)
		return (INSTANCE_PROTO_UDP);
	return (INSTANCE_PROTO_TCP);
}

/* RFC 6763 6.4: printable US-ASCII except '='. */
const char *
announce_validate_txt_key(const char *key, size_t len)
{
	size_t i;

	if (len == 0)
		return ("empty TXT key");
	for (i = 0; i < len; i++) {
		if (key[i] < 0x20 || key[i] > 0x7e)
			return ("TXT key is not printable ASCII");
		if (key[i] == '=')
			return ("TXT key contains '='");
	}
	return (NULL);
}

/*
 * One DNS label, letters-digits-hyphen: a multi-label .local name does
 * not resolve on Windows or macOS, and anything else is not a host name.
 */
const char *
announce_validate_alias(const char *label)
{
	size_t len, i;

	len = strlen(label);
	if (len == 0)
		return ("empty host name");
	if (len > ANNOUNCE_LABEL_MAX)
		return ("host name longer than 63 characters");
	for (i = 0; i < len; i++) {
		if (label[i] == '.')
			return ("host name is not a single label");
		if ((label[i] < 'a' || label[i] > 'z') &&
		    (label[i] < '0' || label[i] > '9') && label[i] != '-')
			return ("host name is not [a-z0-9-]");
	}
	if (label[0] == '-' || label[len - 1] == '-')
		return ("host name starts or ends with '-'");
	return (NULL);
}

/* A subtype label without its leading '_': "printer". */
const char *
announce_validate_subtype(const char *label, size_t len)
{
	size_t i;

	if (len == 0)
		return ("empty subtype");
	if (len + 1 > ANNOUNCE_LABEL_MAX)
		return ("subtype longer than 63 characters");
	for (i = 0; i < len; i++) {
		if ((label[i] < 'a' || label[i] > 'z') &&
		    (label[i] < 'A' || label[i] > 'Z') &&
		    (label[i] < '0' || label[i] > '9') && label[i] != '-' &&
		    label[i] != '_')
			return ("subtype is not [A-Za-z0-9_-]");
	}
	return (NULL);
}
