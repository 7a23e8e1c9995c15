/*
 * Unit tests of the AvahiPoll adapter on libevent (discovery/evpoll.c):
 * the contract Avahi's client relies on, checked on a real event_base
 * with a socketpair and real timers.  Frees from inside callbacks and the
 * final evpoll_free with things still registered are meant to be run
 * under ASan (build with -DPORTLIGHT_SANITIZE=ON).
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <event2/event.h>

#include "evpoll.h"

struct fixture {
	struct event_base *base;
	struct evpoll *ep;
	const AvahiPoll *api;
	int sv[2];
};

/* What callbacks saw, and what they should do to themselves. */
struct seen {
	const AvahiPoll *api;
	int calls;
	AvahiWatchEvent event; /* the callback's argument */
	AvahiWatchEvent got; /* watch_get_events inside the callback */
	int fd;
	int rearm; /* timeouts: re-arm this many times */
	int rearm_ms;
	bool free_self;
	bool drain; /* watches: read what is there */
	AvahiWatchEvent update_to; /* watches: update to this, if nonzero */
	AvahiWatch *other_watch; /* free this one */
	AvahiTimeout *other_timeout;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->ep = evpoll_new(f->base);
	assert_non_null(f->ep);
	f->api = evpoll_get(f->ep);
	/* Non-blocking, so that a callback's drain never hangs the test. */
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, f->sv), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	evpoll_free(f->ep);
	event_base_free(f->base);
	if (f->sv[0] >= 0)
		close(f->sv[0]);
	if (f->sv[1] >= 0)
		close(f->sv[1]);
	free(f);
	return 0;
}

/* Runs the loop for ms milliseconds (callbacks included). */
static void
run_for(struct fixture *f, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

/* An absolute time ms from now, as Avahi computes it. */
static struct timeval
in_ms(int ms)
{
	struct timeval now, d = {ms / 1000, (ms % 1000) * 1000}, t;

	gettimeofday(&now, NULL);
	timeradd(&now, &d, &t);
	return t;
}

static void
watch_cb(AvahiWatch *w, int fd, AvahiWatchEvent event, void *arg)
{
	struct seen *s = arg;
	char buf[64];

	s->calls++;
	s->event = event;
	s->fd = fd;
	s->got = s->api->watch_get_events(w);
	if (s->drain)
		(void)read(fd, buf, sizeof(buf));
	if (s->update_to != 0)
		s->api->watch_update(w, s->update_to);
	if (s->other_timeout != NULL) {
		s->api->timeout_free(s->other_timeout);
		s->other_timeout = NULL;
	}
	if (s->free_self)
		s->api->watch_free(w);
}

static void
timeout_cb(AvahiTimeout *t, void *arg)
{
	struct seen *s = arg;
	struct timeval tv;

	s->calls++;
	if (s->rearm > 0) {
		s->rearm--;
		tv = in_ms(s->rearm_ms);
		s->api->timeout_update(t, &tv);
	}
	if (s->other_watch != NULL) {
		s->api->watch_free(s->other_watch);
		s->other_watch = NULL;
	}
	if (s->free_self)
		s->api->timeout_free(t);
}

static void
test_watch_in_out(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api, .drain = true};
	AvahiWatch *w;

	w = f->api->watch_new(f->api, f->sv[0], AVAHI_WATCH_IN, watch_cb, &s);
	assert_non_null(w);
	/* Nothing to read: no call. */
	run_for(f, 50);
	assert_int_equal(s.calls, 0);
	assert_int_equal(f->api->watch_get_events(w), 0);

	assert_int_equal(write(f->sv[1], "x", 1), 1);
	run_for(f, 50);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.fd, f->sv[0]);
	assert_true(s.event & AVAHI_WATCH_IN);
	assert_false(s.event & AVAHI_WATCH_OUT);
	assert_int_equal(s.got, s.event);
	/* Outside a callback nothing has fired. */
	assert_int_equal(f->api->watch_get_events(w), 0);

	/* Persistent: fires again for new data, not for drained data. */
	assert_int_equal(write(f->sv[1], "y", 1), 1);
	run_for(f, 50);
	assert_int_equal(s.calls, 2);
	run_for(f, 50);
	assert_int_equal(s.calls, 2);

	/* Updated to OUT: a socket with room is writable at once. */
	s.calls = 0;
	f->api->watch_update(w, AVAHI_WATCH_OUT);
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_true(s.calls >= 1);
	assert_true(s.event & AVAHI_WATCH_OUT);
	assert_false(s.event & AVAHI_WATCH_IN);
	assert_int_equal(s.got, s.event);

	/* Updated to nothing: silent even with data waiting. */
	f->api->watch_update(w, 0);
	s.calls = 0;
	assert_int_equal(write(f->sv[1], "z", 1), 1);
	run_for(f, 50);
	assert_int_equal(s.calls, 0);
	/* And back to IN: the waiting byte is seen. */
	f->api->watch_update(w, AVAHI_WATCH_IN);
	run_for(f, 50);
	assert_int_equal(s.calls, 1);
	assert_true(s.event & AVAHI_WATCH_IN);
	f->api->watch_free(w);
}

static void
test_watch_hangup(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api, .update_to = 0};
	AvahiWatch *w;

	w = f->api->watch_new(f->api, f->sv[0], AVAHI_WATCH_IN, watch_cb, &s);
	assert_non_null(w);
	close(f->sv[1]);
	f->sv[1] = -1;
	/* Stop after the first call: a hung-up fd stays readable. */
	s.free_self = true;
	run_for(f, 50);
	assert_int_equal(s.calls, 1);
	assert_true(s.event & AVAHI_WATCH_IN);
	assert_true(s.event & AVAHI_WATCH_HUP);
	assert_int_equal(s.got, s.event);
}

static void
test_watch_free_in_own_callback(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api, .free_self = true};
	AvahiWatch *w;

	w = f->api->watch_new(f->api, f->sv[0], AVAHI_WATCH_IN, watch_cb, &s);
	assert_non_null(w);
	assert_int_equal(write(f->sv[1], "x", 1), 1);
	run_for(f, 50);
	assert_int_equal(s.calls, 1);
	/* Gone: more data calls nothing (ASan would see a use after free). */
	assert_int_equal(write(f->sv[1], "y", 1), 1);
	run_for(f, 50);
	assert_int_equal(s.calls, 1);
}

static void
test_watch_update_in_own_callback(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api, .update_to = AVAHI_WATCH_OUT};
	AvahiWatch *w;

	w = f->api->watch_new(f->api, f->sv[0], AVAHI_WATCH_IN, watch_cb, &s);
	assert_non_null(w);
	assert_int_equal(write(f->sv[1], "x", 1), 1);
	event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(s.calls, 1);
	assert_true(s.event & AVAHI_WATCH_IN);
	/* Now it waits for OUT, which is there: the next call says so. */
	s.update_to = 0;
	s.free_self = true;
	event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(s.calls, 2);
	assert_true(s.event & AVAHI_WATCH_OUT);
}

static void
test_timeout_disabled_armed_once(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api};
	AvahiTimeout *t;
	struct timeval tv;

	/* Created disabled. */
	t = f->api->timeout_new(f->api, NULL, timeout_cb, &s);
	assert_non_null(t);
	run_for(f, 80);
	assert_int_equal(s.calls, 0);

	/*
	 * Armed for an absolute time: fires once, then stays off.  The
	 * margins are wide: "not yet" must hold on a loaded machine too.
	 */
	tv = in_ms(300);
	f->api->timeout_update(t, &tv);
	run_for(f, 50);
	assert_int_equal(s.calls, 0);
	run_for(f, 500);
	assert_int_equal(s.calls, 1);
	run_for(f, 80);
	assert_int_equal(s.calls, 1);

	/* Re-armed by timeout_update. */
	tv = in_ms(10);
	f->api->timeout_update(t, &tv);
	run_for(f, 60);
	assert_int_equal(s.calls, 2);

	/* Armed, then disabled before it is due. */
	tv = in_ms(20);
	f->api->timeout_update(t, &tv);
	f->api->timeout_update(t, NULL);
	run_for(f, 60);
	assert_int_equal(s.calls, 2);

	/* A time already past fires at the next turn of the loop. */
	gettimeofday(&tv, NULL);
	tv.tv_sec -= 5;
	f->api->timeout_update(t, &tv);
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(s.calls, 3);
	f->api->timeout_free(t);
}

static void
test_timeout_created_armed(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api};
	struct timeval tv = in_ms(10);
	AvahiTimeout *t;

	t = f->api->timeout_new(f->api, &tv, timeout_cb, &s);
	assert_non_null(t);
	run_for(f, 60);
	assert_int_equal(s.calls, 1);
	f->api->timeout_free(t);
}

static void
test_timeout_update_in_own_callback(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api, .rearm = 3, .rearm_ms = 5};
	struct timeval tv = in_ms(5);
	AvahiTimeout *t;

	t = f->api->timeout_new(f->api, &tv, timeout_cb, &s);
	assert_non_null(t);
	run_for(f, 500);
	/* The first call and three re-armed ones, then off. */
	assert_int_equal(s.calls, 4);
	f->api->timeout_free(t);
}

static void
test_timeout_free_in_own_callback(void **state)
{
	struct fixture *f = *state;
	/* Re-armed and then freed in the same callback: the free wins. */
	struct seen s = {
	    .api = f->api, .rearm = 1, .rearm_ms = 5, .free_self = true};
	struct timeval tv = in_ms(5);
	AvahiTimeout *t;

	t = f->api->timeout_new(f->api, &tv, timeout_cb, &s);
	assert_non_null(t);
	run_for(f, 80);
	assert_int_equal(s.calls, 1);
}

static void
test_free_others_in_callback(void **state)
{
	struct fixture *f = *state;
	struct seen ws = {.api = f->api, .drain = true};
	struct seen ts = {.api = f->api};
	struct seen t2s = {.api = f->api};
	struct timeval tv;
	AvahiWatch *w;
	AvahiTimeout *t, *t2;

	/* Both due in the same turn; whichever runs first frees the other. */
	w = f->api->watch_new(f->api, f->sv[0], AVAHI_WATCH_IN, watch_cb, &ws);
	gettimeofday(&tv, NULL);
	t = f->api->timeout_new(f->api, &tv, timeout_cb, &ts);
	assert_non_null(w);
	assert_non_null(t);
	ts.other_watch = w;
	ws.other_timeout = t;
	assert_int_equal(write(f->sv[1], "x", 1), 1);
	run_for(f, 50);
	assert_int_equal(ws.calls + ts.calls, 1);
	if (ws.calls == 1)
		f->api->watch_free(w);
	else
		f->api->timeout_free(t);

	/* A watch freeing a pending (not yet due) timeout. */
	tv = in_ms(1000);
	t2 = f->api->timeout_new(f->api, &tv, timeout_cb, &t2s);
	tv = in_ms(5);
	memset(&ts, 0, sizeof(ts));
	ts.api = f->api;
	t = f->api->timeout_new(f->api, &tv, timeout_cb, &ts);
	ts.free_self = true;
	/* Reuse the watch slot to free t2 through a second watch. */
	ws = (struct seen){.api = f->api, .drain = true, .free_self = true};
	ws.other_timeout = t2;
	assert_int_equal(write(f->sv[1], "x", 1), 1);
	w = f->api->watch_new(f->api, f->sv[0], AVAHI_WATCH_IN, watch_cb, &ws);
	run_for(f, 80);
	assert_int_equal(ws.calls, 1);
	assert_int_equal(ts.calls, 1);
	assert_int_equal(t2s.calls, 0);
}

static void
test_free_with_things_registered(void **state)
{
	struct fixture *f = *state;
	struct seen s = {.api = f->api};
	struct timeval tv = in_ms(1000);
	int i;

	/* Left for evpoll_free in teardown; ASan checks nothing leaks. */
	for (i = 0; i < 4; i++) {
		assert_non_null(f->api->watch_new(f->api, f->sv[i % 2],
		    AVAHI_WATCH_IN | AVAHI_WATCH_OUT, watch_cb, &s));
		assert_non_null(
		    f->api->timeout_new(f->api, &tv, timeout_cb, &s));
		assert_non_null(
		    f->api->timeout_new(f->api, NULL, timeout_cb, &s));
	}
	assert_non_null(f->api->watch_new(f->api, f->sv[0], 0, watch_cb, &s));
}

static void
test_free_null(void **state)
{
	struct fixture *f = *state;

	f->api->watch_free(NULL);
	f->api->timeout_free(NULL);
	evpoll_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_watch_in_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch_hangup, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_watch_free_in_own_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_watch_update_in_own_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_timeout_disabled_armed_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_timeout_created_armed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_timeout_update_in_own_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_timeout_free_in_own_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_free_others_in_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_free_with_things_registered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_null, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
