/*
 * sockwatch: real inotify on a scratch folder standing in for / (the
 * sysroot), real unix sockets bound and unlinked in it, and a real
 * event_base loop; every wait has a time limit so a missed event fails
 * the test instead of hanging it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "detect.h"
#include "sockwatch.h"
#include "fixture.h"

#define WAIT_MS 3000

static char scratch[64];

struct seen {
	char lines[64][200]; /* "+source path" or "-source path" */
	size_t n;
	bool free_on_vanish;
};

static void
record(struct seen *s, char sign, const struct detect_candidate *c)
{
	if (s->n < sizeof s->lines / sizeof s->lines[0])
		snprintf(s->lines[s->n++], sizeof s->lines[0], "%c%s %s", sign,
		    detect_source_name(c->source), c->path + strlen(scratch));
}

static void
appeared(struct sockwatch *sw, const struct detect_candidate *c, void *arg)
{
	record(arg, '+', c);
}

static void
vanished(struct sockwatch *sw, const struct detect_candidate *c, void *arg)
{
	struct seen *s = arg;

	record(s, '-', c);
	if (s->free_on_vanish)
		sockwatch_free(sw);
}

static void
noted(struct sockwatch *sw, const char *message, void *arg)
{
	fprintf(stderr, "note: %s\n", message);
}

static const struct sockwatch_cbs cbs = {
    .appeared_cb = appeared,
    .vanished_cb = vanished,
    .note_cb = noted,
};

static void
timed_out(evutil_socket_t fd, short what, void *arg)
{
	*(bool *)arg = true;
}

static bool
has(const struct seen *s, const char *line)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->lines[i], line) == 0)
			return true;
	}
	return false;
}

static bool
alternates(const struct seen *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = i + 1; j < s->n; j++) {
			if (strcmp(s->lines[i] + 1, s->lines[j] + 1) != 0)
				continue;
			if (s->lines[i][0] == s->lines[j][0])
				return false;
			break;
		}
	}
	return true;
}

/* Runs the loop until line was reported, or fails after WAIT_MS. */
static void
wait_for(struct event_base *base, struct seen *s, const char *line)
{
	struct timeval tv = {WAIT_MS / 1000, (WAIT_MS % 1000) * 1000};
	struct event *guard;
	bool late = false;
	size_t i;

	guard = evtimer_new(base, timed_out, &late);
	evtimer_add(guard, &tv);
	while (!has(s, line) && !late)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
	if (!has(s, line)) {
		for (i = 0; i < s->n; i++)
			fprintf(stderr, "seen: %s\n", s->lines[i]);
		fail_msg("\"%s\" not reported within %d ms", line, WAIT_MS);
	}
}

/* Lets every pending event run, for a short while. */
static void
settle(struct event_base *base)
{
	struct timeval tv = {0, 200 * 1000};
	struct event *guard;
	bool late = false;

	guard = evtimer_new(base, timed_out, &late);
	evtimer_add(guard, &tv);
	while (!late)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
}

static void
path_of(char *buf, size_t len, const char *rel)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", scratch, rel) < len);
}

static bool
watching(const struct sockwatch *sw, const char *rel)
{
	char path[PATH_MAX];
	size_t i;

	path_of(path, sizeof path, rel);
	for (i = 0; i < sockwatch_nwatches(sw); i++) {
		if (strcmp(sockwatch_watch_path(sw, i), path) == 0)
			return true;
	}
	return false;
}

static void
make_dir(const char *rel)
{
	char path[PATH_MAX];

	path_of(path, sizeof path, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int
bind_at(const char *rel)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	path_of(sun.sun_path, sizeof sun.sun_path, rel);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static void
remove_at(const char *rel)
{
	char path[PATH_MAX];

	path_of(path, sizeof path, rel);
	assert_int_equal(remove(path), 0);
}

static int
setup(void **state)
{
	char path[PATH_MAX];

	strcpy(scratch, "/tmp/test_sockwatch.XXXXXX");
	assert_non_null(mkdtemp(scratch));
	make_dir("run");
	make_dir("run/user");
	make_dir("var");
	make_dir("xdg");
	make_dir("dc");
	/* Debian's layout: /var/run -> /run, one inode under two names. */
	path_of(path, sizeof path, "var/run");
	assert_int_equal(symlink("../run", path), 0);

	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	unsetenv("CONTAINER_HOST");
	path_of(path, sizeof path, "xdg");
	setenv("XDG_RUNTIME_DIR", path, 1);
	path_of(path, sizeof path, "dc");
	setenv("DOCKER_CONFIG", path, 1);
	return 0;
}

static int
teardown(void **state)
{
	return fixture_remove_tree(scratch);
}

static void
test_sockwatch_lifecycle(void **state)
{
	struct event_base *base;
	struct sockwatch *sw;
	struct seen *s;
	char err[512], from[PATH_MAX], to[PATH_MAX];
	int fd_pre, fd, fd_user;

	assert_non_null(s = calloc(1, sizeof *s));
	assert_non_null(base = event_base_new());

	/* Already there at start: reported by the first pass. */
	fd_pre = bind_at("xdg/docker.sock");
	assert_int_equal(
	    sockwatch_new(base, scratch, &cbs, s, &sw, err, sizeof err), 0);
	wait_for(base, s, "+docker-rootless /xdg/docker.sock");
	assert_true(sockwatch_candidates(sw)->n >= 4);
	/* /run/podman is missing: its nearest ancestor /run stands in. */
	assert_true(watching(sw, "var/run"));
	assert_true(watching(sw, "run"));
	assert_true(watching(sw, "xdg"));
	assert_false(watching(sw, "xdg/podman"));
	assert_int_equal(watching(sw, "run/user"), geteuid() == 0);

	/* Appears in /run, reported under the name /var/run/docker.sock. */
	fd = bind_at("run/docker.sock");
	wait_for(base, s, "+docker-system /var/run/docker.sock");
	remove_at("run/docker.sock");
	close(fd);
	wait_for(base, s, "-docker-system /var/run/docker.sock");

	/* A folder that did not exist, then a socket in it. */
	make_dir("xdg/podman");
	settle(base);
	assert_true(watching(sw, "xdg/podman"));
	fd = bind_at("xdg/podman/podman.sock");
	wait_for(base, s, "+podman-rootless /xdg/podman/podman.sock");

	/* Both made in one burst: the folder and, at once, the socket. */
	make_dir("run/podman");
	fd_user = bind_at("run/podman/podman.sock");
	wait_for(base, s, "+podman-system /run/podman/podman.sock");
	remove_at("run/podman/podman.sock");
	close(fd_user);
	wait_for(base, s, "-podman-system /run/podman/podman.sock");
	/* The folder itself goes: its watch is dropped, /run watched. */
	assert_true(watching(sw, "run/podman"));
	remove_at("run/podman");
	settle(base);
	assert_false(watching(sw, "run/podman"));
	assert_true(watching(sw, "run"));

	/* Renamed into place (IN_MOVED_TO). */
	remove_at("xdg/docker.sock");
	close(fd_pre);
	wait_for(base, s, "-docker-rootless /xdg/docker.sock");
	fd_pre = bind_at("xdg/tmp.sock");
	path_of(from, sizeof from, "xdg/tmp.sock");
	path_of(to, sizeof to, "xdg/docker.sock");
	assert_int_equal(rename(from, to), 0);
	wait_for(base, s, "+docker-rootless /xdg/docker.sock");

	if (geteuid() == 0) {
		/* A user logs in: /run/user/UID, then its podman socket. */
		make_dir("run/user/4321");
		settle(base);
		assert_true(watching(sw, "run/user/4321"));
		make_dir("run/user/4321/podman");
		fd_user = bind_at("run/user/4321/podman/podman.sock");
		wait_for(
		    base, s, "+user-podman /run/user/4321/podman/podman.sock");
		/* ... and out again: the whole folder goes. */
		remove_at("run/user/4321/podman/podman.sock");
		remove_at("run/user/4321/podman");
		remove_at("run/user/4321");
		close(fd_user);
		wait_for(
		    base, s, "-user-podman /run/user/4321/podman/podman.sock");
	}

	/* Each report alternates: never "+x" twice without "-x" between. */
	settle(base);
	assert_true(alternates(s));

	/* Freed from inside its own callback. */
	s->free_on_vanish = true;
	remove_at("xdg/podman/podman.sock");
	close(fd);
	wait_for(base, s, "-podman-rootless /xdg/podman/podman.sock");
	settle(base);

	close(fd_pre);
	event_base_free(base);
	free(s);
}

static void
test_sockwatch_debounce(void **state)
{
	struct event_base *base;
	struct sockwatch *sw;
	struct seen *s;
	char err[512], name[64];
	int fds[8], i;

	assert_non_null(s = calloc(1, sizeof *s));
	assert_non_null(base = event_base_new());
	assert_int_equal(
	    sockwatch_new(base, scratch, &cbs, s, &sw, err, sizeof err), 0);
	settle(base);

	/* A burst of noise and two sockets: each reported once. */
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "run/noise%d.sock", i);
		fds[i] = bind_at(name);
	}
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof name, "run/noise%d.sock", i);
		remove_at(name);
		close(fds[i]);
	}
	fds[0] = bind_at("run/docker.sock");
	fds[1] = bind_at("xdg/docker.sock");
	wait_for(base, s, "+docker-system /var/run/docker.sock");
	wait_for(base, s, "+docker-rootless /xdg/docker.sock");
	settle(base);
	assert_int_equal(s->n, 2);

	sockwatch_free(sw);
	sockwatch_free(NULL);
	remove_at("run/docker.sock");
	remove_at("xdg/docker.sock");
	close(fds[0]);
	close(fds[1]);
	settle(base);
	assert_int_equal(s->n, 2); /* nothing after free */
	event_base_free(base);
	free(s);
}

/*
 * A podman-docker style symlink is another name of a socket already
 * watched: no engine of its own, but its folder stays watched, so that
 * a real socket taking the link's place is seen.
 */
static void
test_sockwatch_alias(void **state)
{
	struct event_base *base;
	struct sockwatch *sw;
	struct seen *s;
	char err[512], path[PATH_MAX], target[PATH_MAX];
	int fd, fd2;

	assert_non_null(s = calloc(1, sizeof *s));
	assert_non_null(base = event_base_new());
	make_dir("xdg/podman");
	fd = bind_at("run/docker.sock");
	path_of(target, sizeof target, "run/docker.sock");
	path_of(path, sizeof path, "xdg/podman/podman.sock");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(
	    sockwatch_new(base, scratch, &cbs, s, &sw, err, sizeof err), 0);
	wait_for(base, s, "+docker-system /var/run/docker.sock");
	settle(base);
	assert_int_equal(s->n, 1);
	assert_int_equal(sockwatch_candidates(sw)->naliases, 1);
	assert_true(watching(sw, "xdg/podman"));

	/* The link replaced by a socket of its own: a second engine. */
	remove_at("xdg/podman/podman.sock");
	fd2 = bind_at("xdg/podman/podman.sock");
	wait_for(base, s, "+podman-rootless /xdg/podman/podman.sock");
	assert_int_equal(sockwatch_candidates(sw)->naliases, 0);

	sockwatch_free(sw);
	close(fd);
	close(fd2);
	event_base_free(base);
	free(s);
}

static void
test_sockwatch_bad_env(void **state)
{
	struct event_base *base;
	struct sockwatch *sw;
	char err[512];

	assert_non_null(base = event_base_new());
	setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
	assert_int_equal(
	    sockwatch_new(base, scratch, &cbs, NULL, &sw, err, sizeof err),
	    -EINVAL);
	unsetenv("DOCKER_HOST");
	assert_null(sw);
	assert_non_null(strstr(err, "DOCKER_HOST"));
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_sockwatch_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sockwatch_debounce, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sockwatch_alias, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_sockwatch_bad_env, setup, teardown),
	};

	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
