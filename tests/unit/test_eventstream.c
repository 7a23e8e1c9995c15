/*
 * Unit tests of the /events reader on the streams captured from real
 * Docker and Podman (tests/fixtures/events-*.jsonl): the same events come
 * out however the bytes are sliced, lines over the cap are skipped whole
 * without losing the next one, and garbage is reported, not fatal.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eventstream.h"
#include "fixture.h"

#define CAP (64 * 1024)

/* Everything the callbacks saw, one line per event or error. */
struct record {
	char *text;
	size_t len;
	FILE *f;
	int events;
	int errors;
};

static void
record_event(const struct engine_event *ev, void *arg)
{
	struct record *r = arg;

	assert_non_null(ev->type);
	assert_non_null(ev->action);
	assert_non_null(ev->id);
	assert_non_null(ev->container);
	assert_null(strchr(ev->action, ':'));
	fprintf(r->f, "E %s|%s|%s|%s|%s|%s|%lld|%lld\n", ev->type, ev->action,
	    ev->id, ev->container, ev->name ? ev->name : "-",
	    ev->health ? ev->health : "-", (long long)ev->time,
	    (long long)ev->time_nano);
	r->events++;
}

static void
record_error(const char *reason, void *arg)
{
	struct record *r = arg;

	assert_non_null(reason);
	fprintf(r->f, "X %s\n", reason);
	r->errors++;
}

static struct eventstream *
record_start(struct record *r, size_t cap)
{
	struct eventstream *es;

	memset(r, 0, sizeof *r);
	r->f = open_memstream(&r->text, &r->len);
	assert_non_null(r->f);
	es = eventstream_new(cap, record_event, record_error, r);
	assert_non_null(es);
	return es;
}

static void
record_end(struct record *r, struct eventstream *es)
{
	eventstream_free(es);
	fclose(r->f);
}

/* Feeds buf cut at each offset in cuts (ascending), then frees. */
static void
feed_cuts(struct record *r, const char *buf, size_t len, const size_t *cuts,
    size_t ncuts, size_t cap)
{
	struct eventstream *es = record_start(r, cap);
	size_t i, at = 0;

	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		assert_int_equal(eventstream_feed(es, buf + at, to - at), 0);
		at = to;
	}
	record_end(r, es);
}

static void
feed_whole(struct record *r, const char *buf, size_t len, size_t cap)
{
	feed_cuts(r, buf, len, NULL, 0, cap);
}

static size_t
count_lines(const char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* The offset just past the newline ending the line that starts at at. */
static size_t
next_line(const char *buf, size_t len, size_t at)
{
	const char *nl = memchr(buf + at, '\n', len - at);

	return nl != NULL ? (size_t)(nl - buf) + 1 : len;
}

/*
 * Between lines the reader holds nothing, so cutting the whole stream at
 * offset k behaves as cutting the line around k with its neighbours.  This
 * checks every offset of the stream that way, in linear time (the literal
 * whole-stream version below is quadratic, too slow under ASan).
 */
static void
check_split_windows(const char *name, const char *buf, size_t len)
{
	struct record want, r;
	size_t prev = 0, start = 0, end, wend, k, cut;

	while (start < len) {
		end = next_line(buf, len, start);
		wend = end < len ? next_line(buf, len, end) : len;
		feed_whole(&want, buf + prev, wend - prev, CAP);
		for (k = start; k <= end; k++) {
			cut = k - prev;
			feed_cuts(&r, buf + prev, wend - prev, &cut, 1, CAP);
			if (r.len != want.len ||
			    memcmp(r.text, want.text, r.len) != 0)
				fail_msg("%s: split at %zu differs", name, k);
			free(r.text);
		}
		free(want.text);
		prev = start;
		start = end;
	}
}

static void
check_fixture_slicings(const char *name)
{
	struct record whole, r;
	size_t len, k;
	char *buf;

	buf = fixture_read(name, &len);
	feed_whole(&whole, buf, len, CAP);
	assert_int_equal(whole.errors, 0);
	assert_int_equal((size_t)whole.events, count_lines(buf, len));

	check_split_windows(name, buf, len);
#ifndef __SANITIZE_ADDRESS__
	/*
	 * Literally: the whole stream in two slices, cut at every offset;
	 * quadratic, so only for the smaller captures (ctest's 120 s limit).
	 */
	for (k = 0; len <= 32 * 1024 && k <= len; k++) {
		feed_cuts(&r, buf, len, &k, 1, CAP);
		if (r.len != whole.len || memcmp(r.text, whole.text, r.len))
			fail_msg("%s: split at %zu differs", name, k);
		free(r.text);
	}
#endif

	/* Byte by byte. */
	{
		struct eventstream *es = record_start(&r, CAP);

		for (k = 0; k < len; k++)
			assert_int_equal(eventstream_feed(es, buf + k, 1), 0);
		record_end(&r, es);
		assert_int_equal(r.len, whole.len);
		assert_memory_equal(r.text, whole.text, r.len);
		free(r.text);
	}
	free(whole.text);
	free(buf);
}

static void
test_docker_slicings(void **state)
{
	check_fixture_slicings("events-docker.jsonl");
}

static void
test_podman_slicings(void **state)
{
	check_fixture_slicings("events-podman.jsonl");
}

/* Does the record hold a line starting with prefix? */
static int
has_line(const struct record *r, const char *prefix)
{
	const char *p = r->text;
	size_t n = strlen(prefix);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, n) == 0)
			return 1;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

/* What the engines' own events turn into. */
static void
test_docker_fields(void **state)
{
	struct record r;
	size_t len;
	char *buf;

	buf = fixture_read("events-docker.jsonl", &len);
	feed_whole(&r, buf, len, CAP);
	free(buf);
	/* "health_status: healthy" is split into action and health. */
	assert_true(has_line(&r, "E container|health_status|"));
	assert_false(has_line(&r, "E container|health_status|-"));
	assert_true(strstr(r.text, "|health_status|") != NULL);
	assert_true(strstr(r.text, "|plcap-d-life2|healthy|") != NULL);
	assert_true(strstr(r.text, "|plcap-d-life-bad|unhealthy|") != NULL);
	assert_true(has_line(&r, "E container|exec_start|"));
	assert_true(has_line(&r, "E container|rename|"));
	assert_true(has_line(&r, "E container|pause|"));
	assert_true(has_line(&r, "E container|unpause|"));
	assert_true(has_line(&r, "E container|destroy|"));
	assert_true(has_line(&r, "E network|connect|"));
	assert_true(has_line(&r, "E network|disconnect|"));
	free(r.text);
}

/* A network event: the container comes from Attributes.container. */
static void
test_network_event(void **state)
{
	static const char docker[] =
	    "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":"
	    "\"net1\",\"Attributes\":{\"container\":\"c1\",\"name\":\"plnet\","
	    "\"type\":\"bridge\"}},\"scope\":\"local\",\"time\":17,"
	    "\"timeNano\":17000000005}\n";
	static const char podman[] =
	    "{\"status\":\"disconnect\",\"id\":\"c2\",\"Type\":\"network\","
	    "\"Action\":\"disconnect\",\"Actor\":{\"ID\":\"c2\",\"Attributes\":"
	    "{\"name\":\"web\",\"podId\":\"\"}},\"time\":18}\r\n";
	static const char health[] =
	    "{\"Type\":\"container\",\"Action\":\"health_status\",\"Actor\":"
	    "{\"ID\":\"c3\",\"Attributes\":{\"name\":\"h\"}},\"time\":19,"
	    "\"timeNano\":19000000000,\"HealthStatus\":\"unhealthy\"}\n";
	static const char noname[] = "{\"Type\":\"container\",\"Action\":"
				     "\"die\",\"Actor\":{\"ID\":\"c4\"},"
				     "\"timeNano\":21000000001}\n";
	struct record r;
	struct eventstream *es = record_start(&r, CAP);

	assert_int_equal(eventstream_feed(es, docker, sizeof docker - 1), 0);
	assert_int_equal(eventstream_feed(es, podman, sizeof podman - 1), 0);
	assert_int_equal(eventstream_feed(es, health, sizeof health - 1), 0);
	assert_int_equal(eventstream_feed(es, noname, sizeof noname - 1), 0);
	record_end(&r, es);
	assert_string_equal(r.text,
	    "E network|connect|net1|c1|plnet|-|17|17000000005\n"
	    "E network|disconnect|c2|c2|web|-|18|0\n"
	    "E container|health_status|c3|c3|h|unhealthy|19|19000000000\n"
	    "E container|die|c4|c4|-|-|21|21000000001\n");
	free(r.text);
}

static void
test_podman_fields(void **state)
{
	struct record r;
	size_t len;
	char *buf;

	buf = fixture_read("events-podman.jsonl", &len);
	feed_whole(&r, buf, len, CAP);
	free(buf);
	assert_true(strstr(r.text, "|plcap-p-health-ok|healthy|") != NULL);
	assert_true(strstr(r.text, "|plcap-p-health-ok|starting|") != NULL);
	assert_true(strstr(r.text, "|plcap-p-health-bad|unhealthy|") != NULL);
	assert_true(has_line(&r, "E container|remove|"));
	assert_true(has_line(&r, "E container|init|"));
	assert_true(has_line(&r, "E network|connect|"));
	assert_true(strstr(r.text, "|plcap-p-life2|-|") != NULL);
	free(r.text);
}

/*
 * What each event asks of its container.  A health result, even
 * "unhealthy", only asks for an inspect: portlight.health=ignore keeps an
 * unhealthy container announced, and Podman's event carries the status
 * from before its check.
 */
static void
test_effect(void **state)
{
	static const struct {
		const char *type, *action, *health;
		enum eventstream_effect want;
	} cases[] = {
	    {"container", "start", NULL, EVENTSTREAM_INSPECT},
	    {"container", "unpause", NULL, EVENTSTREAM_INSPECT},
	    {"container", "restart", NULL, EVENTSTREAM_INSPECT},
	    {"container", "rename", NULL, EVENTSTREAM_INSPECT},
	    {"container", "health_status", "healthy", EVENTSTREAM_INSPECT},
	    {"container", "health_status", "unhealthy", EVENTSTREAM_INSPECT},
	    {"container", "health_status", "starting", EVENTSTREAM_INSPECT},
	    {"container", "health_status", NULL, EVENTSTREAM_INSPECT},
	    {"container", "die", NULL, EVENTSTREAM_GONE},
	    {"container", "stop", NULL, EVENTSTREAM_GONE},
	    {"container", "destroy", NULL, EVENTSTREAM_GONE},
	    {"container", "remove", NULL, EVENTSTREAM_GONE},
	    {"container", "pause", NULL, EVENTSTREAM_GONE},
	    {"container", "kill", NULL, EVENTSTREAM_NONE},
	    {"container", "oom", NULL, EVENTSTREAM_NONE},
	    {"container", "create", NULL, EVENTSTREAM_NONE},
	    {"container", "init", NULL, EVENTSTREAM_NONE},
	    {"container", "cleanup", NULL, EVENTSTREAM_NONE},
	    {"container", "exec_start", NULL, EVENTSTREAM_NONE},
	    {"network", "connect", NULL, EVENTSTREAM_INSPECT},
	    {"network", "disconnect", NULL, EVENTSTREAM_INSPECT},
	    {"network", "create", NULL, EVENTSTREAM_NONE},
	    {"network", "destroy", NULL, EVENTSTREAM_NONE},
	    {"image", "pull", NULL, EVENTSTREAM_NONE},
	    {"volume", "destroy", NULL, EVENTSTREAM_NONE},
	};
	struct engine_event ev;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&ev, 0, sizeof ev);
		ev.type = cases[i].type;
		ev.action = cases[i].action;
		ev.health = cases[i].health;
		ev.id = ev.container = "c1";
		if (eventstream_effect(&ev) != cases[i].want)
			fail_msg("%s %s %s: effect %d, expected %d",
			    cases[i].type, cases[i].action,
			    cases[i].health ? cases[i].health : "-",
			    (int)eventstream_effect(&ev), (int)cases[i].want);
	}
	memset(&ev, 0, sizeof ev);
	assert_int_equal(eventstream_effect(&ev), EVENTSTREAM_NONE);
	ev.type = "container";
	assert_int_equal(eventstream_effect(&ev), EVENTSTREAM_NONE);
}

/* A line over the cap is skipped whole; the next is still read. */
static void
test_cap(void **state)
{
	static const char ev[] =
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":"
	    "\"abc\"},\"time\":1}";
	size_t cap = sizeof ev - 1; /* ev fits exactly */
	struct eventstream *es;
	struct record r;
	char *big;
	size_t i, n = 3 * cap + 7;

	big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	big[0] = '{';

	/* whole, then sliced in several ways */
	for (i = 1; i <= n + 1; i += (i < 200 ? 1 : 97)) {
		size_t at;

		es = record_start(&r, cap);
		assert_int_equal(eventstream_feed(es, ev, cap), 0);
		assert_int_equal(eventstream_feed(es, "\n", 1), 0);
		for (at = 0; at < n; at += i)
			assert_int_equal(eventstream_feed(es, big + at,
					     at + i < n ? i : n - at),
			    0);
		assert_int_equal(eventstream_feed(es, "\r\n", 2), 0);
		assert_int_equal(eventstream_feed(es, ev, cap), 0);
		assert_int_equal(eventstream_feed(es, "\n", 1), 0);
		record_end(&r, es);
		assert_int_equal(r.events, 2);
		assert_int_equal(r.errors, 1);
		assert_string_equal(r.text,
		    "E container|start|abc|abc|-|-|1|0\n"
		    "X line longer than the cap, skipped\n"
		    "E container|start|abc|abc|-|-|1|0\n");
		free(r.text);
	}
	/* The cap counts every byte before the newline, a CR too. */
	es = record_start(&r, cap);
	assert_int_equal(eventstream_feed(es, ev, cap), 0);
	assert_int_equal(eventstream_feed(es, "\r\n", 2), 0);
	record_end(&r, es);
	assert_int_equal(r.errors, 1);
	free(r.text);
	free(big);
}

static void
test_garbage(void **state)
{
	static const char stream[] =
	    "\n"
	    "\r\n"
	    "   \t \n"
	    "not json\n"
	    "{nope}\n"
	    "{\"Type\":\"container\"\n"
	    "[1,2]\n"
	    "42\n"
	    "{}\n"
	    "{\"Type\":\"container\",\"Action\":\"start\"}\n"
	    "{\"Type\":5,\"Action\":\"start\",\"Actor\":{\"ID\":\"a\"}}\n"
	    "{\"Type\":\"container\",\"Action\":\"\",\"Actor\":{\"ID\":\"a\"}}"
	    "\n"
	    "{\"Type\":\"container\",\"Action\":\" : x\",\"Actor\":{\"ID\":"
	    "\"a\"}}\n"
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":"
	    "\"a\"}}"
	    " {}\n"
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":"
	    "\"a\","
	    "\"Attributes\":{\"name\":7}},\"time\":\"x\"}\n"
	    "{\"Type\":\"container\",\"status\":\"stop\",\"id\":\"b\"}\n"
	    "{\"Type\":\"container\",\"Action\":\"health_status: \","
	    "\"Actor\":{\"ID\":\"c\"}}\n"
	    "{\"Type\":\"container\",\"Action\":\"kill\",\"Actor\":{\"ID\":"
	    "\"d\"}}";
	struct eventstream *es;
	struct record r;

	es = record_start(&r, CAP);
	assert_int_equal(eventstream_feed(es, stream, sizeof stream - 1), 0);
	/* The last line has no newline yet: held back. */
	assert_int_equal(r.events, 3);
	eventstream_reset(es);
	assert_int_equal(eventstream_feed(es, "\n", 1), 0);
	record_end(&r, es);
	assert_int_equal(r.events, 3);
	assert_int_equal(r.errors, 11);
	assert_string_equal(r.text,
	    "X line is not a JSON object\n"
	    "X line is not JSON\n"
	    "X line is truncated JSON\n"
	    "X line is not a JSON object\n"
	    "X line is not a JSON object\n"
	    "X not an engine event (no Type, Action or Actor.ID)\n"
	    "X not an engine event (no Type, Action or Actor.ID)\n"
	    "X not an engine event (no Type, Action or Actor.ID)\n"
	    "X not an engine event (no Type, Action or Actor.ID)\n"
	    "X not an engine event (empty action)\n"
	    "X data after the JSON object on a line\n"
	    "E container|start|a|a|-|-|0|0\n"
	    "E container|stop|b|b|-|-|0|0\n"
	    "E container|health_status|c|c|-|-|0|0\n");
	free(r.text);

	/* NUL bytes and no callbacks at all. */
	es = eventstream_new(16, NULL, NULL, NULL);
	assert_non_null(es);
	assert_int_equal(eventstream_feed(es, "{\"a\0\":1}\n\0\n", 11), 0);
	assert_int_equal(eventstream_feed(es, "0123456789abcdefgh\n", 19), 0);
	eventstream_free(es);
	eventstream_free(NULL);
	assert_null(eventstream_new(0, NULL, NULL, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docker_slicings),
	    cmocka_unit_test(test_podman_slicings),
	    cmocka_unit_test(test_docker_fields),
	    cmocka_unit_test(test_podman_fields),
	    cmocka_unit_test(test_network_event),
	    cmocka_unit_test(test_effect),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
