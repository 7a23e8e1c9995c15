/*
 * Unit tests of the reconciler's table: what reaches the sink (the
 * publisher) when containers come, change, go, and when a resync sweeps.
 * The sink here records calls; announce() is the real, pure one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "announce.h"
#include "instance.h"
#include "reconcile.h"

struct calls {
	int sets;
	int removes;
	char last_key[256];
	char last_name[128];
	uint16_t last_port;
};

static int
sink_set(
    void *arg, const char *key, const char *what, const struct announcement *a)
{
	struct calls *c = arg;

	c->sets++;
	snprintf(c->last_key, sizeof c->last_key, "%s", key);
	if (a->nservices > 0) {
		snprintf(c->last_name, sizeof c->last_name, "%s",
		    a->services[0].name);
		c->last_port = a->services[0].port;
	}
	return 0;
}

static void
sink_remove(void *arg, const char *key)
{
	struct calls *c = arg;

	c->removes++;
	snprintf(c->last_key, sizeof c->last_key, "%s", key);
}

/* A running container with one published port and the given labels. */
static struct instance *
make_instance(const char *id, const char *name, uint16_t host_port,
    const char *label_name)
{
	struct instance *inst = calloc(1, sizeof *inst);

	assert_non_null(inst);
	inst->engine = strdup("docker");
	inst->id = strdup(id);
	snprintf(inst->short_id, sizeof inst->short_id, "%.12s", id);
	inst->name = strdup(name);
	inst->state = INSTANCE_STATE_RUNNING;
	inst->network_mode = strdup("bridge");
	inst->nports = 1;
	inst->ports = calloc(1, sizeof *inst->ports);
	inst->ports[0].container_port = 80;
	inst->ports[0].proto = INSTANCE_PROTO_TCP;
	inst->ports[0].host_ip = strdup("0.0.0.0");
	inst->ports[0].host_port = host_port;
	inst->nlabels = label_name != NULL ? 2 : 0;
	inst->labels = calloc(2, sizeof *inst->labels);
	if (label_name != NULL) {
		inst->labels[0].key = strdup("portlight.enable");
		inst->labels[0].value = strdup("true");
		inst->labels[1].key = strdup("portlight.name");
		inst->labels[1].value = strdup(label_name);
	}
	return inst;
}

static struct host_facts host = {.hostname = "testhost"};

/* What the log (stderr) said while fn ran, in buf. */
static void
capture_log(char *buf, size_t len, void (*fn)(void *), void *arg)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static struct reconcile *
setup(struct calls *c)
{
	struct reconcile_sink sink = {
	    .set = sink_set,
	    .remove = sink_remove,
	    .arg = c,
	};

	memset(c, 0, sizeof *c);
	return reconcile_new(&sink, &host);
}

static void
test_announce_and_withdraw(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);

	reconcile_container(
	    r, "/d.sock", make_instance("aaaa", "web", 8080, "Shop"));
	assert_int_equal(c.sets, 1);
	assert_string_equal(c.last_name, "Shop");
	assert_int_equal(c.last_port, 8080);
	assert_int_equal(reconcile_count(r), 1);

	reconcile_gone(r, "/d.sock", "aaaa");
	assert_int_equal(c.removes, 1);
	assert_int_equal(reconcile_count(r), 0);
	/* Gone twice (die then destroy) is harmless. */
	reconcile_gone(r, "/d.sock", "aaaa");
	assert_int_equal(c.removes, 1);
	reconcile_free(r);
}

static void
test_unchanged_is_not_republished(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);

	reconcile_container(
	    r, "/d.sock", make_instance("aaaa", "web", 8080, "Shop"));
	reconcile_container(
	    r, "/d.sock", make_instance("aaaa", "web", 8080, "Shop"));
	assert_int_equal(c.sets, 1);
	/* A real change is handed over. */
	reconcile_container(
	    r, "/d.sock", make_instance("aaaa", "web", 9090, "Shop"));
	assert_int_equal(c.sets, 2);
	assert_int_equal(c.last_port, 9090);
	reconcile_free(r);
}

static void
test_unlabelled_never_published(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);

	reconcile_container(
	    r, "/d.sock", make_instance("bbbb", "db", 5432, NULL));
	assert_int_equal(c.sets, 0);
	reconcile_gone(r, "/d.sock", "bbbb");
	assert_int_equal(c.removes, 0);
	reconcile_free(r);
}

static void
test_stopped_state_withdraws(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);
	struct instance *inst;

	reconcile_container(
	    r, "/d.sock", make_instance("aaaa", "web", 8080, "Shop"));
	inst = make_instance("aaaa", "web", 8080, "Shop");
	inst->state = INSTANCE_STATE_PAUSED;
	reconcile_container(r, "/d.sock", inst);
	assert_int_equal(c.removes, 1);
	/* Unpaused: announced again. */
	reconcile_container(
	    r, "/d.sock", make_instance("aaaa", "web", 8080, "Shop"));
	assert_int_equal(c.sets, 2);
	reconcile_free(r);
}

static void
test_sweep(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);

	reconcile_container(
	    r, "/d.sock", make_instance("aaaa", "a", 8001, "A"));
	reconcile_container(
	    r, "/d.sock", make_instance("bbbb", "b", 8002, "B"));
	reconcile_container(
	    r, "/p.sock", make_instance("cccc", "c", 8003, "C"));
	assert_int_equal(c.sets, 3);

	/* A resync of /d.sock reports only b: a is swept, c untouched. */
	reconcile_sweep_begin(r, "/d.sock");
	reconcile_container(
	    r, "/d.sock", make_instance("bbbb", "b", 8002, "B"));
	reconcile_sweep_end(r, "/d.sock");
	assert_int_equal(c.sets, 3);
	assert_int_equal(c.removes, 1);
	assert_string_equal(c.last_key, "/d.sock#aaaa");
	assert_int_equal(reconcile_count(r), 2);

	/* The same id on two engines is two containers. */
	reconcile_container(
	    r, "/p.sock", make_instance("bbbb", "b", 8004, "B2"));
	assert_int_equal(reconcile_count(r), 3);

	reconcile_drop_source(r, "/p.sock");
	assert_int_equal(c.removes, 3);
	assert_int_equal(reconcile_count(r), 1);
	reconcile_free(r);
}

struct opt_in_case {
	struct reconcile *r;
	struct instance *inst;
};

static void
opt_in_run(void *arg)
{
	struct opt_in_case *oc = arg;

	reconcile_container(oc->r, "/d.sock", oc->inst);
}

/* An unreadable portlight.enable is reported although nothing opted in. */
static void
test_invalid_enable_logged(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);
	struct opt_in_case oc = {.r = r};
	char out[4096];

	oc.inst = make_instance("cccc", "odd", 8082, NULL);
	oc.inst->nlabels = 1;
	oc.inst->labels[0].key = strdup("portlight.enable");
	oc.inst->labels[0].value = strdup("maybe");
	capture_log(out, sizeof out, opt_in_run, &oc);
	assert_int_equal(c.sets, 0);
	assert_non_null(strstr(out, "odd"));
	assert_non_null(strstr(out, "portlight.enable"));
	assert_non_null(strstr(out, "maybe"));

	/* Once per change: the same container again says nothing. */
	oc.inst = make_instance("cccc", "odd", 8082, NULL);
	oc.inst->nlabels = 1;
	oc.inst->labels[0].key = strdup("portlight.enable");
	oc.inst->labels[0].value = strdup("maybe");
	capture_log(out, sizeof out, opt_in_run, &oc);
	assert_string_equal(out, "");

	/* A plain unlabelled container says nothing at all. */
	oc.inst = make_instance("dddd", "plain", 8083, NULL);
	capture_log(out, sizeof out, opt_in_run, &oc);
	assert_string_equal(out, "");
	reconcile_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_announce_and_withdraw),
	    cmocka_unit_test(test_unchanged_is_not_republished),
	    cmocka_unit_test(test_unlabelled_never_published),
	    cmocka_unit_test(test_stopped_state_withdraws),
	    cmocka_unit_test(test_sweep),
	    cmocka_unit_test(test_invalid_enable_logged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
