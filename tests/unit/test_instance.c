/*
 * Unit tests of instance_from_inspect() on the inspect JSON captured from
 * real Docker and Podman (tests/fixtures/README.md), and on malformed
 * documents, which must be refused with a reason and without a leak.
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

#include "fixture.h"
#include "instance.h"

static struct instance *
load(const char *name, const char *engine)
{
	struct instance *inst = NULL;
	const char *why = NULL;
	size_t len;
	char *json;
	int error;

	json = fixture_read(name, &len);
	error = instance_from_inspect(json, len, engine, &inst, &why);
	free(json);
	if (error != 0)
		fail_msg("%s: %d (%s)", name, error, why ? why : "?");
	assert_non_null(inst);
	assert_string_equal(inst->engine, engine);
	assert_int_equal(strlen(inst->id), 64);
	assert_memory_equal(inst->short_id, inst->id, 12);
	assert_int_equal(inst->short_id[12], '\0');
	assert_non_null(inst->name);
	assert_true(inst->name[0] != '/');
	return inst;
}

/* The index of the port entry container/proto/host_ip, or -1. */
static int
find_port(const struct instance *inst, uint16_t cport,
    enum instance_proto proto, const char *host_ip)
{
	size_t i;

	for (i = 0; i < inst->nports; i++) {
		const struct instance_port *p = &inst->ports[i];

		if (p->container_port != cport || p->proto != proto)
			continue;
		if (host_ip == NULL ? p->host_ip == NULL
				    : (p->host_ip != NULL &&
					  strcmp(p->host_ip, host_ip) == 0))
			return (int)i;
	}
	return -1;
}

static void
assert_port(const struct instance *inst, uint16_t cport,
    enum instance_proto proto, const char *host_ip, uint16_t host_port)
{
	int i = find_port(inst, cport, proto, host_ip);

	if (i < 0)
		fail_msg("%s: no port %u/%s on %s", inst->name, cport,
		    instance_proto_name(proto), host_ip ? host_ip : "(null)");
	assert_int_equal(inst->ports[i].host_port, host_port);
}

static const struct instance_network *
find_network(const struct instance *inst, const char *name)
{
	size_t i;

	for (i = 0; i < inst->nnetworks; i++) {
		if (strcmp(inst->networks[i].name, name) == 0)
			return &inst->networks[i];
	}
	fail_msg("%s: no network %s", inst->name, name);
	return NULL;
}

static void
test_docker_web(void **state)
{
	struct instance *inst = load("docker-inspect-web.json", "docker");
	const struct instance_network *nw;

	assert_string_equal(inst->name, "plcap-d-web");
	assert_string_equal(inst->image, "plcap-bb");
	assert_int_equal(inst->state, INSTANCE_STATE_RUNNING);
	assert_int_equal(inst->health, INSTANCE_HEALTH_NONE);
	assert_string_equal(inst->network_mode, "default");
	assert_int_equal(inst->nports, 2);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "0.0.0.0", 18100);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "::", 18100);
	assert_string_equal(instance_label(inst, "portlight.enable"), "true");
	assert_string_equal(instance_label(inst, "portlight.name"), "Shop");
	assert_string_equal(
	    instance_label(inst, "portlight.type"), "_http._tcp");
	assert_string_equal(instance_label(inst, "portlight.txt.path"), "/");
	assert_null(instance_label(inst, "portlight.nope"));
	assert_null(inst->compose_project);
	assert_int_equal(inst->compose_number, 0);
	assert_null(inst->pod);
	assert_false(inst->pod_infra);
	assert_int_equal(inst->nenv, 0);
	assert_int_equal(inst->nnetworks, 1);
	nw = find_network(inst, "bridge");
	assert_non_null(nw->ipv4);
	assert_null(nw->ipv6);
	assert_null(nw->driver);
	assert_int_equal(
	    instance_set_network_driver(inst, "bridge", "bridge"), 0);
	assert_string_equal(nw->driver, "bridge");
	assert_int_equal(instance_set_network_driver(inst, "absent", "x"), 0);
	instance_free(inst);
}

static void
test_docker_bindings(void **state)
{
	struct instance *inst;

	inst = load("docker-inspect-loopback.json", "docker");
	assert_int_equal(inst->nports, 1);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "127.0.0.1", 18101);
	instance_free(inst);

	inst = load("docker-inspect-specific.json", "docker");
	assert_int_equal(inst->nports, 1);
	assert_int_equal(inst->ports[0].host_port, 18102);
	assert_non_null(inst->ports[0].host_ip);
	assert_string_not_equal(inst->ports[0].host_ip, "0.0.0.0");
	instance_free(inst);

	inst = load("docker-inspect-udp.json", "docker");
	assert_int_equal(inst->nports, 2);
	assert_port(inst, 5353, INSTANCE_PROTO_UDP, "0.0.0.0", 18103);
	assert_port(inst, 5353, INSTANCE_PROTO_UDP, "::", 18103);
	assert_string_equal(
	    instance_label(inst, "portlight.type"), "_dns-sd._udp");
	instance_free(inst);

	inst = load("docker-inspect-multi.json", "docker");
	/* 80, 443, 22 twice each, 5432 on loopback, 9999 and 53/udp exposed. */
	assert_int_equal(inst->nports, 9);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "::", 18104);
	assert_port(inst, 443, INSTANCE_PROTO_TCP, "0.0.0.0", 18105);
	assert_port(inst, 22, INSTANCE_PROTO_TCP, "0.0.0.0", 18106);
	assert_port(inst, 5432, INSTANCE_PROTO_TCP, "127.0.0.1", 18107);
	assert_port(inst, 9999, INSTANCE_PROTO_TCP, NULL, 0);
	assert_port(inst, 53, INSTANCE_PROTO_UDP, NULL, 0);
	instance_free(inst);
}

static void
test_docker_compose(void **state)
{
	struct instance *inst;
	int n;

	for (n = 1; n <= 2; n++) {
		char name[64];

		snprintf(
		    name, sizeof name, "docker-inspect-compose-%d.json", n);
		inst = load(name, "docker");
		assert_string_equal(inst->compose_project, "plshop");
		assert_string_equal(inst->compose_service, "web");
		assert_int_equal(inst->compose_number, n);
		assert_port(inst, 80, INSTANCE_PROTO_TCP, "0.0.0.0",
		    (uint16_t)(18110 + n));
		instance_free(inst);
	}
}

static void
test_docker_host_network(void **state)
{
	struct instance *inst = load("docker-inspect-host.json", "docker");

	assert_string_equal(inst->network_mode, "host");
	assert_int_equal(inst->nports, 2);
	assert_port(inst, 18113, INSTANCE_PROTO_TCP, NULL, 0);
	assert_port(inst, 18114, INSTANCE_PROTO_UDP, NULL, 0);
	assert_int_equal(inst->nnetworks, 1);
	assert_null(find_network(inst, "host")->ipv4);
	instance_free(inst);
}

static void
test_docker_env(void **state)
{
	struct instance *inst = load("docker-inspect-env.json", "docker");
	size_t i;

	assert_string_equal(instance_env(inst, "PORTLIGHT_ANNOUNCE"),
	    "Grafana=http:3000;ssh:22");
	assert_string_equal(instance_env(inst, "KOI_MDNS_ANNOUNCE"), "grafana");
	assert_string_equal(instance_env(inst, "PORTLIGHT_X"), "1");
	assert_null(instance_env(inst, "OTHER"));
	assert_null(instance_env(inst, "PATH"));
	assert_null(instance_env(inst, "PATHLIKE"));
	assert_int_equal(inst->nenv, 3);
	for (i = 0; i < inst->nenv; i++)
		assert_true(strncmp(inst->env[i].key, "PORTLIGHT_", 10) == 0 ||
		    strncmp(inst->env[i].key, "KOI_", 4) == 0);
	assert_port(inst, 3000, INSTANCE_PROTO_TCP, "0.0.0.0", 18115);
	instance_free(inst);
}

static void
test_docker_conventions(void **state)
{
	struct instance *inst =
	    load("docker-inspect-conventions.json", "docker");

	assert_string_equal(instance_label(inst, "koi.name"), "Koi");
	assert_string_equal(
	    instance_label(inst, "docker-mdns.host"), "dm1 dm2");
	assert_string_equal(
	    instance_label(inst, "traefik.http.routers.app.rule"),
	    "Host(`app.local`) || Host(`www.app.local`)");
	assert_string_equal(instance_label(inst, "homepage.href"),
	    "http://host.lan:18116/admin");
	assert_int_equal(inst->nports, 4);
	instance_free(inst);
}

static void
test_docker_states(void **state)
{
	static const struct {
		const char *file;
		enum instance_state state;
		enum instance_health health;
	} cases[] = {
	    {"docker-inspect-health-starting.json", INSTANCE_STATE_RUNNING,
		INSTANCE_HEALTH_STARTING},
	    {"docker-inspect-health-ok.json", INSTANCE_STATE_RUNNING,
		INSTANCE_HEALTH_HEALTHY},
	    {"docker-inspect-health-bad.json", INSTANCE_STATE_RUNNING,
		INSTANCE_HEALTH_UNHEALTHY},
	    {"docker-inspect-paused.json", INSTANCE_STATE_PAUSED,
		INSTANCE_HEALTH_NONE},
	    {"docker-inspect-exited.json", INSTANCE_STATE_EXITED,
		INSTANCE_HEALTH_NONE},
	    {"podman-inspect-health-starting.json", INSTANCE_STATE_RUNNING,
		INSTANCE_HEALTH_STARTING},
	    {"podman-inspect-health-ok.json", INSTANCE_STATE_RUNNING,
		INSTANCE_HEALTH_HEALTHY},
	    {"podman-inspect-health-bad.json", INSTANCE_STATE_RUNNING,
		INSTANCE_HEALTH_UNHEALTHY},
	    {"podman-inspect-web.json", INSTANCE_STATE_RUNNING,
		INSTANCE_HEALTH_NONE},
	    {"podman-inspect-paused.json", INSTANCE_STATE_PAUSED,
		INSTANCE_HEALTH_NONE},
	    {"podman-inspect-exited.json", INSTANCE_STATE_EXITED,
		INSTANCE_HEALTH_NONE},
	};
	struct instance *inst;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		inst = load(cases[i].file, "docker");
		if (inst->state != cases[i].state ||
		    inst->health != cases[i].health)
			fail_msg("%s: %s/%s", cases[i].file,
			    instance_state_name(inst->state),
			    instance_health_name(inst->health));
		instance_free(inst);
	}
}

static void
test_docker_networks(void **state)
{
	struct instance *inst;
	const struct instance_network *nw;

	inst = load("docker-inspect-macvlan.json", "docker");
	assert_int_equal(inst->nports, 0);
	assert_string_equal(inst->network_mode, "plcap-mv");
	nw = find_network(inst, "plcap-mv");
	assert_string_equal(nw->ipv4, "192.168.218.10");
	assert_null(nw->driver);
	assert_string_equal(
	    instance_label(inst, "portlight.address"), "container");
	instance_free(inst);

	inst = load("docker-inspect-ipv6.json", "docker");
	nw = find_network(inst, "plcap-v6");
	assert_string_equal(nw->ipv4, "172.29.218.2");
	assert_string_equal(nw->ipv6, "fd42:18:218::2");
	instance_free(inst);

	inst = load("docker-inspect-twonets.json", "docker");
	assert_int_equal(inst->nnetworks, 2);
	assert_non_null(find_network(inst, "bridge")->ipv4);
	assert_non_null(find_network(inst, "plcap-net")->ipv4);
	instance_free(inst);
}

static void
test_podman(void **state)
{
	struct instance *inst;

	inst = load("podman-inspect-web.json", "podman");
	assert_string_equal(inst->name, "plcap-p-web");
	assert_string_equal(inst->image, "localhost/plcap-bb:latest");
	assert_int_equal(inst->nports, 1);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "", 18140);
	assert_string_equal(instance_label(inst, "portlight.name"), "Shop");
	assert_string_equal(
	    find_network(inst, "podman")->ipv4 == NULL ? "" : "ok", "ok");
	instance_free(inst);

	inst = load("podman-inspect-loopback.json", "podman");
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "127.0.0.1", 18141);
	instance_free(inst);

	inst = load("podman-inspect-multi.json", "podman");
	assert_int_equal(inst->nports, 3);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "", 18142);
	assert_port(inst, 53, INSTANCE_PROTO_UDP, "", 18143);
	assert_port(inst, 9999, INSTANCE_PROTO_TCP, NULL, 0);
	instance_free(inst);

	inst = load("podman-inspect-compose.json", "podman");
	assert_string_equal(inst->compose_project, "plshop");
	assert_string_equal(inst->compose_service, "db");
	assert_int_equal(inst->compose_number, 1);
	instance_free(inst);

	inst = load("podman-inspect-host.json", "podman");
	assert_string_equal(inst->network_mode, "host");
	/* Podman 4.3 drops --expose from the compat inspect of host mode. */
	assert_int_equal(inst->nports, 0);
	assert_int_equal(inst->nnetworks, 0);
	instance_free(inst);

	inst = load("podman-inspect-env.json", "podman");
	assert_string_equal(
	    instance_env(inst, "PORTLIGHT_ANNOUNCE"), "http:3000");
	assert_string_equal(instance_env(inst, "KOI_MDNS_ANNOUNCE"), "pgraf");
	assert_int_equal(inst->nenv, 2);
	instance_free(inst);

	inst = load("podman-inspect-twonets.json", "podman");
	assert_int_equal(inst->nnetworks, 2);
	assert_non_null(find_network(inst, "plcap-net")->ipv4);
	instance_free(inst);

	inst = load("podman-rootless-inspect-web.json", "podman");
	assert_string_equal(inst->network_mode, "slirp4netns");
	assert_int_equal(inst->nnetworks, 0);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "", 18160);
	assert_string_equal(instance_label(inst, "portlight.name"), "Mine");
	instance_free(inst);
}

static void
test_podman_pod(void **state)
{
	struct instance *infra, *web, *side, *linfra, *lweb;

	/* Compat inspect: no pod fields; members share the infra's netns. */
	infra = load("podman-inspect-podinfra.json", "podman");
	web = load("podman-inspect-podweb.json", "podman");
	side = load("podman-inspect-podside.json", "podman");
	assert_null(infra->pod);
	assert_false(infra->pod_infra);
	assert_string_equal(infra->network_mode, "bridge");
	assert_true(strncmp(web->network_mode, "container:", 10) == 0);
	assert_string_equal(web->network_mode + 10, infra->id);
	assert_string_equal(side->network_mode, web->network_mode);
	assert_port(infra, 80, INSTANCE_PROTO_TCP, "", 18150);
	assert_port(web, 80, INSTANCE_PROTO_TCP, "", 18150);
	assert_string_equal(instance_label(web, "portlight.enable"), "true");

	/* The libpod inspect has Pod and IsInfra. */
	linfra = load("podman-libpod-inspect-podinfra.json", "podman");
	lweb = load("podman-libpod-inspect-podweb.json", "podman");
	assert_string_equal(linfra->id, infra->id);
	assert_string_equal(lweb->id, web->id);
	assert_non_null(linfra->pod);
	assert_int_equal(strlen(linfra->pod), 64);
	assert_true(linfra->pod_infra);
	assert_string_equal(lweb->pod, linfra->pod);
	assert_false(lweb->pod_infra);
	assert_string_equal(lweb->name, "plcap-p-podweb");
	assert_port(lweb, 80, INSTANCE_PROTO_TCP, "", 18150);
	assert_int_equal(lweb->state, INSTANCE_STATE_RUNNING);

	/* What the engine does for compat inspects. */
	assert_int_equal(instance_set_pod(web, linfra->pod, false), 0);
	assert_string_equal(web->pod, linfra->pod);
	assert_int_equal(instance_set_pod(infra, linfra->pod, true), 0);
	assert_true(infra->pod_infra);
	/* The pod's name comes from the libpod pod inspect. */
	assert_int_equal(instance_set_pod_name(web, "plcap-pod"), 0);
	assert_string_equal(web->pod_name, "plcap-pod");
	assert_int_equal(instance_set_pod_name(web, ""), 0);
	assert_null(web->pod_name);
	assert_int_equal(instance_set_pod_name(side, "nopod"), 0);
	assert_null(side->pod_name);
	assert_int_equal(instance_set_pod_name(infra, "plcap-pod"), 0);
	assert_int_equal(instance_set_pod(infra, NULL, true), 0);
	assert_null(infra->pod);
	assert_null(infra->pod_name);
	assert_false(infra->pod_infra);

	instance_free(infra);
	instance_free(web);
	instance_free(side);
	instance_free(linfra);
	instance_free(lweb);

	lweb = load("podman-libpod-inspect-web.json", "podman");
	assert_null(lweb->pod);
	assert_false(lweb->pod_infra);
	instance_free(lweb);
}

/* Every inspect fixture captured (tests/fixtures/capture.sh). */
static const char *inspect_fixtures[] = {
    "docker-inspect-compose-1.json",
    "docker-inspect-compose-2.json",
    "docker-inspect-conventions.json",
    "docker-inspect-env.json",
    "docker-inspect-exited.json",
    "docker-inspect-health-bad.json",
    "docker-inspect-health-ok.json",
    "docker-inspect-health-starting.json",
    "docker-inspect-host.json",
    "docker-inspect-ipv6.json",
    "docker-inspect-loopback.json",
    "docker-inspect-macvlan.json",
    "docker-inspect-multi.json",
    "docker-inspect-paused.json",
    "docker-inspect-specific.json",
    "docker-inspect-twonets.json",
    "docker-inspect-udp.json",
    "docker-inspect-web.json",
    "podman-inspect-compose.json",
    "podman-inspect-env.json",
    "podman-inspect-exited.json",
    "podman-inspect-health-bad.json",
    "podman-inspect-health-ok.json",
    "podman-inspect-health-starting.json",
    "podman-inspect-host.json",
    "podman-inspect-loopback.json",
    "podman-inspect-multi.json",
    "podman-inspect-paused.json",
    "podman-inspect-podinfra.json",
    "podman-inspect-podside.json",
    "podman-inspect-podweb.json",
    "podman-inspect-twonets.json",
    "podman-inspect-web.json",
    "podman-libpod-inspect-podinfra.json",
    "podman-libpod-inspect-podweb.json",
    "podman-libpod-inspect-web.json",
    "podman-rootless-inspect-web.json",
};

static void
test_every_fixture(void **state)
{
	struct instance *inst;
	size_t i;

	for (i = 0; i < sizeof inspect_fixtures / sizeof inspect_fixtures[0];
	     i++) {
		inst = load(inspect_fixtures[i], "docker");
		assert_true(inst->state == INSTANCE_STATE_RUNNING ||
		    inst->state == INSTANCE_STATE_PAUSED ||
		    inst->state == INSTANCE_STATE_EXITED);
		assert_non_null(inst->image);
		assert_non_null(inst->network_mode);
		instance_free(inst);
	}
}

/* What is left when a document is cut short is never an instance. */
static void
test_all_fixtures_and_truncations(void **state)
{
	static const char *files[] = {
	    "docker-inspect-web.json",
	    "docker-inspect-multi.json",
	    "podman-inspect-podweb.json",
	    "podman-libpod-inspect-web.json",
	    "podman-rootless-inspect-web.json",
	};
	struct instance *inst;
	const char *why;
	size_t i, len, cut;
	char *json;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		json = fixture_read(files[i], &len);
		while (
		    len > 0 && (json[len - 1] == '\n' || json[len - 1] == ' '))
			len--;
		for (cut = 0; cut < len; cut++) {
			why = NULL;
			inst = (void *)1;
			assert_int_equal(instance_from_inspect(
					     json, cut, "docker", &inst, &why),
			    -EINVAL);
			assert_null(inst);
			assert_non_null(why);
		}
		assert_int_equal(
		    instance_from_inspect(json, len, "docker", &inst, &why), 0);
		instance_free(inst);
		free(json);
	}
}

static void
expect_invalid(const char *json, const char *reason)
{
	struct instance *inst = (void *)1;
	const char *why = NULL;

	if (instance_from_inspect(json, strlen(json), "docker", &inst, &why) !=
	    -EINVAL)
		fail_msg("accepted: %s", json);
	assert_null(inst);
	assert_non_null(why);
	if (reason != NULL && strcmp(why, reason) != 0)
		fail_msg("%s: \"%s\", expected \"%s\"", json, why, reason);
}

static void
test_malformed(void **state)
{
	expect_invalid("", "empty document");
	expect_invalid("not json", "not JSON");
	expect_invalid("{\"Id\": \"abc\"", "truncated JSON");
	expect_invalid("[{\"Id\": \"abc\"}]", "not a JSON object");
	expect_invalid("\"abc\"", "not a JSON object");
	expect_invalid("null", NULL);
	expect_invalid("{}", "no Id");
	expect_invalid("{\"Id\": 12}", "no Id");
	expect_invalid("{\"Id\": \"\"}", "no Id");
	expect_invalid(
	    "{\"Id\": \"/abc\"}", "Id is not a hexadecimal container id");
	expect_invalid(
	    "{\"Id\": \"abc/../x?y\"}", "Id is not a hexadecimal container id");
	expect_invalid(
	    "{\"Id\": \"ABC\"}", "Id is not a hexadecimal container id");
	expect_invalid("{\"Id\": \"abc\"} {}", "data after the JSON document");
	expect_invalid(
	    "{\"Id\": \"abc\", \"Name\": 3}", "Name is not a string");
	expect_invalid(
	    "{\"Id\": \"abc\", \"Config\": []}", "Config is not an object");
	expect_invalid("{\"Id\": \"abc\", \"State\": \"running\"}",
	    "State is not an object");
	expect_invalid("{\"Id\": \"abc\", \"HostConfig\": 1}",
	    "HostConfig is not an object");
	expect_invalid("{\"Id\": \"abc\", \"NetworkSettings\": true}",
	    "NetworkSettings is not an object");
	expect_invalid("{\"Id\": \"abc\", \"Config\": {\"Labels\": []}}",
	    "Config.Labels is not an object");
	expect_invalid("{\"Id\": \"abc\", \"Config\": {\"Env\": {}}}",
	    "Config.Env is not an array");
	expect_invalid("{\"Id\": \"abc\", \"Config\": {\"ExposedPorts\": 1}}",
	    "Config.ExposedPorts is not an object");
	expect_invalid(
	    "{\"Id\": \"abc\", \"NetworkSettings\": {\"Ports\": []}}",
	    "NetworkSettings.Ports is not an object");
	expect_invalid(
	    "{\"Id\": \"abc\", \"NetworkSettings\": {\"Networks\": \"x\"}}",
	    "NetworkSettings.Networks is not an object");
}

/* Odd values inside a well-formed document skip that value only. */
static void
test_bad_values_skipped(void **state)
{
	static const char json[] =
	    "{\"Id\": \"0123456789abcdef\","
	    "\"Name\": \"/odd\","
	    "\"State\": {\"Status\": \"weird\", \"Health\": {\"Status\": 3}},"
	    "\"Config\": {\"Labels\": {\"a\": \"1\", \"b\": 2, \"c\": null,"
	    "  \"com.docker.compose.container-number\": \"x1\"},"
	    "  \"Env\": [\"PORTLIGHT_A=1\", 5, \"KOI_NOEQ\", "
	    "\"PORTLIGHT_A=2\"],"
	    "  \"ExposedPorts\": {\"70000/tcp\": {}, \"81/tcp\": {},"
	    "  \"82/quic\": {}}},"
	    "\"NetworkSettings\": {\"Ports\": {"
	    "  \"80/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"99999\"},"
	    "    {\"HostIp\": \"::\", \"HostPort\": \"8080\"},"
	    "    {\"HostPort\": \"8081\"},"
	    "    {\"HostPort\": \"0\"}, {\"HostPort\": \"\"}, {\"HostPort\": "
	    "80},"
	    "    {\"HostPort\": \"80x\"}, {\"HostPort\": \"+80\"}, 7, null],"
	    "  \"0/tcp\": null, \"x/tcp\": null, \"443/tcp\": \"nope\","
	    "  \"53/udp\": []},"
	    " \"Networks\": {\"n1\": 1, \"n2\": {\"IPAddress\": 5,"
	    "  \"GlobalIPv6Address\": \"fd00::2\"}}}}";
	struct instance *inst;
	const char *why = NULL;

	assert_int_equal(
	    instance_from_inspect(json, sizeof json - 1, "podman", &inst, &why),
	    0);
	assert_string_equal(inst->name, "odd");
	assert_string_equal(inst->short_id, "0123456789ab");
	assert_int_equal(inst->state, INSTANCE_STATE_OTHER);
	assert_int_equal(inst->health, INSTANCE_HEALTH_NONE);
	assert_null(inst->image);
	assert_null(inst->network_mode);
	assert_int_equal(inst->nlabels, 2);
	assert_string_equal(instance_label(inst, "a"), "1");
	assert_null(instance_label(inst, "b"));
	assert_int_equal(inst->compose_number, 0);
	assert_int_equal(inst->nenv, 2);
	assert_string_equal(instance_env(inst, "PORTLIGHT_A"), "2");
	assert_int_equal(inst->nports, 4);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "::", 8080);
	assert_port(inst, 80, INSTANCE_PROTO_TCP, "", 8081);
	assert_port(inst, 53, INSTANCE_PROTO_UDP, NULL, 0);
	assert_port(inst, 81, INSTANCE_PROTO_TCP, NULL, 0);
	assert_int_equal(inst->nnetworks, 1);
	assert_null(inst->networks[0].ipv4);
	assert_string_equal(inst->networks[0].ipv6, "fd00::2");
	instance_free(inst);
}

static void
test_minimal_and_names(void **state)
{
	struct instance *inst;

	assert_int_equal(
	    instance_from_inspect("{\"Id\":\"abc\"}", 12, "x", &inst, NULL), 0);
	assert_string_equal(inst->id, "abc");
	assert_string_equal(inst->short_id, "abc");
	assert_string_equal(inst->name, "abc");
	assert_int_equal(inst->nports + inst->nlabels + inst->nnetworks, 0);
	assert_null(instance_label(inst, "x"));
	assert_null(instance_env(inst, "x"));
	instance_free(inst);
	instance_free(NULL);

	/* Found by fuzzing: every leading '/' goes, not only the first. */
	assert_int_equal(
	    instance_from_inspect(
		"{\"Id\":\"abc\",\"Name\":\"//w\"}", 25, "x", &inst, NULL),
	    0);
	assert_string_equal(inst->name, "w");
	instance_free(inst);
	assert_int_equal(
	    instance_from_inspect(
		"{\"Id\":\"abc\",\"Name\":\"/\"}", 23, "x", &inst, NULL),
	    0);
	assert_string_equal(inst->name, "abc");
	instance_free(inst);

	assert_string_equal(
	    instance_state_name(INSTANCE_STATE_RUNNING), "running");
	assert_string_equal(instance_state_name(INSTANCE_STATE_OTHER), "other");
	assert_string_equal(
	    instance_health_name(INSTANCE_HEALTH_UNHEALTHY), "unhealthy");
	assert_string_equal(instance_health_name(INSTANCE_HEALTH_NONE), "none");
	assert_string_equal(instance_proto_name(INSTANCE_PROTO_UDP), "udp");
	assert_string_equal(instance_proto_name(INSTANCE_PROTO_TCP), "tcp");
	assert_string_equal(instance_proto_name(INSTANCE_PROTO_SCTP), "sctp");
}

/*
 * An escaped NUL in a label: json-c would end the key there (a hidden
 * "portlight.name\u0000x" replacing the visible portlight.name) and we
 * would cut the value; both are read with U+FFFD instead.  An escaped
 * backslash before "u0000" is no NUL.  Seen from real dockerd, which
 * keeps such labels as given (tests/integration/test_limits.sh).
 */
static void
test_nul_in_labels(void **state)
{
	static const char json[] = "{\"Id\":\"abc\",\"Config\":{\"Labels\":{"
				   "\"portlight.name\":\"Shop\","
				   "\"portlight.name\\u0000x\":\"Evil\","
				   "\"portlight.txt.a\":\"x\\u0000y\","
				   "\"portlight.txt.b\":\"\\\\u0000\"}}}";
	struct instance *inst;
	const char *why = NULL;

	assert_int_equal(
	    instance_from_inspect(json, sizeof json - 1, "docker", &inst, &why),
	    0);
	assert_int_equal(inst->nlabels, 4);
	assert_string_equal(instance_label(inst, "portlight.name"), "Shop");
	assert_string_equal(
	    instance_label(inst, "portlight.name\xef\xbf\xbdx"), "Evil");
	assert_string_equal(
	    instance_label(inst, "portlight.txt.a"), "x\xef\xbf\xbdy");
	assert_string_equal(instance_label(inst, "portlight.txt.b"), "\\u0000");
	instance_free(inst);

	/* A NUL escape cut short at the end is still not JSON. */
	assert_int_equal(instance_from_inspect(
			     "{\"Id\":\"a\\u000", 14, "docker", &inst, &why),
	    -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docker_web),
	    cmocka_unit_test(test_docker_bindings),
	    cmocka_unit_test(test_docker_compose),
	    cmocka_unit_test(test_docker_host_network),
	    cmocka_unit_test(test_docker_env),
	    cmocka_unit_test(test_docker_conventions),
	    cmocka_unit_test(test_docker_states),
	    cmocka_unit_test(test_docker_networks),
	    cmocka_unit_test(test_podman),
	    cmocka_unit_test(test_podman_pod),
	    cmocka_unit_test(test_every_fixture),
	    cmocka_unit_test(test_all_fixtures_and_truncations),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_bad_values_skipped),
	    cmocka_unit_test(test_minimal_and_names),
	    cmocka_unit_test(test_nul_in_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
