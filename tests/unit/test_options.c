/*
 * Unit tests of the command line: every option, the command words, the
 * engine address rules and the messages a user sees for mistakes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define ARGV(...) ((char *[]){"portlight", __VA_ARGS__, NULL})

static int
parse(char **argv, struct options *o, char *err)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	return options_parse(argc, argv, o, err, 256);
}

static void
test_defaults(void **state)
{
	char *argv[] = {"portlight", NULL};
	struct options o;
	char err[256];

	assert_int_equal(options_parse(1, argv, &o, err, sizeof err), 0);
	assert_int_equal(o.command, OPTIONS_RUN);
	assert_int_equal(o.nhosts, 0);
	assert_true(o.autodetect);
	assert_false(o.all);
	assert_int_equal(o.log_level, LOG_LEVEL_INFO);
	assert_int_equal(o.engine_grace_ms, 30000);
	options_free(&o);
}

static void
test_hosts(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(ARGV("run", "-H", "unix:///tmp/a.sock", "--host",
				   "/tmp/b.sock", "--host=unix:///tmp/c.sock"),
			     &o, err),
	    0);
	assert_int_equal(o.command, OPTIONS_RUN);
	assert_int_equal(o.nhosts, 3);
	assert_string_equal(o.hosts[0], "/tmp/a.sock");
	assert_string_equal(o.hosts[1], "/tmp/b.sock");
	assert_string_equal(o.hosts[2], "/tmp/c.sock");
	assert_false(o.autodetect);
	options_free(&o);

	assert_int_equal(
	    parse(ARGV("-H", "/tmp/a.sock", "--autodetect"), &o, err), 0);
	assert_true(o.autodetect);
	options_free(&o);
}

static void
test_host_schemes(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(
	    parse(ARGV("-H", "tcp://10.0.0.1:2375"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "only unix://"));
	assert_non_null(strstr(err, "tcp://"));
	options_free(&o);
	assert_int_equal(parse(ARGV("-H", "ssh://me@host"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "ssh://"));
	options_free(&o);
	assert_int_equal(parse(ARGV("-H", "relative.sock"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "absolute"));
	options_free(&o);
}

static void
test_socket_path_names_variable(void **state)
{
	char err[256], *path = NULL;

	assert_int_equal(options_socket_path("tcp://1.2.3.4:2375",
			     "DOCKER_HOST", &path, err, sizeof err),
	    -EINVAL);
	assert_non_null(strstr(err, "DOCKER_HOST"));
	assert_null(path);
	assert_int_equal(options_socket_path("unix:///run/docker.sock",
			     "DOCKER_HOST", &path, err, sizeof err),
	    0);
	assert_string_equal(path, "/run/docker.sock");
	free(path);
}

static void
test_list(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(ARGV("list", "--json", "-a"), &o, err), 0);
	assert_int_equal(o.command, OPTIONS_LIST);
	assert_true(o.json);
	assert_true(o.all);
	options_free(&o);
	/* Options before the command word work too. */
	assert_int_equal(parse(ARGV("--json", "list"), &o, err), 0);
	assert_int_equal(o.command, OPTIONS_LIST);
	options_free(&o);
	assert_int_equal(parse(ARGV("--json"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "--json"));
	options_free(&o);
}

static void
test_log_level_and_grace(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(
	    parse(
		ARGV("--log-level", "DEBUG", "--engine-grace", "2.5"), &o, err),
	    0);
	assert_int_equal(o.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(o.engine_grace_ms, 2500);
	options_free(&o);
	assert_int_equal(
	    parse(ARGV("-l", "warn", "--engine-grace=0s"), &o, err), 0);
	assert_int_equal(o.log_level, LOG_LEVEL_WARN);
	assert_int_equal(o.engine_grace_ms, 0);
	options_free(&o);
	assert_int_equal(parse(ARGV("--log-level", "loud"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "loud"));
	options_free(&o);
	assert_int_equal(parse(ARGV("--engine-grace", "-1"), &o, err), -EINVAL);
	options_free(&o);
	assert_int_equal(
	    parse(ARGV("--engine-grace", "soon"), &o, err), -EINVAL);
	options_free(&o);
}

static void
test_help_version_and_mistakes(void **state)
{
	struct options o;
	char err[256];

	assert_int_equal(parse(ARGV("--help"), &o, err), 0);
	assert_int_equal(o.command, OPTIONS_HELP);
	options_free(&o);
	assert_int_equal(parse(ARGV("-V"), &o, err), 0);
	assert_int_equal(o.command, OPTIONS_VERSION);
	options_free(&o);
	assert_int_equal(parse(ARGV("frobnicate"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "frobnicate"));
	options_free(&o);
	assert_int_equal(parse(ARGV("--bogus"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "--bogus"));
	options_free(&o);
	assert_int_equal(parse(ARGV("-H"), &o, err), -EINVAL);
	options_free(&o);
	assert_int_equal(parse(ARGV("list", "extra"), &o, err), -EINVAL);
	assert_non_null(strstr(err, "extra"));
	options_free(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_hosts),
	    cmocka_unit_test(test_host_schemes),
	    cmocka_unit_test(test_socket_path_names_variable),
	    cmocka_unit_test(test_list),
	    cmocka_unit_test(test_log_level_and_grace),
	    cmocka_unit_test(test_help_version_and_mistakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
