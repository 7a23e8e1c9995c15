/*
 * Unit tests of announce: the whole announcement model of README
 * "Labels", one table row per rule.  Instances are built by hand from a
 * compact description (so every rule can be hit exactly) and, further
 * down, from inspect JSON captured from the real engines.  Outcomes are
 * rendered as text lines so a failing row prints what it got.
 */
#include <sys/socket.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "announce.h"
#include "fixture.h"
#include "instance.h"

#define MAXV 24

/* One row: a container, the host's flags, and what must come out. */
struct acase {
	const char *what;
	const char *labels[MAXV]; /* "key=value" */
	const char *env[4]; /* "KEY=value" */
	const char *ports[MAXV]; /* "80/tcp" or "80/tcp=IP:HOSTPORT" */
	const char *nets[4]; /* "name driver ipv4 ipv6", "-" for none */
	const char *name; /* container name; "web" if NULL */
	const char *netmode; /* "bridge" if NULL */
	const char *compose; /* compose service */
	int number; /* compose container-number */
	enum instance_state state; /* OTHER (0) means RUNNING here */
	enum instance_health health;
	bool rootless;
	bool pod_infra;
	bool all;
	bool off; /* expect enabled == false */
	const char *services[MAXV]; /* rendered, in order */
	const char *aliases[8];
	const char *addresses[MAXV]; /* "name ifindex addr", in order */
	const char *skips[8]; /* each a substring of one "item: reason" */
	bool exact_skips; /* and no other skips */
};

/* -- Building instances by hand --------------------------------------- */

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static void
kv_add(struct instance_kv **arr, size_t *n, const char *k, const char *v)
{
	*arr = realloc(*arr, (*n + 1) * sizeof **arr);
	assert_non_null(*arr);
	(*arr)[*n].key = xstrdup(k);
	(*arr)[*n].value = xstrdup(v);
	(*n)++;
}

static void
kv_add_pair(struct instance_kv **arr, size_t *n, const char *pair)
{
	const char *eq = strchr(pair, '=');
	char *k;

	assert_non_null(eq);
	k = strndup(pair, (size_t)(eq - pair));
	kv_add(arr, n, k, eq + 1);
	free(k);
}

static struct instance *
inst_new(const char *name)
{
	struct instance *inst = calloc(1, sizeof *inst);

	assert_non_null(inst);
	inst->engine = xstrdup("docker");
	inst->id = xstrdup("3f2a9c1b7e4400000000000000000000"
			   "00000000000000000000000000000000");
	snprintf(inst->short_id, sizeof inst->short_id, "%.12s", inst->id);
	inst->name = xstrdup(name);
	inst->state = INSTANCE_STATE_RUNNING;
	inst->network_mode = xstrdup("bridge");
	return inst;
}

static void
inst_label(struct instance *inst, const char *k, const char *v)
{
	kv_add(&inst->labels, &inst->nlabels, k, v);
}

static void
inst_port(struct instance *inst, uint16_t cport, enum instance_proto proto,
    const char *ip, uint16_t hport)
{
	struct instance_port *p;

	inst->ports = realloc(inst->ports, (inst->nports + 1) * sizeof *p);
	assert_non_null(inst->ports);
	p = &inst->ports[inst->nports++];
	p->container_port = cport;
	p->proto = proto;
	p->host_ip = ip != NULL ? xstrdup(ip) : NULL;
	p->host_port = hport;
}

/* "80/tcp" or "80/udp=0.0.0.0:5353" or "80/tcp=:::8080". */
static void
inst_port_spec(struct instance *inst, const char *spec)
{
	char buf[128], *eq, *colon, *slash;
	enum instance_proto proto = INSTANCE_PROTO_TCP;

	snprintf(buf, sizeof buf, "%s", spec);
	if ((slash = strchr(buf, '/')) != NULL) {
		if (strncmp(slash + 1, "udp", 3) == 0)
			proto = INSTANCE_PROTO_UDP;
		else if (strncmp(slash + 1, "sctp", 4) == 0)
			proto = INSTANCE_PROTO_SCTP;
	}
	if ((eq = strchr(buf, '=')) == NULL) {
		inst_port(inst, (uint16_t)atoi(buf), proto, NULL, 0);
		return;
	}
	*eq = '\0';
	colon = strrchr(eq + 1, ':');
	assert_non_null(colon);
	*colon = '\0';
	inst_port(inst, (uint16_t)atoi(buf), proto, eq + 1,
	    (uint16_t)atoi(colon + 1));
}

static char *
dash_null(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : xstrdup(s);
}

/* "name driver ipv4 ipv6". */
static void
inst_net(struct instance *inst, const char *spec)
{
	struct instance_network *n;
	char a[64], b[64], c[64], d[64];

	assert_int_equal(sscanf(spec, "%63s %63s %63s %63s", a, b, c, d), 4);
	inst->networks = realloc(
	    inst->networks, (inst->nnetworks + 1) * sizeof *inst->networks);
	assert_non_null(inst->networks);
	n = &inst->networks[inst->nnetworks++];
	n->name = dash_null(a);
	n->driver = dash_null(b);
	n->ipv4 = dash_null(c);
	n->ipv6 = dash_null(d);
}

static struct instance *
inst_from_case(const struct acase *t)
{
	struct instance *inst = inst_new(t->name != NULL ? t->name : "web");
	size_t i;

	for (i = 0; i < MAXV && t->labels[i] != NULL; i++)
		kv_add_pair(&inst->labels, &inst->nlabels, t->labels[i]);
	for (i = 0; i < 4 && t->env[i] != NULL; i++)
		kv_add_pair(&inst->env, &inst->nenv, t->env[i]);
	for (i = 0; i < MAXV && t->ports[i] != NULL; i++)
		inst_port_spec(inst, t->ports[i]);
	if (t->nets[0] == NULL)
		inst_net(inst, "bridge bridge 172.17.0.2 -");
	for (i = 0; i < 4 && t->nets[i] != NULL; i++)
		inst_net(inst, t->nets[i]);
	if (t->netmode != NULL) {
		free(inst->network_mode);
		inst->network_mode = xstrdup(t->netmode);
	}
	if (t->compose != NULL) {
		inst->compose_project = xstrdup("proj");
		inst->compose_service = xstrdup(t->compose);
		inst->compose_number = t->number;
	}
	if (t->state != INSTANCE_STATE_OTHER)
		inst->state = t->state;
	inst->health = t->health;
	inst->rootless = t->rootless;
	inst->pod_infra = t->pod_infra;
	return inst;
}

/* -- The host ---------------------------------------------------------- */

static struct host_addr lo_addrs[] = {
    {AF_INET, "127.0.0.1"}, {AF_INET6, "::1"}};
static struct host_addr eth0_addrs[] = {
    {AF_INET, "192.168.1.5"}, {AF_INET6, "2001:db8::5"}, {AF_INET6, "fe80::5"}};
static struct host_addr eth1_addrs[] = {{AF_INET, "10.0.0.5"}};
static struct host_addr docker0_addrs[] = {{AF_INET, "172.17.0.1"}};
static struct host_iface ifaces[] = {
    {"lo", 1, true, false, lo_addrs, 2},
    {"eth0", 2, false, false, eth0_addrs, 3},
    {"eth1", 3, false, false, eth1_addrs, 1},
    {"docker0", 4, false, true, docker0_addrs, 1},
};

static struct host_facts
host_for(bool all)
{
	struct host_facts h = {"myhost", ifaces, 4, all};

	return h;
}

/* -- Rendering --------------------------------------------------------- */

static void
render_list(char *buf, size_t size, const char *tag, char **v, size_t n)
{
	size_t i, len;

	if (n == 0)
		return;
	len = strlen(buf);
	snprintf(buf + len, size - len, " %s=[", tag);
	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s", i ? "," : "", v[i]);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "]");
}

/* "NAME TYPE PORT [if=N] [fam=4|6] [host=H] [txt=[..]] [sub=[..]]" */
static void
render_service(const struct announce_service *s, char *buf, size_t size)
{
	size_t len;

	snprintf(buf, size, "%s %s %u", s->name, s->type, s->port);
	len = strlen(buf);
	if (s->ifindex != ANNOUNCE_IF_ANY)
		snprintf(buf + strlen(buf), size - strlen(buf), " if=%d",
		    s->ifindex);
	if (s->family != 0)
		snprintf(buf + strlen(buf), size - strlen(buf), " fam=%d",
		    s->family == AF_INET ? 4 : 6);
	if (s->host != NULL)
		snprintf(
		    buf + strlen(buf), size - strlen(buf), " host=%s", s->host);
	render_list(buf, size, "txt", s->txt, s->ntxt);
	render_list(buf, size, "sub", s->subtypes, s->nsubtypes);
	(void)len;
}

static void
dump(const struct announcement *a)
{
	char buf[4096];
	size_t i;

	fprintf(stderr, "  enabled=%d\n", a->enabled);
	for (i = 0; i < a->nservices; i++) {
		render_service(&a->services[i], buf, sizeof buf);
		fprintf(stderr, "  service %s\n", buf);
	}
	for (i = 0; i < a->naliases; i++)
		fprintf(stderr, "  alias %s\n", a->aliases[i]);
	for (i = 0; i < a->naddresses; i++)
		fprintf(stderr, "  address %s %d %s\n", a->addresses[i].name,
		    a->addresses[i].ifindex, a->addresses[i].addr);
	for (i = 0; i < a->nskips; i++)
		fprintf(stderr, "  skip %s: %s\n", a->skips[i].item,
		    a->skips[i].reason);
}

static size_t
count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

/* Checks a against the row; prints both on a mismatch. */
static bool
check(const struct acase *t, const struct announcement *a)
{
	char buf[4096], sk[8192];
	size_t i, j;
	bool ok = true;

	if (a->enabled == t->off)
		ok = false;
	if (a->nservices != count(t->services, MAXV))
		ok = false;
	for (i = 0; ok && i < a->nservices; i++) {
		render_service(&a->services[i], buf, sizeof buf);
		if (strcmp(buf, t->services[i]) != 0)
			ok = false;
	}
	if (a->naliases != count(t->aliases, 8))
		ok = false;
	for (i = 0; ok && i < a->naliases; i++)
		if (strcmp(a->aliases[i], t->aliases[i]) != 0)
			ok = false;
	if (a->naddresses != count(t->addresses, MAXV))
		ok = false;
	for (i = 0; ok && i < a->naddresses; i++) {
		snprintf(buf, sizeof buf, "%s %d %s", a->addresses[i].name,
		    a->addresses[i].ifindex, a->addresses[i].addr);
		if (strcmp(buf, t->addresses[i]) != 0)
			ok = false;
	}
	for (i = 0; i < 8 && t->skips[i] != NULL; i++) {
		for (j = 0; j < a->nskips; j++) {
			snprintf(sk, sizeof sk, "%s: %s", a->skips[j].item,
			    a->skips[j].reason);
			if (strstr(sk, t->skips[i]) != NULL)
				break;
		}
		if (j == a->nskips) {
			fprintf(stderr, "  missing skip \"%s\"\n", t->skips[i]);
			ok = false;
		}
	}
	if (t->exact_skips && a->nskips != count(t->skips, 8))
		ok = false;
	if (!ok) {
		fprintf(stderr, "case \"%s\": got\n", t->what);
		dump(a);
		fprintf(stderr, "expected\n");
		for (i = 0; i < MAXV && t->services[i] != NULL; i++)
			fprintf(stderr, "  service %s\n", t->services[i]);
		for (i = 0; i < 8 && t->aliases[i] != NULL; i++)
			fprintf(stderr, "  alias %s\n", t->aliases[i]);
		for (i = 0; i < MAXV && t->addresses[i] != NULL; i++)
			fprintf(stderr, "  address %s\n", t->addresses[i]);
	}
	return ok;
}

/* Runs every row; also checks copy/equal and that skips are printable. */
static void
run_cases(const struct acase *cases, size_t n)
{
	struct announcement *a, *b, *cp;
	struct instance *inst;
	struct host_facts h;
	size_t i, j, k;
	int failed = 0;

	for (i = 0; i < n; i++) {
		inst = inst_from_case(&cases[i]);
		h = host_for(cases[i].all);
		assert_int_equal(announce_instance(inst, &h, &a), 0);
		assert_non_null(a);
		if (!check(&cases[i], a))
			failed++;
		/* Same input, same output; copies are equal. */
		assert_int_equal(announce_instance(inst, &h, &b), 0);
		assert_true(announcement_equal(a, b));
		cp = announcement_copy(a);
		assert_non_null(cp);
		assert_true(announcement_equal(a, cp));
		assert_int_equal(cp->nskips, a->nskips);
		for (j = 0; j < a->nskips; j++)
			for (k = 0; a->skips[j].item[k] != '\0'; k++)
				assert_true(a->skips[j].item[k] >= 0x20);
		announcement_free(cp);
		announcement_free(b);
		announcement_free(a);
		instance_free(inst);
	}
	if (failed > 0)
		fail_msg("%d of %zu cases failed", failed, n);
}

#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])

/* Alias records for a service bound on every interface of the host. */
#define HOSTADDRS(n)                                                           \
	n ".local 3 10.0.0.5", n ".local 2 192.168.1.5",                       \
	    n ".local 2 2001:db8::5", n ".local 2 fe80::5"

/* -- Opting in --------------------------------------------------------- */

static const struct acase optin_cases[] = {
    {.what = "issue 2's example",
	.labels = {"portlight.enable=true", "portlight.name=Shop",
	    "portlight.type=_http._tcp", "portlight.txt.path=/"},
	.ports = {"80/tcp=0.0.0.0:8080", "80/tcp=:::8080"},
	.services = {"Shop _http._tcp 8080 txt=[path=/]"},
	.exact_skips = true},
    {.what = "no label: not announced",
	.ports = {"80/tcp=0.0.0.0:8080"},
	.off = true,
	.exact_skips = true},
    {.what = "enable=true, any case",
	.labels = {"portlight.enable=TRUE"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"}},
    {.what = "enable=yes",
	.labels = {"portlight.enable=Yes"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"}},
    {.what = "enable=1",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"}},
    {.what = "enable=false wins over every other signal",
	.labels = {"portlight.enable=false", "portlight.name=X",
	    "koi.enable=true", "traefik.enable=true",
	    "traefik.http.routers.a.rule=Host(`a.local`)"},
	.env = {"PORTLIGHT_ANNOUNCE=http:80"},
	.ports = {"80/tcp=:8080"},
	.all = true,
	.off = true,
	.skips = {"container: opted out by portlight.enable"},
	.exact_skips = true},
    {.what = "enable=No",
	.labels = {"portlight.enable=No"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"container: opted out by portlight.enable"},
	.exact_skips = true},
    {.what = "enable=0",
	.labels = {"portlight.enable=0"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"container: opted out by portlight.enable"},
	.exact_skips = true},
    {.what = "enable=maybe: an error, treated as unset",
	.labels = {"portlight.enable=maybe"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"label portlight.enable: \"maybe\" is not true"},
	.exact_skips = true},
    {.what = "enable=maybe, but another portlight label opts in",
	.labels = {"portlight.enable=maybe", "portlight.name=Shop"},
	.ports = {"80/tcp=:8080"},
	.services = {"Shop _http._tcp 8080"},
	.skips = {"label portlight.enable"},
	.exact_skips = true},
    {.what = "any other portlight.* label opts in",
	.labels = {"portlight.txt.v=1"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080 txt=[v=1]"}},
    {.what = "env PORTLIGHT_ANNOUNCE opts in",
	.env = {"PORTLIGHT_ANNOUNCE=http:80"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.exact_skips = true},
    {.what = "koi.enable=true",
	.labels = {"koi.enable=true"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"}},
    {.what = "koi.enable=false switches koi labels off",
	.labels = {"koi.enable=false", "koi.name=K"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"container: koi.enable=false turns its other koi labels "
		  "off"},
	.exact_skips = true},
    {.what = "koi.enable=false with the env: off too",
	.labels = {"koi.enable=false"},
	.env = {"KOI_MDNS_ANNOUNCE=K"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"container: koi.enable=false"},
	.exact_skips = true},
    {.what = "koi.enable=false alone says nothing",
	.labels = {"koi.enable=false"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.exact_skips = true},
    {.what = "koi.enable=false, opted in by portlight: koi unread",
	.labels = {"koi.enable=false", "koi.name=K", "koi.type=ssh",
	    "koi.txt.a=1", "portlight.port=80"},
	.env = {"KOI_MDNS_ANNOUNCE=E"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.exact_skips = true},
    {.what = "koi.enable=false, opted in by portlight: koi.announce unread",
	.labels = {"koi.enable=false", "koi.announce=A",
	    "portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.exact_skips = true},
    {.what = "koi.announce=NAME opts in and names",
	.labels = {"koi.announce=Koi Thing"},
	.ports = {"80/tcp=:8080"},
	.services = {"Koi Thing _http._tcp 8080"}},
    {.what = "env KOI_MDNS_ANNOUNCE=NAME",
	.env = {"KOI_MDNS_ANNOUNCE=Envkoi"},
	.ports = {"80/tcp=:8080"},
	.services = {"Envkoi _http._tcp 8080"}},
    {.what = "koi.name, koi.type, koi.txt",
	.labels = {"koi.name=Printer", "koi.type=_ipp._tcp",
	    "koi.txt.rp=printers/x"},
	.ports = {"9999/tcp=:631"},
	.services = {"Printer _ipp._tcp 631 txt=[rp=printers/x]"}},
    {.what = "portlight labels win over koi",
	.labels = {"koi.name=K", "koi.type=ssh", "koi.txt.a=koi",
	    "portlight.name=P", "portlight.txt.a=pl", "portlight.type=http"},
	.ports = {"80/tcp=:8080"},
	.services = {"P _http._tcp 8080 txt=[a=pl]"},
	.skips = {"label koi.txt.a: duplicate TXT key"}},
    {.what = "docker-mdns.enable with docker-mdns.host",
	.labels = {"docker-mdns.enable=true",
	    "docker-mdns.host=app.local  Other.local"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.aliases = {"app", "other"},
	.addresses = {HOSTADDRS("app"), HOSTADDRS("other")}},
    {.what = "docker-mdns.enable without a host: not ours",
	.labels = {"docker-mdns.enable=true"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"container: docker-mdns.enable=true, but no "
		  "docker-mdns.host"},
	.exact_skips = true},
    {.what = "docker-mdns.host of blanks is no host",
	.labels = {"docker-mdns.enable=true", "docker-mdns.host= , "},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"container: docker-mdns.enable=true, but no "
		  "docker-mdns.host"},
	.exact_skips = true},
    {.what = "traefik Host(`x.local`) opts in and makes an alias",
	.labels = {"traefik.enable=true",
	    "traefik.http.routers.g.rule=Host(`grafana.local`) || "
	    "Host(`grafana.example.com`)"},
	.aliases = {"grafana"},
	.addresses = {HOSTADDRS("grafana")}},
    {.what = "traefik with several hosts in one matcher",
	.labels = {"traefik.enable=true",
	    "traefik.http.routers.g.rule=Host(`a.local`, `B.local`) && "
	    "PathPrefix(`/x`)"},
	.ports = {"80/tcp=192.168.1.5:80"},
	.services = {"web _http._tcp 80 if=2 fam=4"},
	.aliases = {"a", "b"},
	.addresses = {"a.local 2 192.168.1.5", "b.local 2 192.168.1.5"}},
    {.what = "traefik without a .local host: not ours",
	.labels = {"traefik.enable=true",
	    "traefik.http.routers.g.rule=Host(`example.com`)"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.skips = {"container: traefik.enable=true, but no router rule has "
		  "Host(`NAME.local`)"},
	.exact_skips = true},
    {.what = "traefik without a .local host, opted in by --all",
	.labels = {"traefik.enable=true",
	    "traefik.http.routers.g.rule=Host(`example.com`)"},
	.ports = {"80/tcp=:8080"},
	.all = true,
	.services = {"web _http._tcp 8080"},
	.exact_skips = true},
    {.what = "traefik rule without traefik.enable: not ours",
	.labels = {"traefik.http.routers.g.rule=Host(`g.local`)"},
	.ports = {"80/tcp=:8080"},
	.off = true,
	.exact_skips = true},
    {.what = "--all: a container with a published port",
	.ports = {"5432/tcp=0.0.0.0:5432"},
	.all = true,
	.services = {"web _postgresql._tcp 5432 fam=4"}},
    {.what = "--all: not a pod's infra container",
	.ports = {"80/tcp=:18150"},
	.pod_infra = true,
	.all = true,
	.off = true},
    {.what = "--all: a pod member with the pod's port",
	.ports = {"80/tcp=:18150"},
	.netmode = "container:73e23198896a",
	.all = true,
	.services = {"web _http._tcp 18150"}},
    {.what = "--all: nothing published, not announced",
	.ports = {"80/tcp"},
	.all = true,
	.off = true},
    {.what = "opted in with nothing to announce says so",
	.labels = {"portlight.enable=true"},
	.skips = {"container: nothing to announce"},
	.exact_skips = true},
};

static void
test_optin(void **state)
{
	RUN(optin_cases);
}

/* -- Liveness ---------------------------------------------------------- */

static const struct acase live_cases[] = {
    {.what = "exited",
	.labels = {"portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.state = INSTANCE_STATE_EXITED,
	.skips = {"container: not running"},
	.exact_skips = true},
    {.what = "created",
	.labels = {"portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.state = INSTANCE_STATE_CREATED,
	.skips = {"container: not running"},
	.exact_skips = true},
    {.what = "restarting",
	.labels = {"portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.state = INSTANCE_STATE_RESTARTING,
	.skips = {"container: not running"},
	.exact_skips = true},
    {.what = "paused",
	.labels = {"portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.state = INSTANCE_STATE_PAUSED,
	.skips = {"container: paused"},
	.exact_skips = true},
    {.what = "health starting",
	.labels = {"portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.health = INSTANCE_HEALTH_STARTING,
	.skips = {"container: health: starting"},
	.exact_skips = true},
    {.what = "unhealthy",
	.labels = {"portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.health = INSTANCE_HEALTH_UNHEALTHY,
	.skips = {"container: health: unhealthy"},
	.exact_skips = true},
    {.what = "healthy",
	.labels = {"portlight.enable=true"},
	.ports = {"80/tcp=:8080"},
	.health = INSTANCE_HEALTH_HEALTHY,
	.services = {"web _http._tcp 8080"},
	.exact_skips = true},
    {.what = "unhealthy, health=ignore",
	.labels = {"portlight.health=ignore"},
	.ports = {"80/tcp=:8080"},
	.health = INSTANCE_HEALTH_UNHEALTHY,
	.services = {"web _http._tcp 8080"},
	.exact_skips = true},
    {.what = "paused, health=ignore: still paused",
	.labels = {"portlight.health=ignore"},
	.ports = {"80/tcp=:8080"},
	.state = INSTANCE_STATE_PAUSED,
	.skips = {"container: paused"}},
    {.what = "health=bogus: checked",
	.labels = {"portlight.health=bogus"},
	.ports = {"80/tcp=:8080"},
	.health = INSTANCE_HEALTH_STARTING,
	.skips = {"label portlight.health", "health: starting"},
	.exact_skips = true},
};

static void
test_liveness(void **state)
{
	RUN(live_cases);
}

/* -- Names and types ---------------------------------------------------- */

static const struct acase name_cases[] = {
    {.what = "homepage.name before koi and compose",
	.labels = {"portlight.enable=1", "homepage.name=Home Page",
	    "koi.name=K"},
	.compose = "app",
	.ports = {"80/tcp=:8080"},
	.services = {"Home Page _http._tcp 8080"}},
    {.what = "koi.name before koi.announce",
	.labels = {"koi.announce=A", "koi.name=N"},
	.ports = {"80/tcp=:8080"},
	.services = {"N _http._tcp 8080"}},
    {.what = "compose service",
	.labels = {"portlight.enable=1"},
	.compose = "grafana",
	.number = 1,
	.name = "proj-grafana-1",
	.ports = {"3000/tcp=:3000"},
	.services = {"grafana _http._tcp 3000"}},
    {.what = "scaled compose replica 3 gets -3",
	.labels = {"portlight.enable=1"},
	.compose = "worker",
	.number = 3,
	.name = "proj-worker-3",
	.ports = {"8000/tcp=:49153"},
	.services = {"worker-3 _http._tcp 49153"}},
    {.what = "container name last",
	.labels = {"portlight.enable=1"},
	.name = "my_container",
	.ports = {"22/tcp=:2222"},
	.services = {"my_container _ssh._tcp 2222"}},
    {.what = "a UTF-8 name is fine",
	.labels = {"portlight.name=Café Ü 日本"},
	.ports = {"80/tcp=:8080"},
	.services = {"Café Ü 日本 _http._tcp 8080"},
	.exact_skips = true},
    {.what = "a 63-byte name is fine",
	.labels = {"portlight.name=123456789012345678901234567890"
		   "123456789012345678901234567890123"},
	.ports = {"80/tcp=:8080"},
	.services = {"123456789012345678901234567890"
		     "123456789012345678901234567890123 _http._tcp 8080"},
	.exact_skips = true},
    {.what = "a 64-byte name falls back to the next",
	.labels = {"portlight.name=123456789012345678901234567890"
		   "1234567890123456789012345678901234"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.name: name longer than 63"},
	.exact_skips = true},
    {.what = "invalid UTF-8 falls back",
	.labels = {"portlight.name=bad\xc3\x28name", "homepage.name=H"},
	.ports = {"80/tcp=:8080"},
	.services = {"H _http._tcp 8080"},
	.skips = {"label portlight.name: name is not valid UTF-8"}},
    {.what = "overlong UTF-8 and surrogates are invalid",
	.labels = {"portlight.name=\xc0\xaf", "homepage.name=\xed\xa0\x80",
	    "koi.name=\xf4\x90\x80\x80"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.name: name is not valid UTF-8",
	    "label homepage.name: name is not valid UTF-8",
	    "label koi.name: name is not valid UTF-8"}},
    {.what = "control characters fall back",
	.labels = {"portlight.name=a\tb", "koi.name=c\xc2\x85"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.name: name contains a control",
	    "label koi.name: name contains a control"}},
    {.what = "empty name falls back",
	.labels = {"portlight.name="},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.name: empty name"}},
    {.what = "bare type",
	.labels = {"portlight.type=ssh"},
	.ports = {"2222/tcp=:2222"},
	.services = {"web _ssh._tcp 2222"}},
    {.what = "type in capitals is lower-cased",
	.labels = {"portlight.type=_HTTP._TCP"},
	.ports = {"1234/tcp=:1234"},
	.services = {"web _http._tcp 1234"},
	.exact_skips = true},
    {.what = "UDP type on a UDP port",
	.labels = {"portlight.type=_sip._udp"},
	.ports = {"5060/udp=:5060"},
	.services = {"web _sip._udp 5060"}},
    {.what = "TCP type never on a UDP port",
	.labels = {"portlight.type=_http._tcp"},
	.ports = {"80/tcp=:8080", "5353/udp=:5353"},
	.services = {"web _http._tcp 8080"},
	.skips = {"port 5353/udp: type _http._tcp is TCP, the port is UDP"},
	.exact_skips = true},
    {.what = "UDP type never on a TCP port",
	.labels = {"portlight.type=_sip._udp"},
	.ports = {"5060/tcp=:5060"},
	.skips = {"port 5060/tcp: type _sip._udp is UDP, the port is TCP"},
	.exact_skips = true},
    {.what = "well-known table by container port, not host port",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=:8443", "443/tcp=:8080", "5432/tcp=:15432",
	    "6379/tcp=:6379", "1883/tcp=:1883", "8123/tcp=:8123", "53/udp=:53"},
	.services = {"web _domain._udp 53", "web _mqtt._tcp 1883",
	    "web _redis._tcp 6379", "web _https._tcp 8080",
	    "web _home-assistant._tcp 8123", "web _http._tcp 8443",
	    "web _postgresql._tcp 15432"},
	.exact_skips = true},
    {.what = "unknown port without a type is skipped",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=:8080", "9999/tcp=:9999"},
	.services = {"web _http._tcp 8080"},
	.skips = {"port 9999/tcp: no service type: set portlight.type"},
	.exact_skips = true},
    {.what = "SCTP is not announced",
	.labels = {"portlight.type=http"},
	.ports = {"80/sctp=:8080"},
	.skips = {"port 80/sctp: SCTP"},
	.exact_skips = true},
    {.what = "invalid types: each skipped, the table is used",
	.labels = {"portlight.type=_thisnameiswaytoolong._tcp",
	    "koi.type=_1abc._tcp"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.type: \"_thisnameiswaytoolong._tcp\": "
		  "service name is not 1-15",
	    "label koi.type: \"_1abc._tcp\": service name does not start"},
	.exact_skips = true},
    {.what = "invalid type protocol",
	.labels = {"portlight.type=_http._sctp"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"protocol is not _tcp or _udp"}},
    {.what = "invalid type characters",
	.labels = {"portlight.type=ht_tp"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"service name is not [a-z0-9-]"}},
    {.what = "15-character service name is fine",
	.labels = {"portlight.type=abcdefghijklmno"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _abcdefghijklmno._tcp 8080"}},
};

static void
test_names_types(void **state)
{
	RUN(name_cases);
}

/* -- Ports, bindings, addresses ---------------------------------------- */

static const struct acase port_cases[] = {
    {.what = "0.0.0.0 and :: of one port: one service",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=0.0.0.0:8080", "80/tcp=:::8080"},
	.services = {"web _http._tcp 8080"},
	.exact_skips = true},
    {.what = "a lone 0.0.0.0 binding is IPv4 only",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=0.0.0.0:8080"},
	.services = {"web _http._tcp 8080 fam=4"}},
    {.what = "a lone :: binding is IPv6 only",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=:::8080"},
	.services = {"web _http._tcp 8080 fam=6"}},
    {.what = "IPv4/IPv6 with different ephemeral ports: each once",
	.labels = {"portlight.name=Shop"},
	.ports = {"80/tcp=0.0.0.0:32768", "80/tcp=:::32769"},
	.services = {"Shop _http._tcp 32768 fam=4",
	    "Shop (32769) _http._tcp 32769 fam=6"},
	.exact_skips = true},
    {.what = "one container port on two host ports",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=:8080", "80/tcp=:8081"},
	.services = {"web _http._tcp 8080", "web (8081) _http._tcp 8081"}},
    {.what = "loopback is never announced",
	.labels = {"portlight.enable=1"},
	.ports = {"5432/tcp=127.0.0.1:5432", "6379/tcp=::1:6379",
	    "80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"port 5432/tcp: bound to loopback",
	    "port 6379/tcp: bound to loopback"},
	.exact_skips = true},
    {.what = "127.0.0.2 and mapped ::ffff:127.0.0.1 are loopback",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=127.0.0.2:80", "443/tcp=::ffff:127.0.0.1:443"},
	.skips = {"port 80/tcp: bound to loopback",
	    "port 443/tcp: bound to loopback"},
	.exact_skips = true},
    {.what = "loopback and LAN bindings of one port",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=127.0.0.1:80", "80/tcp=0.0.0.0:8080",
	    "80/tcp=:::8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"port 80/tcp: bound to loopback"}},
    {.what = "a specific address held by eth1",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=10.0.0.5:8080"},
	.services = {"web _http._tcp 8080 if=3 fam=4"},
	.exact_skips = true},
    {.what = "a specific IPv6 address held by eth0",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=2001:db8::5:8080"},
	.services = {"web _http._tcp 8080 if=2 fam=6"}},
    {.what = "v4 and v6 addresses of eth0, same port: one service",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=192.168.1.5:8080", "80/tcp=2001:db8::5:8080"},
	.services = {"web _http._tcp 8080 if=2"}},
    {.what = "one port on two interfaces keeps its name",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=192.168.1.5:8080", "80/tcp=10.0.0.5:8080"},
	.services = {"web _http._tcp 8080 if=2 fam=4",
	    "web _http._tcp 8080 if=3 fam=4"}},
    {.what = "an address no interface holds",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=192.168.9.9:8080"},
	.skips = {"port 80/tcp: bound to 192.168.9.9, which no "
		  "interface of this host holds"},
	.exact_skips = true},
    {.what = "an address of a container bridge",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=172.17.0.1:8080"},
	.skips = {"port 80/tcp: bound to 172.17.0.1 on container "
		  "bridge docker0"},
	.exact_skips = true},
    {.what = "a host address that is no IP",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp=bogus:8080"},
	.skips = {"is not an IP address"}},
    {.what = "exposed but unpublished ports are not announced",
	.labels = {"portlight.enable=1"},
	.ports = {"80/tcp", "443/tcp=:8443"},
	.services = {"web _https._tcp 8443"},
	.exact_skips = true},
    {.what = "portlight.port selects",
	.labels = {"portlight.port=443"},
	.ports = {"80/tcp=:8080", "443/tcp=:8443"},
	.services = {"web _https._tcp 8443"},
	.exact_skips = true},
    {.what = "portlight.port list with proto and junk",
	.labels = {"portlight.port= 80 ,53/udp,abc,0,70000,99999999999,"
		   "80/sctp"},
	.ports = {"80/tcp=:8080", "53/udp=:53", "53/tcp=:53", "443/tcp=:8443"},
	.services = {"web _domain._udp 53", "web _http._tcp 8080"},
	.skips = {"label portlight.port: \"abc\": port is not a number",
	    "label portlight.port: \"0\": port is not 1-65535",
	    "label portlight.port: \"70000\": port is not 1-65535",
	    "label portlight.port: \"99999999999\": port is not 1-65535",
	    "label portlight.port: \"80/sctp\": port is not a number"},
	.exact_skips = true},
    {.what = "portlight.port naming an unpublished port",
	.labels = {"portlight.port=81"},
	.ports = {"80/tcp=:8080"},
	.skips = {"label portlight.port: container port 81 is not "
		  "published"},
	.exact_skips = true},
    {.what = "portlight.port naming the other protocol says which",
	.labels = {"portlight.port=80/udp"},
	.ports = {"80/tcp=:8080"},
	.skips = {"label portlight.port: container port 80/udp is not "
		  "published"},
	.exact_skips = true},
    {.what = "bare port: the twin of the other protocol is left quietly",
	.labels = {"portlight.port=53", "portlight.type=domain"},
	.ports = {"53/tcp=:53", "53/udp=:53"},
	.services = {"web _domain._tcp 53"},
	.exact_skips = true},
    {.what = "host network: exposed ports, container port",
	.labels = {"portlight.enable=1"},
	.netmode = "host",
	.nets = {"host host - -"},
	.ports = {"8123/tcp", "1883/tcp"},
	.services = {"web _mqtt._tcp 1883", "web _home-assistant._tcp 8123"},
	.exact_skips = true},
    {.what = "host network: a named port needs no EXPOSE",
	.labels = {"portlight.port=8096", "portlight.type=http"},
	.netmode = "host",
	.nets = {"host host - -"},
	.services = {"web _http._tcp 8096"},
	.exact_skips = true},
    {.what = "rootless: published host ports",
	.labels = {"portlight.enable=1"},
	.rootless = true,
	.ports = {"80/tcp=0.0.0.0:8080"},
	.services = {"web _http._tcp 8080 fam=4"}},
};

static void
test_ports(void **state)
{
	RUN(port_cases);
}

/* -- TXT, subtypes, aliases -------------------------------------------- */

static const struct acase txt_cases[] = {
    {.what = "TXT pairs in label order",
	.labels = {"portlight.txt.path=/admin", "portlight.txt.v=2",
	    "portlight.txt.empty="},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080 txt=[path=/admin,v=2,empty=]"},
	.exact_skips = true},
    {.what = "homepage.href gives path",
	.labels = {"portlight.enable=1",
	    "homepage.href=http://nas.local:8080/ui/?x=1#top"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080 txt=[path=/ui/]"}},
    {.what = "portlight.txt.path wins over homepage.href, silently",
	.labels = {"portlight.txt.path=/", "homepage.href=http://h/x"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080 txt=[path=/]"},
	.exact_skips = true},
    {.what = "homepage.href without a path adds nothing",
	.labels = {"portlight.enable=1", "homepage.href=http://h:80"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"}},
    {.what = "duplicate keys without case: the first wins",
	.labels = {"portlight.txt.Path=/a", "portlight.txt.path=/b"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080 txt=[Path=/a]"},
	.skips = {"label portlight.txt.path: duplicate TXT key"},
	.exact_skips = true},
    {.what = "bad keys; '=' in a value is fine",
	.labels = {"portlight.txt.k\xc3\xa9=v", "portlight.txt.a=b=c",
	    "portlight.txt.=x", "portlight.txt.ok=1"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080 txt=[a=b=c,ok=1]"},
	.skips = {"label portlight.txt.k??: TXT key is not printable",
	    "label portlight.txt.: empty TXT key"},
	.exact_skips = true},
    {.what = "subtypes in every form",
	.labels = {"portlight.subtypes=_printer._sub._http._tcp, _scanner,"
		   "univ,_x._sub._ipp._tcp,bad.dot,printer"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080 sub=[_printer._sub._http._tcp,"
		     "_scanner._sub._http._tcp,_univ._sub._http._tcp]"},
	.skips = {"subtype \"_x._sub._ipp._tcp\" is not of type",
	    "\"bad.dot\": subtype is not"},
	.exact_skips = true},
    {.what = "aliases",
	.labels = {"portlight.alias=grafana, Metrics.local,bad_name,"
		   "a.b,-x,myhost,grafana"},
	.ports = {"3000/tcp=:3000"},
	.services = {"web _http._tcp 3000"},
	.aliases = {"grafana", "metrics"},
	.addresses = {HOSTADDRS("grafana"), HOSTADDRS("metrics")},
	.skips = {"alias \"bad_name\": host name is not [a-z0-9-]",
	    "alias \"a.b\": host name is not a single label",
	    "alias \"-x\": host name starts or ends",
	    "alias \"myhost\": is this host's own name"},
	.exact_skips = true},
    {.what = "aliases follow a specific binding",
	.labels = {"portlight.alias=nas"},
	.ports = {"80/tcp=10.0.0.5:80"},
	.services = {"web _http._tcp 80 if=3 fam=4"},
	.aliases = {"nas"},
	.addresses = {"nas.local 3 10.0.0.5"}},
    {.what = "alias of 64 characters",
	.labels = {"portlight.alias=a23456789012345678901234567890"
		   "1234567890123456789012345678901234"},
	.ports = {"80/tcp=:80"},
	.services = {"web _http._tcp 80"},
	.skips = {"host name longer than 63"},
	.exact_skips = true},
    {.what = "rootless aliases use host addresses",
	.labels = {"portlight.alias=app"},
	.rootless = true,
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.aliases = {"app"},
	.addresses = {HOSTADDRS("app")}},
};

static void
test_txt_aliases(void **state)
{
	RUN(txt_cases);
}

/* -- Container-address mode -------------------------------------------- */

static const struct acase cmode_cases[] = {
    {.what = "macvlan, nothing published: automatic",
	.labels = {"portlight.name=Pi Hole"},
	.nets = {"lan macvlan 192.168.1.50 2001:db8::50"},
	.ports = {"80/tcp", "53/udp"},
	.services = {"Pi Hole _domain._udp 53 host=pi-hole.local",
	    "Pi Hole _http._tcp 80 host=pi-hole.local"},
	.addresses = {"pi-hole.local -1 192.168.1.50",
	    "pi-hole.local -1 2001:db8::50"},
	.exact_skips = true},
    {.what = "ipvlan with an alias as host name",
	.labels = {"portlight.alias=ha", "portlight.enable=1"},
	.nets = {"lan ipvlan 192.168.1.51 -", "bridge bridge 172.17.0.3 -"},
	.ports = {"8123/tcp"},
	.services = {"web _home-assistant._tcp 8123 host=ha.local"},
	.aliases = {"ha"},
	.addresses = {"ha.local -1 192.168.1.51"},
	.skips = {"network bridge: not macvlan or ipvlan"},
	.exact_skips = true},
    {.what = "address=container with published ports",
	.labels = {"portlight.address=container", "portlight.name=NAS Box"},
	.nets = {"lan macvlan 192.168.1.52 -"},
	.ports = {"80/tcp=:8080"},
	.services = {"NAS Box _http._tcp 80 host=nas-box.local"},
	.addresses = {"nas-box.local -1 192.168.1.52"}},
    {.what = "address=host keeps host mode on macvlan",
	.labels = {"portlight.address=host"},
	.nets = {"lan macvlan 192.168.1.52 -"},
	.ports = {"80/tcp"},
	.skips = {"container: nothing to announce"},
	.exact_skips = true},
    {.what = "address=container on a bridge only: host",
	.labels = {"portlight.address=container"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.address: no macvlan or ipvlan"},
	.exact_skips = true},
    {.what = "address=container, rootless: host",
	.labels = {"portlight.address=container"},
	.rootless = true,
	.nets = {"lan macvlan 192.168.1.52 -"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.address: rootless"},
	.exact_skips = true},
    {.what = "rootless on macvlan: never the container IP",
	.labels = {"portlight.enable=1"},
	.rootless = true,
	.nets = {"lan macvlan 192.168.1.52 -"},
	.ports = {"80/tcp"},
	.skips = {"container: nothing to announce"},
	.exact_skips = true},
    {.what = "address=bogus",
	.labels = {"portlight.address=bogus"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.address: \"bogus\" is not host or "
		  "container"},
	.exact_skips = true},
    {.what = "link-local and loopback container addresses are not used",
	.labels = {"portlight.address=container"},
	.nets = {"lan macvlan 169.254.1.1 fe80::1"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.address: no macvlan"}},
};

static void
test_container_mode(void **state)
{
	RUN(cmode_cases);
}

/* -- Further services, env specs ---------------------------------------- */

static const struct acase multi_cases[] = {
    {.what = "portlight.service.ID makes further services",
	.labels = {"portlight.name=Grafana", "portlight.txt.path=/",
	    "portlight.service.metrics.name=Grafana metrics",
	    "portlight.service.metrics.port=9100",
	    "portlight.service.metrics.type=http",
	    "portlight.service.metrics.txt.path=/metrics",
	    "portlight.service.metrics.subtypes=prom",
	    "portlight.service.admin.port=22",
	    "portlight.service.admin.name=Grafana SSH"},
	.ports = {"3000/tcp=:3000", "9100/tcp=:9100", "22/tcp=:2222"},
	.services = {"Grafana SSH _ssh._tcp 2222",
	    "Grafana _http._tcp 3000 txt=[path=/]",
	    "Grafana metrics _http._tcp 9100 txt=[path=/metrics] "
	    "sub=[_prom._sub._http._tcp]"},
	.exact_skips = true},
    {.what = "service.ID without a port; bad ID; bad field",
	.labels = {"portlight.enable=1", "portlight.service.x.name=X",
	    "portlight.service.b@d.port=80", "portlight.service.y.colour=1"},
	.ports = {"80/tcp=:8080"},
	.services = {"web _http._tcp 8080"},
	.skips = {"label portlight.service.x: no port",
	    "label portlight.service.b@d.port: not portlight.service.ID",
	    "label portlight.service.y.colour: not portlight.service.ID"},
	.exact_skips = true},
    {.what = "service.ID sharing a name and type is renamed",
	.labels = {"portlight.name=App", "portlight.port=80",
	    "portlight.service.alt.port=8000"},
	.ports = {"80/tcp=:80", "8000/tcp=:8000"},
	.services = {"App _http._tcp 80", "App (8000) _http._tcp 8000"}},
    {.what = "service.ID with a bad name uses the container's",
	.labels = {"portlight.name=App", "portlight.service.s.name=\x01",
	    "portlight.service.s.port=22"},
	.ports = {"22/tcp=:22"},
	.services = {"App _ssh._tcp 22"},
	.skips = {"label portlight.service.s.name: name contains"},
	.exact_skips = true},
    {.what = "env specs",
	.env = {"PORTLIGHT_ANNOUNCE=Grafana=http:3000; ssh:22"},
	.ports = {"3000/tcp=:3000", "22/tcp=:2222"},
	.services = {"web _ssh._tcp 2222", "Grafana _http._tcp 3000"},
	.exact_skips = true},
    {.what = "env spec without a port: type and name",
	.env = {"PORTLIGHT_ANNOUNCE=Thing=_thing._tcp"},
	.ports = {"7000/tcp=:7000"},
	.services = {"Thing _thing._tcp 7000"},
	.exact_skips = true},
    {.what = "labels win over env for the same port",
	.labels = {"portlight.port=3000", "portlight.name=L"},
	.env = {"PORTLIGHT_ANNOUNCE=E=https:3000;F=ssh:22"},
	.ports = {"3000/tcp=:3000", "22/tcp=:22"},
	.services = {"F _ssh._tcp 22", "L _http._tcp 3000"},
	.skips = {"env PORTLIGHT_ANNOUNCE: spec for port 3000: labels"},
	.exact_skips = true},
    {.what = "portlight.type wins over a portless env spec",
	.labels = {"portlight.type=https"},
	.env = {"PORTLIGHT_ANNOUNCE=http"},
	.ports = {"80/tcp=:80"},
	.services = {"web _https._tcp 80"},
	.exact_skips = true},
    {.what = "bad env specs are skipped one by one",
	.env = {"PORTLIGHT_ANNOUNCE=http:abc;=http:1;_x._sctp:2;;"
		"ssh:22/tcp;http:80;ssh;ftp"},
	.ports = {"80/tcp=:80"},
	.services = {"web _http._tcp 80"},
	.skips = {"spec \"http:abc\": port is not a number",
	    "spec \"=http:1\": empty name",
	    "spec \"_x._sctp:2\": protocol is not",
	    "spec \"ssh:22/tcp\": the port of a spec",
	    "spec \"ftp\": only the first spec without a port"},
	.exact_skips = true},
    {.what = "env spec for a port not published",
	.env = {"PORTLIGHT_ANNOUNCE=http:81"},
	.ports = {"80/tcp=:80"},
	.services = {"web _http._tcp 80"},
	.skips = {"env PORTLIGHT_ANNOUNCE: container port 81 is not "
		  "published"},
	.exact_skips = true},
};

static void
test_multi(void **state)
{
	RUN(multi_cases);
}

/* -- Hostile input ------------------------------------------------------ */

static char *
big(size_t n, char c)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static size_t
txt_wire(const struct announce_service *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->ntxt; i++)
		n += 1 + strlen(s->txt[i]);
	return n;
}

static void
assert_skips_sane(const struct announcement *a)
{
	size_t i;

	for (i = 0; i < a->nskips; i++) {
		assert_true(strlen(a->skips[i].item) < 200);
		assert_true(strlen(a->skips[i].reason) < 400);
	}
}

/* 100 KB values everywhere: refused item by item, the rest kept. */
static void
test_hostile_values(void **state)
{
	struct instance *inst = inst_new("web");
	struct host_facts h = host_for(false);
	struct announcement *a;
	char *v = big(100 * 1024, 'x'), *k;

	inst_label(inst, "portlight.name", v);
	inst_label(inst, "portlight.type", v);
	inst_label(inst, "portlight.port", v);
	inst_label(inst, "portlight.alias", v);
	inst_label(inst, "portlight.subtypes", v);
	inst_label(inst, "portlight.address", v);
	inst_label(inst, "portlight.health", v);
	inst_label(inst, "portlight.txt.big", v);
	inst_label(inst, "homepage.href", v);
	inst_label(inst, "traefik.enable", "true");
	inst_label(inst, "traefik.http.routers.x.rule", v);
	inst_label(inst, "portlight.txt.ok", "1");
	k = big(100 * 1024, 'k');
	memcpy(k, "portlight.txt.", 14);
	inst_label(inst, k, "v");
	memcpy(k, "portlight.service.", 18);
	inst_label(inst, k, "v");
	free(k);
	kv_add(&inst->env, &inst->nenv, "PORTLIGHT_ANNOUNCE", v);
	inst_port(inst, 80, INSTANCE_PROTO_TCP, "", 8080);
	inst_port(inst, 80, INSTANCE_PROTO_TCP, v, 8081);
	free(v);

	assert_int_equal(announce_instance(inst, &h, &a), 0);
	assert_true(a->enabled);
	assert_int_equal(a->nservices, 1);
	assert_string_equal(a->services[0].name, "web");
	assert_string_equal(a->services[0].type, "_http._tcp");
	assert_int_equal(a->services[0].port, 8080);
	assert_int_equal(a->services[0].ntxt, 1);
	assert_string_equal(a->services[0].txt[0], "ok=1");
	assert_true(a->nskips >= 8);
	assert_skips_sane(a);
	announcement_free(a);
	instance_free(inst);
}

/* 1000 TXT keys: the record stays within 1300 bytes, nothing is cut. */
static void
test_hostile_txt(void **state)
{
	struct instance *inst = inst_new("web");
	struct host_facts h = host_for(false);
	struct announcement *a;
	char key[64], *v;
	size_t i, skipped = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "portlight.txt.k%04zu", i);
		inst_label(inst, key, "value");
	}
	inst_port(inst, 80, INSTANCE_PROTO_TCP, "0.0.0.0", 8080);
	assert_int_equal(announce_instance(inst, &h, &a), 0);
	assert_int_equal(a->nservices, 1);
	assert_true(txt_wire(&a->services[0]) <= 1300);
	assert_true(a->services[0].ntxt > 100);
	for (i = 0; i < a->services[0].ntxt; i++)
		assert_int_equal(strlen(a->services[0].txt[i]), 11);
	for (i = 0; i < a->nskips; i++)
		if (strstr(a->skips[i].reason, "1300") != NULL)
			skipped++;
	assert_int_equal(a->services[0].ntxt + skipped, 1000);
	announcement_free(a);
	instance_free(inst);

	/* key=value of exactly 255 bytes is kept, 256 is not. */
	inst = inst_new("web");
	v = big(255 - 2, 'v');
	inst_label(inst, "portlight.txt.a", v);
	free(v);
	v = big(256 - 2, 'v');
	inst_label(inst, "portlight.txt.b", v);
	free(v);
	inst_label(inst, "portlight.txt.c=d", "keys with = are refused");
	inst_port(inst, 80, INSTANCE_PROTO_TCP, "", 8080);
	assert_int_equal(announce_instance(inst, &h, &a), 0);
	assert_int_equal(a->nservices, 1);
	assert_int_equal(a->services[0].ntxt, 1);
	assert_int_equal(strlen(a->services[0].txt[0]), 255);
	assert_int_equal(a->nskips, 2);
	assert_string_equal(a->skips[0].item, "label portlight.txt.b");
	assert_non_null(strstr(a->skips[0].reason, "256 bytes"));
	assert_string_equal(a->skips[1].item, "label portlight.txt.c=d");
	assert_non_null(strstr(a->skips[1].reason, "contains '='"));
	announcement_free(a);
	instance_free(inst);
}

/* Odd structures: NULL strings, port 0, many ports, no host facts. */
static void
test_hostile_structure(void **state)
{
	struct instance *inst = inst_new("web");
	struct announcement *a;
	size_t i;

	kv_add(&inst->labels, &inst->nlabels, "portlight.enable", "true");
	inst->labels = realloc(inst->labels, 3 * sizeof *inst->labels);
	inst->labels[1].key = NULL;
	inst->labels[1].value = NULL;
	inst->labels[2].key = xstrdup("portlight.name");
	inst->labels[2].value = NULL;
	inst->nlabels = 3;
	inst_port(inst, 0, INSTANCE_PROTO_TCP, NULL, 0);
	inst_port(inst, 0, INSTANCE_PROTO_TCP, "0.0.0.0", 80);
	for (i = 0; i < 200; i++)
		inst_port(inst, 80, INSTANCE_PROTO_TCP, "0.0.0.0",
		    (uint16_t)(10000 + i));
	inst_net(inst, "- macvlan not-an-ip -");
	free(inst->network_mode);
	inst->network_mode = NULL;
	free(inst->name);
	inst->name = xstrdup("");

	/* No host facts at all. */
	assert_int_equal(announce_instance(inst, NULL, &a), 0);
	assert_true(a->enabled);
	/* No valid name anywhere: said once, nothing published. */
	assert_int_equal(a->nservices, 0);
	announcement_free(a);

	free(inst->name);
	inst->name = xstrdup("web");
	assert_int_equal(announce_instance(inst, NULL, &a), 0);
	/* Every distinct host port once, up to the cap, which is said. */
	assert_int_equal(a->nservices, 32);
	/* The NULL value of portlight.name reads as empty. */
	assert_int_equal(a->nskips, 2);
	assert_non_null(strstr(a->skips[0].reason, "empty name"));
	assert_non_null(strstr(a->skips[1].reason, "more than 32 host ports"));
	for (i = 1; i < a->nservices; i++)
		assert_true(a->services[i - 1].port < a->services[i].port);
	announcement_free(a);
	instance_free(inst);
}

/* -- From inspect JSON captured from the real engines ------------------- */

/* The capture machine's view: its eth0 held 192.0.2.2 (see fixtures/README). */
static struct host_addr cap_eth0_addrs[] = {
    {AF_INET, "192.0.2.2"}, {AF_INET6, "fe80::2"}};
static struct host_iface cap_ifaces[] = {
    {"lo", 1, true, false, lo_addrs, 2},
    {"eth0", 2, false, false, cap_eth0_addrs, 2},
    {"docker0", 3, false, true, docker0_addrs, 1},
};

struct fcase {
	const char *file;
	const char *engine;
	const char *net; /* a network whose driver the engine would look up */
	const char *driver;
	bool other_host; /* the test host, which does not hold 192.0.2.2 */
	struct acase x; /* what, rootless, all, and the expectations */
};

#define CAPADDRS(n) n ".local 2 192.0.2.2", n ".local 2 fe80::2"

static const struct fcase fixture_cases[] = {
    {"docker-inspect-web.json", "docker",
	.x = {.what = "docker web",
	    .services = {"Shop _http._tcp 18100 txt=[path=/]"},
	    .exact_skips = true}},
    {"podman-inspect-web.json", "podman",
	.x = {.what = "podman web",
	    .services = {"Shop _http._tcp 18140 txt=[path=/]"},
	    .exact_skips = true}},
    {"podman-rootless-inspect-web.json", "podman",
	.x = {.what = "rootless podman web",
	    .rootless = true,
	    .services = {"Mine _http._tcp 18160"},
	    .exact_skips = true}},
    {"docker-inspect-loopback.json", "docker",
	.x = {.what = "docker loopback",
	    .skips = {"port 80/tcp: bound to loopback"},
	    .exact_skips = true}},
    {"podman-inspect-loopback.json", "podman",
	.x = {.what = "podman loopback, --all",
	    .all = true,
	    .skips = {"port 80/tcp: bound to loopback"},
	    .exact_skips = true}},
    {"docker-inspect-specific.json", "docker",
	.x = {.what = "docker specific IP held by eth0",
	    .services = {"plcap-d-specific _http._tcp 18102 if=2 fam=4"},
	    .exact_skips = true}},
    {"docker-inspect-specific.json", "docker", .other_host = true,
	.x = {.what = "docker specific IP held by no interface",
	    .skips = {"port 80/tcp: bound to 192.0.2.2, which no interface"},
	    .exact_skips = true}},
    {"docker-inspect-udp.json", "docker",
	.x = {.what = "docker udp",
	    .services = {"plcap-d-udp _dns-sd._udp 18103"},
	    .exact_skips = true}},
    {"docker-inspect-multi.json", "docker",
	.x = {.what = "docker multi",
	    .services = {"plcap-d-multi _http._tcp 18104",
		"plcap-d-multi _https._tcp 18105",
		"plcap-d-multi _ssh._tcp 18106"},
	    .skips = {"port 5432/tcp: bound to loopback"},
	    .exact_skips = true}},
    {"podman-inspect-multi.json", "podman",
	.x = {.what = "podman multi, --all",
	    .all = true,
	    .services = {"plcap-p-multi _http._tcp 18142",
		"plcap-p-multi _domain._udp 18143"},
	    .exact_skips = true}},
    {"docker-inspect-compose-1.json", "docker",
	.x = {.what = "compose replica 1, --all",
	    .all = true,
	    .services = {"web _http._tcp 18111"},
	    .exact_skips = true}},
    {"docker-inspect-compose-2.json", "docker",
	.x = {.what = "compose replica 2, --all",
	    .all = true,
	    .services = {"web-2 _http._tcp 18112"},
	    .exact_skips = true}},
    {"docker-inspect-compose-1.json", "docker",
	.x = {.what = "compose without opting in",
	    .off = true,
	    .exact_skips = true}},
    {"podman-inspect-compose.json", "podman",
	.x = {.what = "podman-compose, --all",
	    .all = true,
	    .services = {"db _http._tcp 18144"},
	    .exact_skips = true}},
    {"docker-inspect-host.json", "docker",
	.x = {.what = "docker host network: exposed, no known type",
	    .skips = {"port 18113/tcp: no service type",
		"port 18114/udp: no service type"},
	    .exact_skips = true}},
    {"podman-inspect-host.json", "podman",
	.x = {.what = "podman host network, nothing exposed",
	    .skips = {"container: nothing to announce"},
	    .exact_skips = true}},
    {"docker-inspect-env.json", "docker",
	.x = {.what = "docker env specs",
	    .services = {"Grafana _http._tcp 18115"},
	    .skips = {"env PORTLIGHT_ANNOUNCE: container port 22 is not "
		      "published"},
	    .exact_skips = true}},
    {"podman-inspect-env.json", "podman",
	.x = {.what = "podman env spec, KOI_MDNS_ANNOUNCE names",
	    .services = {"pgraf _http._tcp 18146"},
	    .exact_skips = true}},
    {"docker-inspect-conventions.json", "docker",
	.x = {.what = "koi, docker-mdns, traefik, homepage",
	    .services = {"Homepage _http._tcp 18116 txt=[ver=2,path=/admin]",
		"Homepage (18117) _http._tcp 18117 "
		"txt=[ver=2,path=/admin]"},
	    .aliases = {"app", "dm1", "dm2"},
	    .addresses = {CAPADDRS("app"), CAPADDRS("dm1"), CAPADDRS("dm2")},
	    .skips = {"alias \"www.app.local\": host name is not a single"},
	    .exact_skips = true}},
    {"docker-inspect-health-starting.json", "docker",
	.x = {.what = "docker health starting",
	    .all = true,
	    .skips = {"container: health: starting"},
	    .exact_skips = true}},
    {"docker-inspect-health-ok.json", "docker",
	.x = {.what = "docker healthy",
	    .all = true,
	    .services = {"plcap-d-health-ok _http._tcp 18119"},
	    .exact_skips = true}},
    {"docker-inspect-health-bad.json", "docker",
	.x = {.what = "docker unhealthy",
	    .all = true,
	    .skips = {"container: health: unhealthy"},
	    .exact_skips = true}},
    {"podman-inspect-health-starting.json", "podman",
	.x = {.what = "podman health starting",
	    .all = true,
	    .skips = {"container: health: starting"},
	    .exact_skips = true}},
    {"podman-inspect-health-ok.json", "podman",
	.x = {.what = "podman healthy",
	    .all = true,
	    .services = {"plcap-p-health-ok _http._tcp 18147"},
	    .exact_skips = true}},
    {"podman-inspect-health-bad.json", "podman",
	.x = {.what = "podman unhealthy",
	    .all = true,
	    .skips = {"container: health: unhealthy"},
	    .exact_skips = true}},
    {"docker-inspect-paused.json", "docker",
	.x = {.what = "docker paused",
	    .all = true,
	    .skips = {"container: paused"},
	    .exact_skips = true}},
    {"docker-inspect-exited.json", "docker",
	.x = {.what = "docker exited: nothing published",
	    .all = true,
	    .off = true,
	    .exact_skips = true}},
    {"docker-inspect-macvlan.json", "docker", .net = "plcap-mv",
	.driver = "macvlan",
	.x = {.what = "docker macvlan, container address",
	    .addresses = {"plcap-d-macvlan.local -1 192.168.218.10"},
	    .exact_skips = true}},
    {"docker-inspect-macvlan.json", "docker",
	.x = {.what = "docker macvlan, driver unknown",
	    .skips = {"label portlight.address: no macvlan",
		"container: nothing to announce"},
	    .exact_skips = true}},
    {"docker-inspect-ipv6.json", "docker",
	.x = {.what = "docker ipv6",
	    .services = {"plcap-d-ipv6 _http._tcp 18122"},
	    .exact_skips = true}},
    {"docker-inspect-twonets.json", "docker",
	.x = {.what = "docker two networks, --all",
	    .all = true,
	    .services = {"plcap-d-twonets _http._tcp 18123"},
	    .exact_skips = true}},
    {"podman-inspect-twonets.json", "podman",
	.x = {.what = "podman two networks, --all",
	    .all = true,
	    .services = {"plcap-p-twonets _http._tcp 18151"},
	    .exact_skips = true}},
    {"podman-inspect-podweb.json", "podman",
	.x = {.what = "podman pod member",
	    .services = {"plcap-p-podweb _http._tcp 18150"},
	    .exact_skips = true}},
    {"podman-libpod-inspect-podinfra.json", "podman",
	.x = {.what = "podman pod infra, --all",
	    .all = true,
	    .off = true,
	    .exact_skips = true}},
};

static void
test_fixtures(void **state)
{
	const struct fcase *fc;
	struct host_facts h;
	struct instance *inst;
	struct announcement *a, *b;
	const char *why;
	char *json;
	size_t i, len;
	int failed = 0;

	for (i = 0; i < sizeof fixture_cases / sizeof fixture_cases[0]; i++) {
		fc = &fixture_cases[i];
		json = fixture_read(fc->file, &len);
		why = NULL;
		if (instance_from_inspect(json, len, fc->engine, &inst, &why) !=
		    0)
			fail_msg("%s: %s", fc->file, why != NULL ? why : "?");
		free(json);
		inst->rootless = fc->x.rootless;
		if (fc->net != NULL)
			assert_int_equal(instance_set_network_driver(
					     inst, fc->net, fc->driver),
			    0);
		if (fc->other_host)
			h = host_for(fc->x.all);
		else {
			h = host_for(fc->x.all);
			h.ifaces = cap_ifaces;
			h.nifaces = 3;
		}
		assert_int_equal(announce_instance(inst, &h, &a), 0);
		if (!check(&fc->x, a))
			failed++;
		assert_int_equal(announce_instance(inst, &h, &b), 0);
		assert_true(announcement_equal(a, b));
		announcement_free(a);
		announcement_free(b);
		instance_free(inst);
	}
	if (failed > 0)
		fail_msg("%d fixture cases failed", failed);
}

/* -- pods ---------------------------------------------------------------- */

/* A member of a known pod is named after the pod unless a label names it. */
static void
test_pod_name(void **state)
{
	static const char *const pods[] = {"plpod", NULL,
	    "a-pod-name-longer-than-sixty-three-bytes-which-podman-allows-xx"
	    "x"};
	static const char *const want[] = {"plpod", "web", "web"};
	struct host_facts h = host_for(false);
	struct instance *inst;
	struct announcement *a;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		inst = inst_new("web");
		inst_label(inst, "portlight.enable", "true");
		inst_port(inst, 80, INSTANCE_PROTO_TCP, "", 8080);
		assert_int_equal(
		    instance_set_pod(inst, "0a1b2c3d4e5f", false), 0);
		assert_int_equal(instance_set_pod_name(inst, pods[i]), 0);
		assert_int_equal(announce_instance(inst, &h, &a), 0);
		assert_int_equal(a->nservices, 1);
		assert_string_equal(a->services[0].name, want[i]);
		assert_int_equal(a->nskips, 0);
		announcement_free(a);
		/* A label still wins over the pod's name. */
		inst_label(inst, "portlight.name", "Shop");
		assert_int_equal(announce_instance(inst, &h, &a), 0);
		assert_string_equal(a->services[0].name, "Shop");
		announcement_free(a);
		instance_free(inst);
	}
}

/* -- free, equal, copy --------------------------------------------------- */

static void
test_equal_copy(void **state)
{
	struct instance *x = inst_new("web"), *y = inst_new("web");
	struct host_facts h = host_for(false);
	struct announcement *a, *b, *c;

	announcement_free(NULL);
	assert_null(announcement_copy(NULL));
	assert_true(announcement_equal(NULL, NULL));

	/* Label order does not matter; skips are not records. */
	inst_label(x, "portlight.name", "Shop");
	inst_label(x, "portlight.alias", "shop");
	inst_label(x, "portlight.txt.path", "/");
	inst_label(x, "portlight.port", "80,443");
	inst_port(x, 443, INSTANCE_PROTO_TCP, "", 8443);
	inst_port(x, 80, INSTANCE_PROTO_TCP, "", 8080);
	inst_label(y, "portlight.port", "443,80,bogus");
	inst_label(y, "portlight.txt.path", "/");
	inst_label(y, "portlight.alias", "shop");
	inst_label(y, "portlight.name", "Shop");
	inst_port(y, 80, INSTANCE_PROTO_TCP, "", 8080);
	inst_port(y, 443, INSTANCE_PROTO_TCP, "", 8443);
	assert_int_equal(announce_instance(x, &h, &a), 0);
	assert_int_equal(announce_instance(y, &h, &b), 0);
	assert_int_equal(a->nservices, 2);
	assert_int_equal(a->nskips, 0);
	assert_int_equal(b->nskips, 1);
	assert_true(announcement_equal(a, b));
	assert_false(announcement_equal(a, NULL));

	c = announcement_copy(a);
	assert_true(announcement_equal(a, c));
	c->services[1].port = 9443;
	assert_false(announcement_equal(a, c));
	announcement_free(c);
	c = announcement_copy(a);
	free(c->services[0].txt[0]);
	c->services[0].txt[0] = xstrdup("path=/x");
	assert_false(announcement_equal(a, c));
	announcement_free(c);
	c = announcement_copy(a);
	free(c->addresses[0].addr);
	c->addresses[0].addr = xstrdup("192.0.2.1");
	assert_false(announcement_equal(a, c));
	announcement_free(c);

	announcement_free(a);
	announcement_free(b);
	instance_free(x);
	instance_free(y);
}

/*
 * The publisher republishes only when announcement_equal says the records
 * changed: each field that reaches the wire, changed alone, must count.
 */
static void
test_equal_every_field(void **state)
{
	char *txt[2] = {"path=/", "v=1"}, *txt_other[2] = {"path=/", "v=2"};
	char *sub[1] = {"_printer._sub._http._tcp"};
	char *sub_other[1] = {"_scanner._sub._http._tcp"};
	char *aliases[1] = {"grafana"};
	struct announce_service svc;
	struct announce_address addr;
	struct announcement x, *c = NULL;
	int i;

	(void)state;
	for (i = -1; i < 15; i++) {
		memset(&svc, 0, sizeof svc);
		svc.name = "Grafana";
		svc.type = "_http._tcp";
		svc.port = 3000;
		svc.txt = txt;
		svc.ntxt = 2;
		svc.subtypes = sub;
		svc.nsubtypes = 1;
		svc.ifindex = ANNOUNCE_IF_ANY;
		addr.name = "grafana.local";
		addr.ifindex = 2;
		addr.family = AF_INET;
		addr.addr = "192.0.2.7";
		memset(&x, 0, sizeof x);
		x.enabled = true;
		x.services = &svc;
		x.nservices = 1;
		x.addresses = &addr;
		x.naddresses = 1;
		x.aliases = aliases;
		x.naliases = 1;
		if (i == -1) {
			/* The unchanged original: a deep copy is equal. */
			assert_non_null(c = announcement_copy(&x));
			assert_ptr_not_equal(c->services[0].txt[1], txt[1]);
			assert_true(announcement_equal(c, &x));
			continue;
		}
		switch (i) {
		case 0:
			svc.name = "Grafana2";
			break;
		case 1:
			svc.type = "_https._tcp";
			break;
		case 2:
			svc.port = 3001;
			break;
		case 3:
			svc.txt = txt_other;
			break;
		case 4:
			svc.ntxt = 1;
			break;
		case 5:
			svc.subtypes = sub_other;
			break;
		case 6:
			svc.nsubtypes = 0;
			break;
		case 7:
			svc.ifindex = 3;
			break;
		case 8:
			svc.family = AF_INET6;
			break;
		case 9:
			svc.host = "grafana.local";
			break;
		case 10:
			addr.name = "other.local";
			break;
		case 11:
			addr.addr = "192.0.2.8";
			break;
		case 12:
			addr.ifindex = 3;
			break;
		case 13:
			addr.family = AF_INET6;
			break;
		case 14:
			x.naddresses = 0;
			break;
		}
		if (announcement_equal(c, &x) ||
		    announcement_records_equal(c, &x))
			fail_msg("change %d went unnoticed", i);
	}
	/* Whether it opted in is not a record. */
	x.naddresses = 1;
	x.enabled = false;
	assert_true(announcement_equal(c, &x));
	assert_true(announcement_records_equal(c, &x));
	/* An alias is no record of its own (the publisher's comparison). */
	x.naliases = 0;
	assert_false(announcement_equal(c, &x));
	assert_true(announcement_records_equal(c, &x));
	announcement_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_optin),
	    cmocka_unit_test(test_liveness),
	    cmocka_unit_test(test_names_types),
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_txt_aliases),
	    cmocka_unit_test(test_container_mode),
	    cmocka_unit_test(test_multi),
	    cmocka_unit_test(test_hostile_values),
	    cmocka_unit_test(test_hostile_txt),
	    cmocka_unit_test(test_hostile_structure),
	    cmocka_unit_test(test_pod_name),
	    cmocka_unit_test(test_equal_copy),
	    cmocka_unit_test(test_equal_every_field),
	    cmocka_unit_test(test_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
