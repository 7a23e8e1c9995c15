/*
 * busaddr: the unix socket path of a D-Bus address.  See busaddr.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "busaddr.h"

static int
busaddr_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Unescapes the value v[0..n) into out.  Returns 0 or -errno. */
static int
busaddr_unescape(const char *v, size_t n, char *out, size_t outlen)
{
	size_t i, k = 0;
	int hi, lo;
	char c;

	for (i = 0; i < n; i++) {
		c = v[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -EINVAL;
			if ((hi = busaddr_hex(v[i + 1])) < 0 ||
			    (lo = busaddr_hex(v[i + 2])) < 0)
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return -EINVAL;
		if (k + 1 >= outlen)
			return -ENAMETOOLONG;
		out[k++] = c;
	}
	out[k] = '\0';
	return 0;
}

/* Looks for key "path" in the "k=v,k=v" list s[0..n). */
static int
busaddr_unix_path(const char *s, size_t n, char *out, size_t outlen)
{
	const char *end = s + n, *kv, *comma, *eq;
	int rc;

	for (kv = s; kv < end; kv = comma + 1) {
		comma = memchr(kv, ',', (size_t)(end - kv));
		if (comma == NULL)
			comma = end;
		eq = memchr(kv, '=', (size_t)(comma - kv));
		if (eq != NULL && eq - kv == 4 && memcmp(kv, "path", 4) == 0) {
			rc = busaddr_unescape(
			    eq + 1, (size_t)(comma - eq - 1), out, outlen);
			if (rc == 0 && out[0] != '/')
				rc = -EINVAL;
			return rc;
		}
	}
	return -ENOENT;
}

int
busaddr_socket_path(const char *address, char *out, size_t outlen)
{
	const char *t, *semi, *end;
	int rc;

	if (outlen == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (address == NULL)
		return -ENOENT;
	end = address + strlen(address);
	for (t = address; t < end; t = semi + 1) {
		semi = memchr(t, ';', (size_t)(end - t));
		if (semi == NULL)
			semi = end;
		if ((size_t)(semi - t) > 5 && memcmp(t, "unix:", 5) == 0) {
			rc = busaddr_unix_path(
			    t + 5, (size_t)(semi - t - 5), out, outlen);
			if (rc == 0)
				return 0;
			out[0] = '\0';
			if (rc != -ENOENT)
				return rc;
		}
	}
	return -ENOENT;
}
