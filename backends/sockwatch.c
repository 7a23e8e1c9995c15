/*
 * sockwatch: inotify on the folders of the candidate engine sockets,
 * driven by the agent's event_base.  See sockwatch.h for the model.
 *
 * Each pass is a whole re-detection rather than an update from single
 * events: events only say "look again", so a missed or reordered event
 * (a folder created between our stat and our inotify_add_watch, a queue
 * overflow) costs at most one more pass, never a wrong state.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "detect.h"
#include "sockwatch.h"

#define SOCKWATCH_MASK                                                         \
	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |                 \
	    IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct sockwatch_dir {
	char *path; /* as we named it: /var/run and /run share one wd */
	int wd;
	bool keep; /* still wanted by this pass */
};

struct sockwatch {
	struct event_base *base;
	struct sockwatch_cbs cbs;
	void *arg;
	char *sysroot;
	char *users; /* SYSROOT/run/user, when root */

	int fd;
	struct event *read_ev;
	struct event *scan_ev; /* the zero-delay pass */

	struct detect_list list; /* the last pass's candidates */
	struct sockwatch_dir *dirs;
	size_t ndirs;

	char **notes; /* the last pass's, to say each once */
	size_t nnotes;

	int depth; /* inside our callbacks */
	bool dead; /* sockwatch_free() called there */
};

static void sockwatch_destroy(struct sockwatch *);

static void
sockwatch_note(struct sockwatch *sw, const char *message)
{
	if (sw->cbs.note_cb == NULL || sw->dead)
		return;
	sw->depth++;
	sw->cbs.note_cb(sw, message, sw->arg);
	sw->depth--;
}

/* Notes of this pass: say those that the last pass did not say. */
static void
sockwatch_notes(struct sockwatch *sw, char **notes, size_t nnotes)
{
	char **copy;
	size_t i, j;

	for (i = 0; i < nnotes; i++) {
		for (j = 0; j < sw->nnotes; j++) {
			if (strcmp(notes[i], sw->notes[j]) == 0)
				break;
		}
		if (j == sw->nnotes)
			sockwatch_note(sw, notes[i]);
	}
	for (j = 0; j < sw->nnotes; j++)
		free(sw->notes[j]);
	free(sw->notes);
	sw->notes = NULL;
	sw->nnotes = 0;
	if (nnotes == 0 || (copy = calloc(nnotes, sizeof *copy)) == NULL)
		return;
	for (i = 0; i < nnotes; i++) {
		if ((copy[sw->nnotes] = strdup(notes[i])) != NULL)
			sw->nnotes++;
	}
	sw->notes = copy;
}

/* Is prefix target itself or a folder on the way to it? */
static bool
sockwatch_under(const char *target, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncmp(target, prefix, len) == 0 &&
	    (target[len] == '\0' || target[len] == '/');
}

/* Is path one of the candidates, or a folder on the way to one? */
static bool
sockwatch_relevant(const struct sockwatch *sw, const char *path)
{
	const struct detect_candidate *c;
	size_t i;

	for (i = 0; i < sw->list.n; i++) {
		c = &sw->list.v[i];
		if (sockwatch_under(c->path, path) ||
		    (c->real != NULL && sockwatch_under(c->real, path)))
			return true;
	}
	for (i = 0; i < sw->list.naliases; i++) {
		if (sockwatch_under(sw->list.aliases[i], path))
			return true;
	}
	return false;
}

static bool
sockwatch_numeric(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

static void
sockwatch_schedule(struct sockwatch *sw)
{
	event_active(sw->scan_ev, 0, 0);
}

static void
sockwatch_drop_wd(struct sockwatch *sw, int wd)
{
	size_t i = 0;

	while (i < sw->ndirs) {
		if (sw->dirs[i].wd == wd) {
			free(sw->dirs[i].path);
			sw->dirs[i] = sw->dirs[--sw->ndirs];
		} else
			i++;
	}
}

static void
sockwatch_event(struct sockwatch *sw, const struct inotify_event *ev)
{
	const struct sockwatch_dir *d;
	char path[PATH_MAX];
	size_t i;

	if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF)) {
		sockwatch_schedule(sw);
		return;
	}
	if (ev->mask & IN_IGNORED) {
		/* The folder is gone (or we removed the watch ourselves). */
		for (i = 0; i < sw->ndirs; i++) {
			if (sw->dirs[i].wd == ev->wd)
				break;
		}
		if (i < sw->ndirs) {
			sockwatch_drop_wd(sw, ev->wd);
			sockwatch_schedule(sw);
		}
		return;
	}
	if (ev->len == 0)
		return;
	for (i = 0; i < sw->ndirs; i++) {
		d = &sw->dirs[i];
		if (d->wd != ev->wd)
			continue;
		if (sw->users != NULL && strcmp(d->path, sw->users) == 0 &&
		    sockwatch_numeric(ev->name)) {
			sockwatch_schedule(sw);
			return;
		}
		if ((size_t)snprintf(path, sizeof path, "%s/%s",
			strcmp(d->path, "/") == 0 ? "" : d->path,
			ev->name) >= sizeof path)
			continue;
		if (sockwatch_relevant(sw, path) ||
		    (sw->users != NULL && sockwatch_under(sw->users, path))) {
			sockwatch_schedule(sw);
			return;
		}
	}
}

static void
sockwatch_read(evutil_socket_t fd, short what, void *arg)
{
	struct sockwatch *sw = arg;
	char buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;

	for (;;) {
		n = read(sw->fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			sockwatch_event(sw, ev);
		}
	}
}

/*
 * The folder to watch for path: its parent when that exists, else the
 * nearest ancestor that does, whose changes lead us down in later passes.
 */
static char *
sockwatch_folder(const char *path)
{
	struct stat st;
	char *dir, *slash;

	if ((dir = strdup(path)) == NULL)
		return NULL;
	for (;;) {
		if ((slash = strrchr(dir, '/')) == NULL) {
			free(dir);
			return NULL;
		}
		if (slash == dir) {
			dir[1] = '\0';
			return dir;
		}
		*slash = '\0';
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return dir;
	}
}

static char *
sockwatch_self_or_folder(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return strdup(path);
	return sockwatch_folder(path);
}

/* Keeps or adds a watch on dir (taken).  Returns true when it is new. */
static bool
sockwatch_want(struct sockwatch *sw, char *dir)
{
	struct sockwatch_dir *d;
	char msg[PATH_MAX + 128];
	size_t i;
	int wd;

	if (dir == NULL)
		return false;
	for (i = 0; i < sw->ndirs; i++) {
		if (strcmp(sw->dirs[i].path, dir) == 0) {
			sw->dirs[i].keep = true;
			free(dir);
			return false;
		}
	}
	if ((wd = inotify_add_watch(sw->fd, dir, SOCKWATCH_MASK)) == -1) {
		/* Gone already: its parent's event brings another pass. */
		if (errno != ENOENT && errno != ENOTDIR) {
			snprintf(msg, sizeof msg,
			    "cannot watch %s for engine sockets: %s", dir,
			    strerror(errno));
			sockwatch_note(sw, msg);
		}
		free(dir);
		return false;
	}
	if ((d = realloc(sw->dirs, (sw->ndirs + 1) * sizeof *d)) == NULL) {
		free(dir);
		return false;
	}
	sw->dirs = d;
	sw->dirs[sw->ndirs].path = dir;
	sw->dirs[sw->ndirs].wd = wd;
	sw->dirs[sw->ndirs].keep = true;
	sw->ndirs++;
	return true;
}

/* Moves the watches to the folders of list; true when one was added. */
static bool
sockwatch_sync(struct sockwatch *sw, const struct detect_list *list)
{
	const struct detect_candidate *c;
	bool added = false;
	size_t i, j;
	int wd;

	for (i = 0; i < sw->ndirs; i++)
		sw->dirs[i].keep = false;
	if (sw->users != NULL)
		added |=
		    sockwatch_want(sw, sockwatch_self_or_folder(sw->users));
	for (i = 0; i < list->n; i++) {
		c = &list->v[i];
		added |= sockwatch_want(sw, sockwatch_folder(c->path));
		if (c->real != NULL)
			added |= sockwatch_want(sw, sockwatch_folder(c->real));
	}
	/* A symlink's folder too: a real socket may take its place. */
	for (i = 0; i < list->naliases; i++)
		added |= sockwatch_want(sw, sockwatch_folder(list->aliases[i]));

	/* Two names can share one inode and one wd (/var/run and /run). */
	i = 0;
	while (i < sw->ndirs) {
		if (sw->dirs[i].keep) {
			i++;
			continue;
		}
		wd = sw->dirs[i].wd;
		for (j = 0; j < sw->ndirs; j++) {
			if (sw->dirs[j].keep && sw->dirs[j].wd == wd)
				break;
		}
		if (j == sw->ndirs)
			inotify_rm_watch(sw->fd, wd);
		free(sw->dirs[i].path);
		sw->dirs[i] = sw->dirs[--sw->ndirs];
	}
	return added;
}

static bool
sockwatch_same(
    const struct detect_candidate *a, const struct detect_candidate *b)
{
	return strcmp(a->path, b->path) == 0 && a->real != NULL &&
	    b->real != NULL && strcmp(a->real, b->real) == 0;
}

static bool
sockwatch_has(const struct detect_list *l, const struct detect_candidate *c)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (sockwatch_same(&l->v[i], c))
			return true;
	}
	return false;
}

static void
sockwatch_scan(evutil_socket_t fd, short what, void *arg)
{
	struct sockwatch *sw = arg;
	struct detect_input in;
	struct detect_list list, old;
	char err[1024];
	size_t i;
	int error;

	sw->depth++;
	if ((error = detect_gather(&in, sw->sysroot)) != 0) {
		snprintf(err, sizeof err, "cannot read the environment: %s",
		    strerror(-error));
		sockwatch_note(sw, err);
		goto out;
	}
	error = detect_candidates(&in, &list, err, sizeof err);
	detect_input_clear(&in);
	if (error != 0) {
		/* Keep the last set: a half-written config.json is brief. */
		sockwatch_note(sw, err);
		goto out;
	}
	sockwatch_notes(sw, list.notes, list.nnotes);

	/*
	 * A folder may have been created between our stat() and the new
	 * watch: one more pass sees it (and stops adding).
	 */
	if (sockwatch_sync(sw, &list))
		sockwatch_schedule(sw);

	old = sw->list;
	sw->list = list;
	for (i = 0; i < old.n && !sw->dead; i++) {
		if (old.v[i].real != NULL && !sockwatch_has(&list, &old.v[i]) &&
		    sw->cbs.vanished_cb != NULL)
			sw->cbs.vanished_cb(sw, &old.v[i], sw->arg);
	}
	for (i = 0; i < list.n && !sw->dead; i++) {
		if (list.v[i].real != NULL &&
		    !sockwatch_has(&old, &list.v[i]) &&
		    sw->cbs.appeared_cb != NULL)
			sw->cbs.appeared_cb(sw, &list.v[i], sw->arg);
	}
	detect_list_clear(&old);

out:
	sw->depth--;
	if (sw->dead && sw->depth == 0)
		sockwatch_destroy(sw);
}

int
sockwatch_new(struct event_base *base, const char *sysroot,
    const struct sockwatch_cbs *cbs, void *arg, struct sockwatch **out,
    char *err, size_t errlen)
{
	struct sockwatch *sw;
	struct detect_list probe;
	int error;

	*out = NULL;
	/* Refuse at once what no later pass could accept. */
	if ((error = detect_run(sysroot, &probe, err, errlen)) != 0)
		return error;
	detect_list_clear(&probe);

	if ((sw = calloc(1, sizeof *sw)) == NULL)
		goto nomem;
	sw->base = base;
	sw->cbs = *cbs;
	sw->arg = arg;
	sw->fd = -1;
	if (sysroot != NULL && (sw->sysroot = strdup(sysroot)) == NULL)
		goto nomem;
	if (geteuid() == 0 &&
	    asprintf(&sw->users, "%s/run/user",
		sysroot != NULL ? sysroot : "") == -1) {
		sw->users = NULL;
		goto nomem;
	}
	if ((sw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		error = -errno;
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		sockwatch_destroy(sw);
		return error;
	}
	sw->read_ev =
	    event_new(base, sw->fd, EV_READ | EV_PERSIST, sockwatch_read, sw);
	sw->scan_ev = event_new(base, -1, 0, sockwatch_scan, sw);
	if (sw->read_ev == NULL || sw->scan_ev == NULL ||
	    event_add(sw->read_ev, NULL) != 0)
		goto nomem;
	sockwatch_schedule(sw);
	*out = sw;
	return 0;

nomem:
	snprintf(err, errlen, "out of memory");
	if (sw != NULL)
		sockwatch_destroy(sw);
	return -ENOMEM;
}

void
sockwatch_rescan(struct sockwatch *sw)
{
	sockwatch_schedule(sw);
}

const struct detect_list *
sockwatch_candidates(const struct sockwatch *sw)
{
	return &sw->list;
}

size_t
sockwatch_nwatches(const struct sockwatch *sw)
{
	return sw->ndirs;
}

const char *
sockwatch_watch_path(const struct sockwatch *sw, size_t i)
{
	return i < sw->ndirs ? sw->dirs[i].path : NULL;
}

static void
sockwatch_destroy(struct sockwatch *sw)
{
	size_t i;

	if (sw->read_ev != NULL)
		event_free(sw->read_ev);
	if (sw->scan_ev != NULL)
		event_free(sw->scan_ev);
	/* Closing the inotify fd drops all its watches. */
	if (sw->fd != -1)
		close(sw->fd);
	for (i = 0; i < sw->ndirs; i++)
		free(sw->dirs[i].path);
	free(sw->dirs);
	for (i = 0; i < sw->nnotes; i++)
		free(sw->notes[i]);
	free(sw->notes);
	detect_list_clear(&sw->list);
	free(sw->sysroot);
	free(sw->users);
	free(sw);
}

void
sockwatch_free(struct sockwatch *sw)
{
	if (sw == NULL)
		return;
	if (sw->depth > 0) {
		sw->dead = true;
		return;
	}
	sockwatch_destroy(sw);
}
