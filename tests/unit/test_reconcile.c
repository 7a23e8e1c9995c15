/*
 * Unit tests of the reconciler's table: what reaches the sink (the
 * publisher) when containers come, change, go, and when a resync sweeps;
 * Podman pods announced once (pod_merge and the table around it).
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
#include "fixture.h"
#include "instance.h"
#include "pod.h"
#include "reconcile.h"

struct calls {
	int sets;
	int removes;
	char last_key[256];
	char last_name[128];
	uint16_t last_port;
	size_t last_nservices;
	struct announcement *last; /* a copy of the last set */
};

static int
sink_set(
    void *arg, const char *key, const char *what, const struct announcement *a)
{
	struct calls *c = arg;

	c->sets++;
	snprintf(c->last_key, sizeof c->last_key, "%s", key);
	c->last_nservices = a->nservices;
	announcement_free(c->last);
	c->last = announcement_copy(a);
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

#define POD_ID                                                                 \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A member of pod POD_ID ("shop"), as the Podman engine reports it. */
static struct instance *
make_member(const char *id, const char *name, uint16_t host_port,
    const char *label_name, const char *pod_name)
{
	struct instance *inst = make_instance(id, name, host_port, label_name);

	free(inst->engine);
	inst->engine = strdup("podman");
	assert_int_equal(instance_set_pod(inst, POD_ID, false), 0);
	assert_int_equal(instance_set_pod_name(inst, pod_name), 0);
	return inst;
}

/* Opts inst in without naming it (portlight.enable=true alone). */
static struct instance *
enable_only(struct instance *inst)
{
	free(inst->labels[1].key);
	free(inst->labels[1].value);
	inst->labels[1].key = NULL;
	inst->labels[1].value = NULL;
	inst->nlabels = 1;
	if (inst->labels[0].key == NULL) {
		inst->labels[0].key = strdup("portlight.enable");
		inst->labels[0].value = strdup("true");
	}
	return inst;
}

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
teardown(struct reconcile *r, struct calls *c)
{
	reconcile_free(r);
	announcement_free(c->last);
	c->last = NULL;
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
	teardown(r, &c);
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
	teardown(r, &c);
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
	teardown(r, &c);
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
	teardown(r, &c);
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
	teardown(r, &c);
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
	teardown(r, &c);
}

/* A skip that changes while the records do not is said once, too. */
static void
test_skips_change_records_not(void **state)
{
	static const char *values[] = {"maybe", "perhaps", "perhaps"};
	struct calls c;
	struct reconcile *r = setup(&c);
	struct opt_in_case oc = {.r = r};
	char out[4096];
	size_t i;

	for (i = 0; i < 3; i++) {
		oc.inst = make_instance("eeee", "web", 8084, "Web");
		oc.inst->nlabels = 2;
		free(oc.inst->labels[0].key);
		free(oc.inst->labels[0].value);
		oc.inst->labels[0].key = strdup("portlight.health");
		oc.inst->labels[0].value = strdup(values[i]);
		capture_log(out, sizeof out, opt_in_run, &oc);
		if (i < 2)
			assert_non_null(strstr(out, values[i]));
		else
			assert_string_equal(out, "");
	}
	assert_int_equal(c.sets, 1);
	teardown(r, &c);
}

/* Two labelled members of one pod report the pod's port: announced once. */
static void
test_pod_announced_once(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);

	reconcile_container(r, "/p.sock",
	    enable_only(make_member("aaaa", "web", 8080, NULL, "shop")));
	assert_int_equal(c.sets, 1);
	assert_string_equal(c.last_key, "/p.sock#pod:" POD_ID);
	/* The pod's name, not the member's, unless a label names it. */
	assert_string_equal(c.last_name, "shop");
	assert_int_equal(c.last_port, 8080);

	reconcile_container(r, "/p.sock",
	    enable_only(make_member("bbbb", "side", 8080, NULL, "shop")));
	assert_int_equal(c.sets, 1);
	assert_int_equal(c.last_nservices, 1);
	assert_int_equal(reconcile_count(r), 2);

	/* One member goes: the other still offers the same records. */
	reconcile_gone(r, "/p.sock", "aaaa");
	assert_int_equal(c.sets, 1);
	assert_int_equal(c.removes, 0);
	/* A stopped member is a member with no records. */
	reconcile_container(r, "/p.sock",
	    enable_only(make_member("aaaa", "web", 8080, NULL, "shop")));
	assert_int_equal(c.sets, 1);
	reconcile_gone(r, "/p.sock", "bbbb");
	reconcile_gone(r, "/p.sock", "aaaa");
	assert_int_equal(c.removes, 1);
	assert_string_equal(c.last_key, "/p.sock#pod:" POD_ID);
	teardown(r, &c);
}

/* A member's label names the pod's service; a plain member adds nothing. */
static void
test_pod_label_names_it(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);
	struct instance *plain;

	reconcile_container(
	    r, "/p.sock", make_member("aaaa", "web", 8080, "Shop", "shop"));
	assert_int_equal(c.sets, 1);
	assert_string_equal(c.last_name, "Shop");
	/* Not opted in: part of the pod, nothing of its own. */
	plain = make_member("cccc", "db", 8080, NULL, "shop");
	reconcile_container(r, "/p.sock", plain);
	assert_int_equal(c.sets, 1);
	/* The infra container holds the ports and is never announced. */
	plain = make_member("dddd", "0123-infra", 8080, NULL, "shop");
	plain->pod_infra = true;
	reconcile_container(r, "/p.sock", plain);
	assert_int_equal(c.sets, 1);
	/* The labelled member pauses: the pod has nothing left to say. */
	plain = make_member("aaaa", "web", 8080, "Shop", "shop");
	plain->state = INSTANCE_STATE_PAUSED;
	reconcile_container(r, "/p.sock", plain);
	assert_int_equal(c.removes, 1);
	teardown(r, &c);
}

/* The pod's name unknown (pod inspect failed): members go by their own. */
static void
test_pod_name_unknown(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);

	reconcile_container(r, "/p.sock",
	    enable_only(make_member("aaaa", "web", 8080, NULL, NULL)));
	assert_string_equal(c.last_name, "web");
	/* Its name arrives with the next inspect: renamed in place. */
	reconcile_container(r, "/p.sock",
	    enable_only(make_member("aaaa", "web", 8080, NULL, "shop")));
	assert_int_equal(c.sets, 2);
	assert_string_equal(c.last_name, "shop");
	assert_string_equal(c.last_key, "/p.sock#pod:" POD_ID);
	teardown(r, &c);
}

/* Published alone, then its pod became known: moved, not doubled. */
static void
test_pod_joined_later(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);
	struct instance *inst;

	inst = enable_only(make_instance("aaaa", "web", 8080, NULL));
	reconcile_container(r, "/p.sock", inst);
	assert_int_equal(c.sets, 1);
	assert_string_equal(c.last_key, "/p.sock#aaaa");
	reconcile_container(r, "/p.sock",
	    enable_only(make_member("aaaa", "web", 8080, NULL, "shop")));
	assert_int_equal(c.removes, 1);
	assert_int_equal(c.sets, 2);
	assert_string_equal(c.last_key, "/p.sock#pod:" POD_ID);
	/* Out of the pod again: back under its own key. */
	reconcile_container(r, "/p.sock",
	    enable_only(make_instance("aaaa", "web", 8080, NULL)));
	assert_int_equal(c.removes, 2);
	assert_int_equal(c.sets, 3);
	assert_string_equal(c.last_key, "/p.sock#aaaa");
	teardown(r, &c);
}

/* Same pod id on two engines is two pods; sweep and drop per engine. */
static void
test_pod_sweep_and_drop(void **state)
{
	struct calls c;
	struct reconcile *r = setup(&c);

	reconcile_container(r, "/p.sock",
	    enable_only(make_member("aaaa", "web", 8080, NULL, "shop")));
	reconcile_container(r, "/p.sock",
	    enable_only(make_member("bbbb", "side", 8080, NULL, "shop")));
	reconcile_container(r, "/u.sock",
	    enable_only(make_member("aaaa", "web", 8081, NULL, "shop")));
	assert_int_equal(c.sets, 2);

	/* A resync that reports only bbbb keeps the pod as it was. */
	reconcile_sweep_begin(r, "/p.sock");
	reconcile_container(r, "/p.sock",
	    enable_only(make_member("bbbb", "side", 8080, NULL, "shop")));
	reconcile_sweep_end(r, "/p.sock");
	assert_int_equal(c.sets, 2);
	assert_int_equal(c.removes, 0);

	/* Engine lost for good: its pod is withdrawn once. */
	reconcile_container(r, "/p.sock",
	    enable_only(make_member("aaaa", "web", 8080, NULL, "shop")));
	reconcile_drop_source(r, "/p.sock");
	assert_int_equal(c.removes, 1);
	assert_string_equal(c.last_key, "/p.sock#pod:" POD_ID);
	assert_int_equal(reconcile_count(r), 1);
	reconcile_refresh(r);
	assert_int_equal(c.sets, 2);
	teardown(r, &c);
}

/* Real inspects of a pod (tests/fixtures): web labelled, side and infra not. */
static void
test_pod_fixtures(void **state)
{
	static const char *names[] = {"podman-inspect-podinfra.json",
	    "podman-inspect-podweb.json", "podman-inspect-podside.json"};
	struct calls c;
	struct reconcile *r = setup(&c);
	struct instance *inst;
	const char *why = NULL;
	size_t i, len;
	char *json;

	for (i = 0; i < 3; i++) {
		json = fixture_read(names[i], &len);
		assert_int_equal(
		    instance_from_inspect(json, len, "podman", &inst, &why), 0);
		free(json);
		assert_int_equal(instance_set_pod(inst, POD_ID, i == 0), 0);
		assert_int_equal(instance_set_pod_name(inst, "plcap-pod"), 0);
		reconcile_container(r, "/p.sock", inst);
	}
	assert_int_equal(c.sets, 1);
	assert_string_equal(c.last_name, "plcap-pod");
	assert_int_equal(c.last_port, 18150);
	assert_int_equal(c.last_nservices, 1);
	teardown(r, &c);
}

/* One service of an announcement: name, type, port, TXT. */
static struct announcement *
one_service(const char *name, const char *type, uint16_t port, const char *txt,
    const char *alias)
{
	struct announcement *a = calloc(1, sizeof *a);

	assert_non_null(a);
	a->enabled = true;
	a->nservices = 1;
	a->services = calloc(1, sizeof *a->services);
	a->services[0].name = strdup(name);
	a->services[0].type = strdup(type);
	a->services[0].port = port;
	a->services[0].ifindex = ANNOUNCE_IF_ANY;
	if (txt != NULL) {
		a->services[0].ntxt = 1;
		a->services[0].txt = calloc(1, sizeof(char *));
		a->services[0].txt[0] = strdup(txt);
	}
	if (alias != NULL) {
		a->naliases = 1;
		a->aliases = calloc(1, sizeof(char *));
		a->aliases[0] = strdup(alias);
		a->naddresses = 1;
		a->addresses = calloc(1, sizeof *a->addresses);
		a->addresses[0].name = strdup("shop.local");
		a->addresses[0].ifindex = 2;
		a->addresses[0].family = 2;
		a->addresses[0].addr = strdup("192.0.2.1");
	}
	return a;
}

static void
test_pod_merge(void **state)
{
	struct announcement *v[4], *m, *m2;
	const struct announcement *cv[4];
	size_t i;

	v[0] = one_service("shop", "_http._tcp", 80, "path=/", "shop");
	v[1] = one_service("shop", "_http._tcp", 80, "path=/", "shop");
	v[2] = one_service("shop", "_http._tcp", 8080, NULL, NULL);
	v[3] = one_service("shop", "_http._tcp", 80, "path=/admin", NULL);
	for (i = 0; i < 4; i++)
		cv[i] = v[i];

	/* Identical records once. */
	assert_int_equal(pod_merge(cv, 2, &m), 0);
	assert_true(m->enabled);
	assert_int_equal(m->nservices, 1);
	assert_int_equal(m->naliases, 1);
	assert_int_equal(m->naddresses, 1);
	assert_true(announcement_equal(m, v[0]));
	announcement_free(m);

	/* One name and type on two ports: the later "NAME (PORT)". */
	assert_int_equal(pod_merge(cv, 3, &m), 0);
	assert_int_equal(m->nservices, 2);
	assert_string_equal(m->services[0].name, "shop");
	assert_int_equal(m->services[0].port, 80);
	assert_string_equal(m->services[1].name, "shop (8080)");
	assert_int_equal(m->services[1].port, 8080);
	announcement_free(m);

	/* Same port, other TXT: renamed "shop (80)"; order does not matter. */
	assert_int_equal(pod_merge(cv, 4, &m), 0);
	assert_int_equal(m->nservices, 3);
	cv[0] = v[3];
	cv[3] = v[0];
	assert_int_equal(pod_merge(cv, 4, &m2), 0);
	assert_true(announcement_equal(m, m2));
	assert_int_equal(m->nskips, 0);
	announcement_free(m2);
	announcement_free(m);

	/* A third of one name on one port: renamed twice is still a clash. */
	free(v[2]->services[0].txt);
	v[2]->services[0].txt = NULL;
	v[2]->services[0].ntxt = 0;
	v[2]->services[0].port = 80;
	cv[0] = v[0];
	cv[1] = v[3];
	cv[2] = v[2];
	cv[3] = NULL;
	assert_int_equal(pod_merge(cv, 4, &m), 0);
	assert_int_equal(m->nservices, 2);
	assert_int_equal(m->nskips, 1);
	assert_string_equal(m->skips[0].item, "port 80");
	announcement_free(m);

	/* Nothing at all. */
	assert_int_equal(pod_merge(cv, 0, &m), 0);
	assert_false(m->enabled);
	assert_int_equal(m->nservices, 0);
	announcement_free(m);
	for (i = 0; i < 4; i++)
		announcement_free(v[i]);
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
	    cmocka_unit_test(test_skips_change_records_not),
	    cmocka_unit_test(test_pod_announced_once),
	    cmocka_unit_test(test_pod_label_names_it),
	    cmocka_unit_test(test_pod_name_unknown),
	    cmocka_unit_test(test_pod_joined_later),
	    cmocka_unit_test(test_pod_sweep_and_drop),
	    cmocka_unit_test(test_pod_fixtures),
	    cmocka_unit_test(test_pod_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
