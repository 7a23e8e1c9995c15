/*
 * detect: the candidate engine sockets of this host, in issue 4's order.
 *
 * The first half is pure (detect_candidates and its helpers): everything
 * it knows of the world comes in through struct detect_input, including
 * the two callbacks that read a file and resolve a path, so the unit tests
 * drive it from tables.  The second half (detect_gather) is the only code
 * here that touches the environment and the file system.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "detect.h"
#include "jsonget.h"
#include "sha256.h"

/* config.json and meta.json are tiny; anything bigger is not theirs. */
#define DETECT_FILE_MAX (1024 * 1024)

static const char *const detect_source_names[] = {
    [DETECT_DOCKER_HOST] = "DOCKER_HOST",
    [DETECT_DOCKER_CONTEXT] = "docker-context",
    [DETECT_DOCKER_SYSTEM] = "docker-system",
    [DETECT_DOCKER_ROOTLESS] = "docker-rootless",
    [DETECT_CONTAINER_HOST] = "CONTAINER_HOST",
    [DETECT_PODMAN_SYSTEM] = "podman-system",
    [DETECT_PODMAN_ROOTLESS] = "podman-rootless",
    [DETECT_USER_PODMAN] = "user-podman",
    [DETECT_USER_DOCKER] = "user-docker",
};

const char *
detect_source_name(enum detect_source source)
{
	if ((size_t)source >=
	    sizeof detect_source_names / sizeof detect_source_names[0])
		return "unknown";
	return detect_source_names[source];
}

void
detect_describe(const struct detect_candidate *c, char *buf, size_t len)
{
	switch (c->source) {
	case DETECT_DOCKER_HOST:
	case DETECT_CONTAINER_HOST:
		snprintf(buf, len, "%s", detect_source_name(c->source));
		break;
	case DETECT_DOCKER_CONTEXT:
		snprintf(buf, len, "docker context \"%s\"",
		    c->context != NULL ? c->context : "");
		break;
	case DETECT_DOCKER_SYSTEM:
		snprintf(buf, len, "system docker");
		break;
	case DETECT_DOCKER_ROOTLESS:
		snprintf(buf, len, "rootless docker");
		break;
	case DETECT_PODMAN_SYSTEM:
		snprintf(buf, len, "system podman");
		break;
	case DETECT_PODMAN_ROOTLESS:
		snprintf(buf, len, "rootless podman");
		break;
	case DETECT_USER_PODMAN:
		snprintf(buf, len, "rootless podman of uid %u", c->uid);
		break;
	case DETECT_USER_DOCKER:
		snprintf(buf, len, "rootless docker of uid %u", c->uid);
		break;
	default:
		snprintf(buf, len, "unknown");
		break;
	}
}

static int detect_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
detect_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int detect_note(struct detect_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
detect_note(struct detect_list *l, const char *fmt, ...)
{
	va_list ap;
	char **notes, *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	notes = realloc(l->notes, (l->nnotes + 1) * sizeof *notes);
	if (notes == NULL) {
		free(s);
		return -ENOMEM;
	}
	l->notes = notes;
	l->notes[l->nnotes++] = s;
	return 0;
}

/*
 * Joins the parts into one path with single slashes and no trailing
 * slash, so that "/run/user/1000/" from XDG_RUNTIME_DIR and "/run/user"
 * + "1000" compare equal as strings.  Does not resolve "." or "..":
 * resolving is the resolve callback's job.
 */
static char *
detect_path(const char *first, ...)
{
	va_list ap;
	const char *part;
	char *out, *w;
	size_t len = 1;

	va_start(ap, first);
	for (part = first; part != NULL; part = va_arg(ap, const char *))
		len += strlen(part) + 1;
	va_end(ap);
	if ((out = malloc(len)) == NULL)
		return NULL;

	w = out;
	va_start(ap, first);
	for (part = first; part != NULL; part = va_arg(ap, const char *)) {
		if (w != out && *part != '\0')
			*w++ = '/';
		for (; *part != '\0'; part++) {
			if (*part == '/' && w != out && w[-1] == '/')
				continue;
			*w++ = *part;
		}
	}
	va_end(ap);
	*w = '\0';
	while (w > out + 1 && w[-1] == '/')
		*--w = '\0';
	return out;
}

/*
 * An engine address as Docker and Podman write it, to a socket path:
 * "unix:///run/x.sock", or a bare absolute path as -H also accepts.
 */
static int
detect_address(const char *address, char **path, char *err, size_t errlen,
    const char *what)
{
	const char *p = address, *colon;

	if (strncmp(address, "unix://", 7) == 0)
		p = address + 7;
	else if ((colon = strstr(address, "://")) != NULL) {
		return detect_fail(err, errlen,
		    "%s: \"%s\": only unix:// engine sockets are supported "
		    "(%.*s:// is not)",
		    what, address, (int)(colon - address), address);
	}
	if (*p != '/') {
		return detect_fail(err, errlen,
		    "%s: \"%s\": expected unix:///absolute/path", what,
		    address);
	}
	if ((*path = detect_path(p, NULL)) == NULL)
		return -ENOMEM;
	return 0;
}

static bool
detect_set(const char *s)
{
	return s != NULL && *s != '\0';
}

/*
 * Adds path (which it takes) unless an earlier candidate or alias is the
 * same.
 */
static int
detect_add(const struct detect_input *in, struct detect_list *l, char *path,
    enum detect_source source, unsigned uid, const char *context)
{
	struct detect_candidate *c, *v;
	char *real = NULL, **aliases;
	size_t i;

	if (path == NULL)
		return -ENOMEM;
	for (i = 0; i < l->naliases; i++) {
		if (strcmp(l->aliases[i], path) == 0) {
			free(path);
			return 0;
		}
	}
	if (in->resolve != NULL && in->resolve(path, &real, in->arg) != 0)
		real = NULL;
	for (i = 0; i < l->n; i++) {
		c = &l->v[i];
		if (strcmp(c->path, path) == 0) {
			free(path);
			free(real);
			return 0;
		}
		if (real != NULL && c->real != NULL &&
		    strcmp(c->real, real) == 0) {
			free(real);
			aliases = realloc(
			    l->aliases, (l->naliases + 1) * sizeof *aliases);
			if (aliases == NULL) {
				free(path);
				return -ENOMEM;
			}
			l->aliases = aliases;
			l->aliases[l->naliases++] = path;
			return 0;
		}
	}
	if ((v = realloc(l->v, (l->n + 1) * sizeof *v)) == NULL)
		goto nomem;
	l->v = v;
	c = &l->v[l->n];
	memset(c, 0, sizeof *c);
	if (context != NULL && (c->context = strdup(context)) == NULL)
		goto nomem;
	c->path = path;
	c->real = real;
	c->source = source;
	c->uid = uid;
	l->n++;
	return 0;

nomem:
	free(path);
	free(real);
	return -ENOMEM;
}

/* Parses JSON text; NULL when it is not JSON. */
static struct json_object *
detect_json(const char *text)
{
	struct json_tokener *tok;
	struct json_object *root;

	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (root != NULL &&
	    json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/*
 * The context's name from config.json.  Returns 0 with *name NULL when
 * there is none; a config that cannot be read or parsed is a note, as the
 * Docker CLI would refuse it but other engines must still be found.
 */
static int
detect_current_context(
    const struct detect_input *in, struct detect_list *l, char **name)
{
	struct json_object *root;
	const char *s;
	char *path, *text = NULL;
	int error;

	*name = NULL;
	if (in->read_file == NULL)
		return 0;
	if ((path = detect_path(in->docker_config, "config.json", NULL)) ==
	    NULL)
		return -ENOMEM;
	error = in->read_file(path, &text, in->arg);
	if (error == -ENOENT) {
		free(path);
		return 0;
	}
	if (error != 0) {
		error = detect_note(l,
		    "%s: cannot be read (%s), ignoring its currentContext",
		    path, strerror(-error));
		free(path);
		return error;
	}
	if ((root = detect_json(text)) == NULL ||
	    !json_object_is_type(root, json_type_object)) {
		error = detect_note(l,
		    "%s: not a JSON object, ignoring its currentContext", path);
	} else if ((s = jsonget_string(root, "currentContext")) != NULL &&
	    *s != '\0' && (*name = strdup(s)) == NULL)
		error = -ENOMEM;
	json_object_put(root);
	free(text);
	free(path);
	return error;
}

/*
 * Finds the endpoint of context name.  Docker keeps each context in
 * contexts/meta/<sha256 of the name in hex>/meta.json, as
 * {"Name": …, "Endpoints": {"docker": {"Host": "unix:///…"}}}.
 * Returns 0 with *path set, or -EINVAL with the reason in why.
 */
static int
detect_context_path(const struct detect_input *in, const char *name,
    char **path, char *why, size_t whylen)
{
	struct json_object *root, *docker;
	char hex[SHA256_HEX_LEN + 1], *meta, *text = NULL;
	const char *host;
	int error;

	*path = NULL;
	sha256_hex(name, strlen(name), hex);
	meta = detect_path(
	    in->docker_config, "contexts", "meta", hex, "meta.json", NULL);
	if (meta == NULL)
		return -ENOMEM;
	error = in->read_file != NULL ? in->read_file(meta, &text, in->arg)
				      : -ENOENT;
	if (error == -ENOENT) {
		error = detect_fail(
		    why, whylen, "no such Docker context (no %s)", meta);
		free(meta);
		return error;
	}
	if (error != 0) {
		error = detect_fail(why, whylen, "%s: cannot be read (%s)",
		    meta, strerror(-error));
		free(meta);
		return error;
	}
	root = detect_json(text);
	docker = jsonget_member(jsonget_member(root, "Endpoints"), "docker");
	if ((host = jsonget_string(docker, "Host")) == NULL) {
		error = detect_fail(
		    why, whylen, "%s: no Endpoints.docker.Host string", meta);
	} else
		error = detect_address(host, path, why, whylen, "endpoint");
	json_object_put(root);
	free(text);
	free(meta);
	return error;
}

/*
 * The Docker context: DOCKER_CONTEXT is explicit, so a problem with it
 * is an error; a currentContext in config.json is only a note.  The
 * context "default" is DOCKER_HOST or /var/run/docker.sock, already in
 * the list.
 */
static int
detect_context(const struct detect_input *in, struct detect_list *l, char *err,
    size_t errlen)
{
	char why[1024], *name = NULL, *path, *config = NULL;
	bool explicit = detect_set(in->docker_context);
	int error;

	if (explicit) {
		if ((name = strdup(in->docker_context)) == NULL)
			return -ENOMEM;
	} else if (in->docker_config != NULL) {
		if ((error = detect_current_context(in, l, &name)) != 0)
			return error;
	}
	if (name == NULL || strcmp(name, "default") == 0) {
		free(name);
		return 0;
	}
	if (explicit && in->docker_config == NULL) {
		error = detect_fail(err, errlen,
		    "DOCKER_CONTEXT: \"%s\": no Docker config folder "
		    "(neither DOCKER_CONFIG nor HOME is set)",
		    name);
		free(name);
		return error;
	}

	error = detect_context_path(in, name, &path, why, sizeof why);
	if (error == 0)
		error = detect_add(
		    in, l, path, DETECT_DOCKER_CONTEXT, DETECT_NO_UID, name);
	else if (error == -EINVAL && explicit) {
		detect_fail(
		    err, errlen, "DOCKER_CONTEXT: \"%s\": %s", name, why);
	} else if (error == -EINVAL) {
		config = detect_path(in->docker_config, "config.json", NULL);
		error = config == NULL ? -ENOMEM
				       : detect_note(l,
					     "%s: currentContext \"%s\": %s, "
					     "skipping it",
					     config, name, why);
	}
	free(config);
	free(name);
	return error;
}

static int
detect_uid_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* As root: the rootless engines of every user with a runtime folder. */
static int
detect_users(
    const struct detect_input *in, struct detect_list *l, const char *sysroot)
{
	unsigned *uids;
	char name[16];
	size_t i;
	int error = 0;

	if (in->nuser_uids == 0)
		return 0;
	if ((uids = calloc(in->nuser_uids, sizeof *uids)) == NULL)
		return -ENOMEM;
	memcpy(uids, in->user_uids, in->nuser_uids * sizeof *uids);
	qsort(uids, in->nuser_uids, sizeof *uids, detect_uid_cmp);
	for (i = 0; error == 0 && i < in->nuser_uids; i++) {
		if (i > 0 && uids[i] == uids[i - 1])
			continue;
		snprintf(name, sizeof name, "%u", uids[i]);
		error = detect_add(in, l,
		    detect_path(sysroot, "/run/user", name, "podman",
			"podman.sock", NULL),
		    DETECT_USER_PODMAN, uids[i], NULL);
		if (error == 0) {
			error = detect_add(in, l,
			    detect_path(sysroot, "/run/user", name,
				"docker.sock", NULL),
			    DETECT_USER_DOCKER, uids[i], NULL);
		}
	}
	free(uids);
	return error;
}

int
detect_candidates(const struct detect_input *in, struct detect_list *out,
    char *err, size_t errlen)
{
	const char *sysroot = in->sysroot != NULL ? in->sysroot : "";
	char *path, *xdg = NULL, uidname[16];
	int error = 0;

	memset(out, 0, sizeof *out);
	if (err != NULL && errlen > 0)
		*err = '\0';

	if (detect_set(in->docker_host)) {
		error = detect_address(
		    in->docker_host, &path, err, errlen, "DOCKER_HOST");
		if (error == 0)
			error = detect_add(in, out, path, DETECT_DOCKER_HOST,
			    DETECT_NO_UID, NULL);
	}
	if (error == 0)
		error = detect_context(in, out, err, errlen);
	if (error == 0)
		error = detect_add(in, out,
		    detect_path(sysroot, "/var/run/docker.sock", NULL),
		    DETECT_DOCKER_SYSTEM, DETECT_NO_UID, NULL);

	/*
	 * Without XDG_RUNTIME_DIR (su without a login session), a user's
	 * engines are still where systemd-logind puts the runtime folder,
	 * which is also where rootless Podman looks.
	 */
	if (detect_set(in->xdg_runtime_dir) && *in->xdg_runtime_dir == '/')
		xdg = detect_path(in->xdg_runtime_dir, NULL);
	else if (in->uid != 0) {
		snprintf(uidname, sizeof uidname, "%u", in->uid);
		xdg = detect_path(sysroot, "/run/user", uidname, NULL);
	}
	if (error == 0 && xdg != NULL)
		error =
		    detect_add(in, out, detect_path(xdg, "docker.sock", NULL),
			DETECT_DOCKER_ROOTLESS, DETECT_NO_UID, NULL);

	if (error == 0 && detect_set(in->container_host)) {
		error = detect_address(
		    in->container_host, &path, err, errlen, "CONTAINER_HOST");
		if (error == 0)
			error = detect_add(in, out, path, DETECT_CONTAINER_HOST,
			    DETECT_NO_UID, NULL);
	}
	if (error == 0)
		error = detect_add(in, out,
		    detect_path(sysroot, "/run/podman/podman.sock", NULL),
		    DETECT_PODMAN_SYSTEM, DETECT_NO_UID, NULL);
	if (error == 0 && xdg != NULL)
		error = detect_add(in, out,
		    detect_path(xdg, "podman", "podman.sock", NULL),
		    DETECT_PODMAN_ROOTLESS, DETECT_NO_UID, NULL);
	if (error == 0 && in->uid == 0)
		error = detect_users(in, out, sysroot);

	free(xdg);
	if (error != 0) {
		if (error == -ENOMEM && err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		detect_list_clear(out);
	}
	return error;
}

void
detect_list_clear(struct detect_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].real);
		free(l->v[i].context);
	}
	for (i = 0; i < l->nnotes; i++)
		free(l->notes[i]);
	for (i = 0; i < l->naliases; i++)
		free(l->aliases[i]);
	free(l->v);
	free(l->notes);
	free(l->aliases);
	memset(l, 0, sizeof *l);
}

const struct detect_candidate *
detect_list_find(const struct detect_list *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].path, path) == 0 ||
		    (l->v[i].real != NULL && strcmp(l->v[i].real, path) == 0))
			return &l->v[i];
	}
	return NULL;
}

/* ---------------------------------------------------------------- I/O */

static int
detect_io_read(const char *path, char **text, void *arg)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, error;

	*text = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return -errno;
	if (fstat(fd, &st) == -1) {
		error = -errno;
		close(fd);
		return error;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > DETECT_FILE_MAX) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error = -errno;
			free(buf);
			close(fd);
			return error;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*text = buf;
	return 0;
}

static int
detect_io_resolve(const char *path, char **real, void *arg)
{
	struct stat st;

	*real = NULL;
	if (stat(path, &st) == -1)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if ((*real = realpath(path, NULL)) == NULL)
		return -errno;
	return 0;
}

static char *
detect_own(struct detect_input *in, const char *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < sizeof in->owned / sizeof in->owned[0]; i++) {
		if (in->owned[i] == NULL)
			return in->owned[i] = strdup(s);
	}
	return NULL;
}

/* An environment value we keep, or NULL when unset or empty. */
static int
detect_env(struct detect_input *in, const char *name, const char **out)
{
	const char *v = getenv(name);

	*out = NULL;
	if (!detect_set(v))
		return 0;
	if ((*out = detect_own(in, v)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
detect_docker_config(struct detect_input *in)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	struct passwd *pw;
	char *path = NULL;

	if (detect_set(dir))
		path = detect_path(dir, NULL);
	else {
		/* A system service often runs without HOME. */
		if (!detect_set(home) && (pw = getpwuid(geteuid())) != NULL)
			home = pw->pw_dir;
		if (!detect_set(home))
			return 0;
		path = detect_path(home, ".docker", NULL);
	}
	if (path == NULL)
		return -ENOMEM;
	in->docker_config = detect_own(in, path);
	free(path);
	return in->docker_config == NULL ? -ENOMEM : 0;
}

/* The numeric folders of SYSROOT/run/user: one per logged-in user. */
static int
detect_user_uids(struct detect_input *in, const char *sysroot)
{
	struct dirent *d;
	DIR *dir;
	unsigned *uids;
	char *path, *end;
	unsigned long v;
	size_t n = 0, cap = 0;

	if ((path = detect_path(sysroot, "/run/user", NULL)) == NULL)
		return -ENOMEM;
	dir = opendir(path);
	free(path);
	if (dir == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	while ((d = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
			continue;
		errno = 0;
		v = strtoul(d->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || v >= DETECT_NO_UID)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			uids = realloc(in->owned_uids, cap * sizeof *uids);
			if (uids == NULL) {
				closedir(dir);
				return -ENOMEM;
			}
			in->owned_uids = uids;
		}
		in->owned_uids[n++] = (unsigned)v;
	}
	closedir(dir);
	in->user_uids = in->owned_uids;
	in->nuser_uids = n;
	return 0;
}

int
detect_gather(struct detect_input *in, const char *sysroot)
{
	int error = -ENOMEM;

	memset(in, 0, sizeof *in);
	in->uid = (unsigned)geteuid();
	in->read_file = detect_io_read;
	in->resolve = detect_io_resolve;
	if (sysroot != NULL && (in->sysroot = detect_own(in, sysroot)) == NULL)
		goto fail;
	if ((error = detect_env(in, "DOCKER_HOST", &in->docker_host)) != 0)
		goto fail;
	error = detect_env(in, "DOCKER_CONTEXT", &in->docker_context);
	if (error != 0)
		goto fail;
	error = detect_env(in, "CONTAINER_HOST", &in->container_host);
	if (error != 0)
		goto fail;
	error = detect_env(in, "XDG_RUNTIME_DIR", &in->xdg_runtime_dir);
	if (error != 0)
		goto fail;
	if ((error = detect_docker_config(in)) != 0)
		goto fail;
	if (in->uid == 0 &&
	    (error = detect_user_uids(in, sysroot != NULL ? sysroot : "")) != 0)
		goto fail;
	return 0;

fail:
	detect_input_clear(in);
	return error;
}

void
detect_input_clear(struct detect_input *in)
{
	size_t i;

	for (i = 0; i < sizeof in->owned / sizeof in->owned[0]; i++)
		free(in->owned[i]);
	free(in->owned_uids);
	memset(in, 0, sizeof *in);
}

int
detect_run(
    const char *sysroot, struct detect_list *out, char *err, size_t errlen)
{
	struct detect_input in;
	int error;

	memset(out, 0, sizeof *out);
	if ((error = detect_gather(&in, sysroot)) != 0) {
		snprintf(err, errlen, "cannot read the environment: %s",
		    strerror(-error));
		return error;
	}
	error = detect_candidates(&in, out, err, errlen);
	detect_input_clear(&in);
	return error;
}
