/*
 * Unit tests of backends/http.c: the failure paths a real engine will not
 * produce on demand (no socket, refused, body over the cap, a server that
 * never answers, a stream's end, cancel and free from inside callbacks).
 * The happy paths are tested against real dockerd and Podman in
 * tests/integration/test_engine.sh.
 *
 * The server here is a forked child in its own process group, one more
 * fork per connection, answering by path; teardown kills the group.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
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

#include "http.h"

struct fx {
	char dir[64];
	char sock[96];
	pid_t server;
	struct event_base *base;
	struct http *http;
};

struct result {
	int calls;
	int result;
	long status;
	char *body;
	size_t len;
	char header[64];
	char err[128];
	int data_calls;
	char data[4096];
	size_t data_len;
	int headers_calls;
	bool data_before_headers;
	/* What the callbacks do to show they are safe. */
	struct http_request *cancel_other;
	struct http_request *self;
	bool cancel_self;
	bool free_http;
	bool get_again;
	struct fx *fx;
	struct result *again;
	int stop_after; /* loopbreak when this many done */
};

static int done_total;

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
server_conn(int fd)
{
	char req[4096], path[256], *big;
	size_t len = 0;
	ssize_t n;
	int i;

	while (len < sizeof req - 1) {
		n = read(fd, req + len, sizeof req - 1 - len);
		if (n <= 0)
			_exit(0);
		len += n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (sscanf(req, "GET %255s", path) != 1)
		_exit(0);

	if (strcmp(path, "/small") == 0) {
		server_write(fd,
		    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		    "X-Test: yes\r\nAPI-Version: 1.41\r\n\r\nhello");
	} else if (strcmp(path, "/missing") == 0) {
		server_write(fd,
		    "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 2\r\n\r\n{}");
	} else if (strcmp(path, "/big") == 0) {
		big = malloc(100001);
		memset(big, 'a', 100000);
		big[100000] = '\0';
		server_write(fd,
		    "HTTP/1.1 200 OK\r\n"
		    "Content-Length: 100000\r\n\r\n");
		server_write(fd, big);
		free(big);
	} else if (strcmp(path, "/stream") == 0) {
		/* Close-delimited, as a stream ends when the engine goes. */
		server_write(
		    fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		for (i = 0; i < 3; i++) {
			server_write(fd, "line\n");
			usleep(20000);
		}
	} else if (strcmp(path, "/slow") == 0) {
		server_write(
		    fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		for (i = 0; i < 200; i++) {
			server_write(fd, "tick\n");
			usleep(20000);
		}
	} else if (strcmp(path, "/hang") == 0) {
		sleep(30);
	}
	_exit(0);
}

static void
server_run(int lfd)
{
	int fd;

	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (fork() == 0) {
			close(lfd);
			server_conn(fd);
		}
		close(fd);
	}
}

static int
setup(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct fx *fx;
	int lfd;

	fx = calloc(1, sizeof *fx);
	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/pl-http-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->sock, sizeof fx->sock, "%s/s.sock", fx->dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", fx->sock);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(lfd, 16), 0);
	fx->server = fork();
	assert_true(fx->server >= 0);
	if (fx->server == 0) {
		setpgid(0, 0);
		server_run(lfd);
	}
	setpgid(fx->server, fx->server);
	close(lfd);

	fx->base = event_base_new();
	assert_non_null(fx->base);
	fx->http = http_new(fx->base);
	assert_non_null(fx->http);
	done_total = 0;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	http_free(fx->http);
	event_base_free(fx->base);
	kill(-fx->server, SIGKILL);
	waitpid(fx->server, NULL, 0);
	unlink(fx->sock);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
run(struct fx *fx, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

static void
on_done(struct http_request *req, int result, long status, const char *body,
    size_t len, void *arg)
{
	struct result *r = arg;
	const char *h;

	r->calls++;
	r->result = result;
	r->status = status;
	if (body != NULL) {
		r->body = malloc(len + 1);
		memcpy(r->body, body, len + 1);
		r->len = len;
	}
	snprintf(r->err, sizeof r->err, "%s", http_request_error(req));
	h = http_request_header(req, "x-TEST");
	if (h != NULL)
		snprintf(r->header, sizeof r->header, "%s", h);
	if (r->cancel_self)
		http_cancel(req); /* a no-op in done_cb */
	if (r->cancel_other != NULL)
		http_cancel(r->cancel_other);
	if (r->get_again)
		r->again->self = http_get(r->fx->http, r->fx->sock, "/small",
		    1024, 2000, on_done, r->again);
	if (r->free_http) {
		http_free(r->fx->http);
		r->fx->http = NULL;
	}
	if (++done_total >= r->stop_after && r->stop_after > 0)
		event_base_loopbreak(r->fx->base);
}

static int
on_headers(struct http_request *req, long status, void *arg)
{
	struct result *r = arg;

	r->headers_calls++;
	return 0;
}

static int
on_data(struct http_request *req, const char *buf, size_t len, void *arg)
{
	struct result *r = arg;

	if (r->headers_calls == 0)
		r->data_before_headers = true;
	r->data_calls++;
	if (r->data_len + len < sizeof r->data) {
		memcpy(r->data + r->data_len, buf, len);
		r->data_len += len;
	}
	if (r->cancel_other != NULL) {
		http_cancel(r->cancel_other);
		r->cancel_other = NULL;
	}
	if (r->cancel_self)
		http_cancel(req);
	if (r->free_http) {
		http_free(r->fx->http);
		r->fx->http = NULL;
	}
	return 0;
}

static void
test_no_socket(void **state)
{
	struct fx *fx = *state;
	struct result r = {.fx = fx, .stop_after = 1};

	assert_non_null(http_get(fx->http, "/nonexistent/pl-http.sock",
	    "/_ping", 1024, 2000, on_done, &r));
	assert_int_equal(r.calls, 0); /* never before returning */
	run(fx, 3000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.result, -ENOENT);
	assert_null(r.body);
}

static void
test_refused(void **state)
{
	struct fx *fx = *state;
	struct result r = {.fx = fx, .stop_after = 1};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char path[100];
	int fd;

	/* Bound but not listening: connect() is refused. */
	snprintf(path, sizeof path, "%s/dead.sock", fx->dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_non_null(
	    http_get(fx->http, path, "/_ping", 1024, 2000, on_done, &r));
	run(fx, 3000);
	close(fd);
	unlink(path);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.result, -ECONNREFUSED);
}

static void
test_small_and_404(void **state)
{
	struct fx *fx = *state;
	struct result a = {.fx = fx, .stop_after = 2};
	struct result b = {.fx = fx, .stop_after = 2};

	assert_non_null(
	    http_get(fx->http, fx->sock, "/small", 1024, 2000, on_done, &a));
	assert_non_null(
	    http_get(fx->http, fx->sock, "/missing", 1024, 2000, on_done, &b));
	run(fx, 3000);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.result, 0);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body, "hello");
	assert_int_equal(a.len, 5);
	assert_string_equal(a.header, "yes");
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.result, 0);
	assert_int_equal(b.status, 404);
	assert_string_equal(b.body, "{}");
	free(a.body);
	free(b.body);
}

static void
test_body_over_cap(void **state)
{
	struct fx *fx = *state;
	struct result r = {.fx = fx, .stop_after = 1};
	struct result ok = {.fx = fx};

	assert_non_null(
	    http_get(fx->http, fx->sock, "/big", 1024, 2000, on_done, &r));
	run(fx, 3000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.result, -EMSGSIZE);
	assert_null(r.body);

	/* Exactly at the cap is fine. */
	done_total = 0;
	ok.stop_after = 1;
	assert_non_null(
	    http_get(fx->http, fx->sock, "/big", 100000, 2000, on_done, &ok));
	run(fx, 3000);
	assert_int_equal(ok.result, 0);
	assert_int_equal(ok.len, 100000);
	free(ok.body);
}

static void
test_timeout(void **state)
{
	struct fx *fx = *state;
	struct result r = {.fx = fx, .stop_after = 1};

	assert_non_null(
	    http_get(fx->http, fx->sock, "/hang", 1024, 200, on_done, &r));
	run(fx, 3000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.result, -ETIMEDOUT);
	assert_string_not_equal(r.err, ""); /* curl's words, for logs */
}

static void
test_stream_end(void **state)
{
	struct fx *fx = *state;
	struct result r = {.fx = fx, .stop_after = 1};
	struct http_request *req;

	req = http_stream(fx->http, fx->sock, "/stream", on_data, on_done, &r);
	assert_non_null(req);
	http_request_set_headers_cb(req, on_headers);
	run(fx, 3000);
	/* A clean end of a stream is still reported. */
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.status, 200);
	assert_null(r.body);
	assert_int_equal(r.headers_calls, 1);
	assert_false(r.data_before_headers);
	assert_int_equal(r.data_len, 15);
	assert_memory_equal(r.data, "line\nline\nline\n", 15);
}

static void
test_cancel_inside_data(void **state)
{
	struct fx *fx = *state;
	struct result a = {.fx = fx, .cancel_self = true};
	struct result b = {.fx = fx};
	struct http_request *hang;

	hang = http_get(fx->http, fx->sock, "/hang", 1024, 5000, on_done, &b);
	assert_non_null(hang);
	a.cancel_other = hang;
	assert_non_null(
	    http_stream(fx->http, fx->sock, "/slow", on_data, on_done, &a));
	run(fx, 1500); /* wide: the first slice, on a loaded machine too */
	/* Cancelled from inside: one slice, and no done_cb for either. */
	assert_int_equal(a.data_calls, 1);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
}

static void
test_get_inside_done(void **state)
{
	struct fx *fx = *state;
	struct result second = {.fx = fx, .stop_after = 2};
	struct result first = {.fx = fx,
	    .cancel_self = true,
	    .get_again = true,
	    .again = &second,
	    .stop_after = 2};

	assert_non_null(http_get(
	    fx->http, fx->sock, "/small", 1024, 2000, on_done, &first));
	run(fx, 3000);
	assert_int_equal(first.calls, 1);
	assert_int_equal(second.calls, 1);
	assert_int_equal(second.result, 0);
	assert_string_equal(second.body, "hello");
	free(first.body);
	free(second.body);
}

static void
test_free_inside_callbacks(void **state)
{
	struct fx *fx = *state;
	struct result a = {.fx = fx, .free_http = true};
	struct result b = {.fx = fx};

	/* The other request must end silently with the http object. */
	assert_non_null(
	    http_get(fx->http, fx->sock, "/hang", 1024, 5000, on_done, &b));
	assert_non_null(
	    http_stream(fx->http, fx->sock, "/slow", on_data, on_done, &a));
	run(fx, 1500); /* wide: the first slice, on a loaded machine too */
	assert_null(fx->http);
	assert_int_equal(a.data_calls, 1);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
}

static void
test_free_inside_done(void **state)
{
	struct fx *fx = *state;
	struct result a = {.fx = fx, .free_http = true, .stop_after = 1};

	assert_non_null(
	    http_get(fx->http, fx->sock, "/small", 1024, 2000, on_done, &a));
	run(fx, 3000);
	assert_null(fx->http);
	assert_int_equal(a.calls, 1);
	free(a.body);
}

static void
test_cancel_outside(void **state)
{
	struct fx *fx = *state;
	struct result r = {.fx = fx};
	struct http_request *req;

	req = http_stream(fx->http, fx->sock, "/slow", on_data, on_done, &r);
	assert_non_null(req);
	run(fx, 100);
	http_cancel(req); /* from the top: freed at once */
	run(fx, 200);
	assert_int_equal(r.calls, 0);
	assert_true(r.data_calls <= 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_no_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_small_and_404, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_body_over_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_cancel_inside_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_get_inside_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_free_inside_callbacks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_free_inside_done, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_cancel_outside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
