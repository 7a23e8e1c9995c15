/*
 * busaddr (pure: D-Bus address -> socket path) and buswatch (real inotify
 * on a scratch folder, a real unix socket bound in it, a real event_base
 * loop with a time limit so a missed event fails instead of hanging).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "busaddr.h"
#include "buswatch.h"
#include "fixture.h"

static void
path_is(const char *address, const char *want)
{
	char out[128];

	assert_int_equal(busaddr_socket_path(address, out, sizeof out), 0);
	assert_string_equal(out, want);
}

static void
path_fails(const char *address, int want)
{
	char out[128];

	assert_int_equal(busaddr_socket_path(address, out, sizeof out), want);
	assert_string_equal(out, "");
}

static void
test_busaddr_paths(void **state)
{
	path_is(BUSADDR_SYSTEM_DEFAULT, "/var/run/dbus/system_bus_socket");
	path_is("unix:path=/tmp/pl-x/bus", "/tmp/pl-x/bus");
	/* Keys in any order, a guid, %-escapes. */
	path_is("unix:guid=0123abcd,path=/run/a%20b%2c/bus", "/run/a b,/bus");
	/* The first transport with a socket file wins. */
	path_is("tcp:host=localhost,port=1;unix:abstract=/x;"
		"unix:path=/run/second;unix:path=/run/third",
	    "/run/second");
}

static void
test_busaddr_rejects(void **state)
{
	char small[8];

	path_fails(NULL, -ENOENT);
	path_fails("", -ENOENT);
	path_fails("unix:abstract=/tmp/dbus-x", -ENOENT);
	path_fails("tcp:host=127.0.0.1,port=4000", -ENOENT);
	path_fails("unix:", -ENOENT);
	path_fails("unix:path=bus", -EINVAL); /* relative */
	path_fails("unix:path=/run/%2", -EINVAL); /* cut escape */
	path_fails("unix:path=/run/%zz", -EINVAL);
	path_fails("unix:path=/run/%00x", -EINVAL); /* NUL */
	assert_int_equal(
	    busaddr_socket_path("unix:path=/a/long/path", small, sizeof small),
	    -ENAMETOOLONG);
	assert_int_equal(
	    busaddr_socket_path("unix:path=/a", small, 0), -ENAMETOOLONG);
}

/* ------------------------------------------------------------ buswatch */

static char scratch[64];

static int
setup(void **state)
{
	snprintf(scratch, sizeof scratch, "/tmp/test_bus.XXXXXX");
	assert_non_null(mkdtemp(scratch));
	return 0;
}

static int
teardown(void **state)
{
	return fixture_remove_tree(scratch);
}

static void
counted(void *arg)
{
	(*(int *)arg)++;
}

static void
bind_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd);
}

/* Runs base until *n > 0 or a second has gone by. */
static void
loop_until(struct event_base *base, const int *n)
{
	int i;

	for (i = 0; i < 100 && *n == 0; i++) {
		struct timeval tv = {0, 10 * 1000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static void
test_buswatch_sees_the_socket(void **state)
{
	struct event_base *base = event_base_new();
	struct buswatch *w;
	char path[128], other[128];
	int n = 0;

	assert_non_null(base);
	snprintf(path, sizeof path, "%s/bus", scratch);
	snprintf(other, sizeof other, "%s/bus2", scratch);
	assert_non_null(w = buswatch_new(base, path, counted, &n));
	/* Another file in the folder is not the bus. */
	bind_socket(other);
	loop_until(base, &n);
	assert_int_equal(n, 0);
	bind_socket(path);
	loop_until(base, &n);
	assert_true(n >= 1);
	/* Again after the socket is removed and bound anew (a restart). */
	unlink(path);
	n = 0;
	bind_socket(path);
	loop_until(base, &n);
	assert_true(n >= 1);
	buswatch_free(w);
	event_base_free(base);
}

static void
test_buswatch_refuses(void **state)
{
	struct event_base *base = event_base_new();
	char path[128];
	int n = 0;

	assert_non_null(base);
	snprintf(path, sizeof path, "%s/missing/bus", scratch);
	errno = 0;
	assert_null(buswatch_new(base, path, counted, &n));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(buswatch_new(base, "bus", counted, &n));
	assert_int_equal(errno, EINVAL);
	assert_null(buswatch_new(base, "/run/", counted, &n));
	buswatch_free(NULL);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_busaddr_paths),
	    cmocka_unit_test(test_busaddr_rejects),
	    cmocka_unit_test_setup_teardown(
		test_buswatch_sees_the_socket, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_buswatch_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
