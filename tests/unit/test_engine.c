/*
 * Unit tests of backends/engine.c for what no real engine here will do:
 * answer /_ping with an API version older than 1.40 or newer than ours,
 * or refuse the /events subscription.  Everything else about the engine
 * is tested against real dockerd and Podman (tests/integration/
 * test_engine.sh).
 *
 * The server is a forked child in its own process group (one more fork
 * per connection) that answers by path and appends every path it was
 * asked for to a file, so the test can check what was requested.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "engine.h"
#include "http.h"
#include "log.h"

struct fx {
	char dir[64];
	char sock[96];
	char log[96];
	pid_t server;
	struct event_base *base;
	struct http *http;
	struct engine *engine;
	enum engine_state states[16];
	int nstates;
	int syncs;
};

/* The loop test_dead_socket_logged_once breaks from its state callback. */
static struct event_base *engine_base_for_test;

/* What the server says to /_ping: set before setup forks. */
static const char *ping_headers;

static void
server_write(int fd, const char *s)
{
	size_t off = 0, len = strlen(s);
	ssize_t n;

	while (off < len) {
		n = write(fd, s + off, len - off);
		if (n <= 0)
			_exit(0);
		off += n;
	}
}

static void
server_conn(int fd, const char *log)
{
	char req[4096], path[512], line[600];
	size_t len = 0;
	ssize_t n;
	int lfd;

	while (len < sizeof req - 1) {
		n = read(fd, req + len, sizeof req - 1 - len);
		if (n <= 0)
			_exit(0);
		len += n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (sscanf(req, "GET %511s", path) != 1)
		_exit(0);
	lfd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600);
	snprintf(line, sizeof line, "%s\n", path);
	server_write(lfd, line);
	close(lfd);

	if (strcmp(path, "/_ping") == 0) {
		server_write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n");
		server_write(fd, ping_headers);
		server_write(fd, "\r\nOK");
	} else if (strstr(path, "/info") != NULL) {
		server_write(fd,
		    "HTTP/1.1 200 OK\r\nContent-Length: 35\r\n\r\n"
		    "{\"ID\":\"abc\",\"DockerRootDir\":\"/r\"}\n\n");
	} else {
		server_write(fd,
		    "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 2\r\n\r\n{}");
	}
	_exit(0);
}

static int
setup(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct fx *fx;
	int lfd, fd;

	fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/pl-engunit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->sock, sizeof fx->sock, "%s/s.sock", fx->dir);
	snprintf(fx->log, sizeof fx->log, "%s/paths", fx->dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", fx->sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(lfd, 16), 0);
	fx->server = fork();
	assert_true(fx->server >= 0);
	if (fx->server == 0) {
		setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);
		for (;;) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				continue;
			if (fork() == 0) {
				close(lfd);
				server_conn(fd, fx->log);
			}
			close(fd);
		}
	}
	setpgid(fx->server, fx->server);
	close(lfd);

	log_init(LOG_LEVEL_ERROR);
	fx->base = event_base_new();
	fx->http = http_new(fx->base);
	assert_non_null(fx->http);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	engine_free(fx->engine);
	http_free(fx->http);
	event_base_free(fx->base);
	kill(-fx->server, SIGKILL);
	waitpid(fx->server, NULL, 0);
	unlink(fx->sock);
	unlink(fx->log);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
on_container(struct engine *e, struct instance *inst, void *arg)
{
	fail_msg("no container expected");
}

static void
on_gone(struct engine *e, const char *id, void *arg)
{
	fail_msg("no gone expected");
}

static void
on_sync(struct engine *e, enum engine_sync phase, void *arg)
{
	struct fx *fx = arg;

	fx->syncs++;
}

static void
on_state(struct engine *e, enum engine_state state, void *arg)
{
	struct fx *fx = arg;

	if (fx->nstates < 16)
		fx->states[fx->nstates++] = state;
	/* The first BACKOFF is as far as these tests go. */
	if (state == ENGINE_BACKOFF)
		event_base_loopbreak(fx->base);
}

static void
run_engine(struct fx *fx)
{
	struct engine_cbs cbs = {
	    .container_cb = on_container,
	    .gone_cb = on_gone,
	    .sync_cb = on_sync,
	    .state_cb = on_state,
	};
	struct timeval tv = {5, 0};

	fx->engine = engine_new(fx->base, fx->http, fx->sock, &cbs, fx);
	assert_non_null(fx->engine);
	assert_int_equal(engine_get_state(fx->engine), ENGINE_DISCONNECTED);
	assert_string_equal(engine_name(fx->engine), "engine");
	assert_int_equal(engine_start(fx->engine), 0);
	assert_int_equal(engine_start(fx->engine), -EALREADY);
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

static bool
requested(struct fx *fx, const char *path)
{
	char line[600];
	bool found = false;
	FILE *f;

	f = fopen(fx->log, "r");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, path) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

/* Docker 1.39 and older: a clear error, back off, nothing else asked. */
static void
test_api_too_old(void **state)
{
	struct fx *fx;

	ping_headers = "API-Version: 1.39\r\n";
	setup(state);
	fx = *state;
	run_engine(fx);
	assert_int_equal(fx->nstates, 2);
	assert_int_equal(fx->states[0], ENGINE_CONNECTING);
	assert_int_equal(fx->states[1], ENGINE_BACKOFF);
	assert_int_equal(engine_get_kind(fx->engine), ENGINE_KIND_DOCKER);
	assert_null(engine_api_version(fx->engine));
	assert_int_equal(fx->syncs, 0);
	assert_true(requested(fx, "/_ping"));
	assert_false(requested(fx, "/v1.39/info"));
	teardown(state);
}

/*
 * A newer server: we speak ours (1.43).  Podman by its header, its ID
 * from the storage root.  A refused /events is a BACKOFF with no sync.
 */
static void
test_api_newer_podman(void **state)
{
	struct fx *fx;

	ping_headers = "Api-Version: 1.45\r\nLibpod-Api-Version: 5.0.0\r\n";
	setup(state);
	fx = *state;
	run_engine(fx);
	assert_int_equal(fx->nstates, 3);
	assert_int_equal(fx->states[1], ENGINE_LISTING);
	assert_int_equal(fx->states[2], ENGINE_BACKOFF);
	assert_int_equal(engine_get_kind(fx->engine), ENGINE_KIND_PODMAN);
	assert_string_equal(engine_name(fx->engine), "podman");
	assert_string_equal(engine_api_version(fx->engine), "1.43");
	assert_string_equal(engine_id(fx->engine), "podman:/r");
	assert_int_equal(fx->syncs, 0);
	assert_true(requested(fx, "/v1.43/info"));
	assert_true(requested(fx,
	    "/v1.43/events?filters=%7B%22type%22%3A%5B"
	    "%22container%22%2C%22network%22%5D%7D"));
	teardown(state);
}

/* Docker 1.41: its /info ID as is. */
static void
test_api_docker(void **state)
{
	struct fx *fx;

	ping_headers = "Api-Version: 1.41\r\n";
	setup(state);
	fx = *state;
	run_engine(fx);
	assert_int_equal(engine_get_kind(fx->engine), ENGINE_KIND_DOCKER);
	assert_string_equal(engine_api_version(fx->engine), "1.41");
	assert_string_equal(engine_id(fx->engine), "abc");
	assert_true(requested(fx, "/v1.41/info"));
	/* engine_resync from the top reconnects at once. */
	fx->nstates = 0;
	engine_resync(fx->engine);
	assert_int_equal(fx->states[0], ENGINE_CONNECTING);
	teardown(state);
}

static void
on_state_count(struct engine *e, enum engine_state state, void *arg)
{
	int *backoffs = arg;

	if (state == ENGINE_BACKOFF && ++*backoffs == 3)
		event_base_loopbreak(engine_base_for_test);
}

/*
 * A socket that keeps failing the same way (nothing listens) is a warning
 * once, not one per retry; the retries go to debug.
 */
static void
test_dead_socket_logged_once(void **state)
{
	struct engine_cbs cbs = {
	    .container_cb = on_container,
	    .gone_cb = on_gone,
	    .state_cb = on_state_count,
	};
	struct timeval tv = {10, 0};
	struct engine *e;
	struct http *http;
	char dir[] = "/tmp/pl-engunit-XXXXXX", sock[64], line[1024];
	int backoffs = 0, warns = 0, saved;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/absent.sock", dir);
	engine_base_for_test = event_base_new();
	http = http_new(engine_base_for_test);
	assert_non_null(http);
	e = engine_new(engine_base_for_test, http, sock, &cbs, &backoffs);
	assert_non_null(e);

	f = tmpfile();
	assert_non_null(f);
	saved = dup(STDERR_FILENO);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	log_init(LOG_LEVEL_INFO);
	assert_int_equal(engine_start(e), 0);
	event_base_loopexit(engine_base_for_test, &tv);
	event_base_dispatch(engine_base_for_test);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	log_init(LOG_LEVEL_ERROR);

	assert_int_equal(backoffs, 3);
	rewind(f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strstr(line, "-> BACKOFF") != NULL) {
			assert_non_null(strstr(line, "warn"));
			assert_non_null(strstr(line, sock));
			warns++;
		}
	}
	fclose(f);
	assert_int_equal(warns, 1);

	engine_free(e);
	http_free(http);
	event_base_free(engine_base_for_test);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dead_socket_logged_once),
	    cmocka_unit_test(test_api_too_old),
	    cmocka_unit_test(test_api_newer_podman),
	    cmocka_unit_test(test_api_docker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
