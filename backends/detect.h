/*
 * detect: where the container engines of this host listen, with no
 * configuration (issue 4, "Auto-detection").
 *
 * detect_candidates() is pure: from the environment values, our uid, the
 * /run/user folders and two callbacks (read a small file; resolve a path
 * to the socket it names, if one is there) it builds the ordered,
 * de-duplicated list of candidate socket paths and says where each came
 * from.  The order is the issue's:
 *
 *   DOCKER_HOST, the Docker context (DOCKER_CONTEXT, else currentContext
 *   in $DOCKER_CONFIG/config.json, default ~/.docker), /var/run/docker.sock,
 *   $XDG_RUNTIME_DIR/docker.sock, CONTAINER_HOST, /run/podman/podman.sock,
 *   $XDG_RUNTIME_DIR/podman/podman.sock, and as root for every numeric
 *   folder of /run/user (ascending): UID/podman/podman.sock, UID/docker.sock.
 *
 * Without a usable XDG_RUNTIME_DIR (unset, empty or relative), a non-root
 * user's runtime folder is taken to be /run/user/UID, where logind makes
 * it and where rootless Podman looks too; root then has none of its own.
 * DOCKER_HOST and DOCKER_CONTEXT are both listed when both are set: we
 * watch every engine, not the one the docker CLI would pick.
 *
 * Every candidate is listed whether or not a socket is there now (the
 * socket watcher needs the whole set); "real" says whether one is.  Two
 * candidates are one when their paths are equal or resolve to the same
 * socket (podman-docker's /var/run/docker.sock -> /run/podman/podman.sock):
 * the first in the order is kept, the other's path goes to aliases.
 *
 * detect_gather() is the thin I/O half: it reads the real environment and
 * file system into a struct detect_input.  detect_run() does both.
 */
#ifndef DETECT_H
#define DETECT_H

#include <stddef.h>

#define DETECT_NO_UID ((unsigned)-1)

enum detect_source {
	DETECT_DOCKER_HOST = 0, /* $DOCKER_HOST */
	DETECT_DOCKER_CONTEXT, /* the selected Docker context's endpoint */
	DETECT_DOCKER_SYSTEM, /* /var/run/docker.sock */
	DETECT_DOCKER_ROOTLESS, /* $XDG_RUNTIME_DIR/docker.sock */
	DETECT_CONTAINER_HOST, /* $CONTAINER_HOST */
	DETECT_PODMAN_SYSTEM, /* /run/podman/podman.sock */
	DETECT_PODMAN_ROOTLESS, /* $XDG_RUNTIME_DIR/podman/podman.sock */
	DETECT_USER_PODMAN, /* as root: /run/user/UID/podman/podman.sock */
	DETECT_USER_DOCKER, /* as root: /run/user/UID/docker.sock */
};

/*
 * Reads a whole (small) file into a malloc'd NUL-terminated string.
 * Returns 0, -ENOENT when there is no such file, or another -errno.
 */
typedef int (*detect_read_cb)(const char *path, char **text, void *arg);
/*
 * When path names a socket that exists now, sets *real to its canonical
 * path (malloc'd) and returns 0; otherwise returns -ENOENT (or -errno).
 */
typedef int (*detect_resolve_cb)(const char *path, char **real, void *arg);

struct detect_input {
	const char *docker_host; /* NULL or "" when unset */
	const char *docker_context;
	const char *container_host;
	const char *xdg_runtime_dir;
	/* Folder of config.json and contexts/; NULL: no Docker config. */
	const char *docker_config;
	/*
	 * Prefixed to the fixed paths (/var/run/..., /run/...): "" or NULL
	 * on a real host, a scratch folder in tests.
	 */
	const char *sysroot;
	unsigned uid; /* our effective uid */
	const unsigned *user_uids; /* numeric folders of /run/user */
	size_t nuser_uids;
	detect_read_cb read_file; /* NULL: no file can be read */
	detect_resolve_cb resolve; /* NULL: nothing resolves */
	void *arg; /* for both callbacks */

	/* detect_gather()'s own copies, freed by detect_input_clear(). */
	char *owned[8];
	unsigned *owned_uids;
};

struct detect_candidate {
	char *path; /* as found: "/var/run/docker.sock" */
	char *real; /* the socket it is now, or NULL */
	enum detect_source source;
	unsigned uid; /* DETECT_USER_*: whose; else DETECT_NO_UID */
	char *context; /* DETECT_DOCKER_CONTEXT: its name */
};

struct detect_list {
	struct detect_candidate *v;
	size_t n;
	/*
	 * Things the caller should log once (warnings), e.g. a config.json
	 * that is not JSON or a context whose endpoint is tcp://; the
	 * candidate concerned is skipped, the rest still found.
	 */
	char **notes;
	size_t nnotes;
	/*
	 * Candidates left out as another name of an earlier one's socket
	 * (podman-docker's symlink): no engine of their own, but the watcher
	 * watches their folders too, so that a socket that replaces the link
	 * later is seen.
	 */
	char **aliases;
	size_t naliases;
};

/*
 * Fills out (which the caller clears with detect_list_clear).  Returns 0;
 * -EINVAL with a message in err naming the variable when DOCKER_HOST,
 * CONTAINER_HOST or the context named by DOCKER_CONTEXT is not a unix
 * socket (or DOCKER_CONTEXT names no context); -ENOMEM.
 */
int detect_candidates(const struct detect_input *in, struct detect_list *out,
    char *err, size_t errlen);
void detect_list_clear(struct detect_list *l);
/* The candidate for path (as found or resolved), or NULL. */
const struct detect_candidate *detect_list_find(
    const struct detect_list *l, const char *path);

/* "DOCKER_HOST", "docker-context", "docker-system", ... */
const char *detect_source_name(enum detect_source source);
/*
 * Where a candidate came from, for logs: "DOCKER_HOST",
 * "docker context \"ci\"", "rootless podman of uid 1000", ...
 */
void detect_describe(const struct detect_candidate *c, char *buf, size_t len);

/*
 * I/O: reads getenv(), the Docker config folder ($DOCKER_CONFIG, else
 * $HOME/.docker, else the home folder of our uid), geteuid() and, as root,
 * the numeric folders of SYSROOT/run/user.  Installs callbacks that read
 * files (capped at 1 MiB) and resolve with stat()+realpath().  sysroot is
 * NULL on a real host.  Clear with detect_input_clear().
 */
int detect_gather(struct detect_input *in, const char *sysroot);
void detect_input_clear(struct detect_input *in);
/* detect_gather() + detect_candidates() + detect_input_clear(). */
int detect_run(
    const char *sysroot, struct detect_list *out, char *err, size_t errlen);

#endif
