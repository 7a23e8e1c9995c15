/*
 * pubrecords (pure): the publisher's copy of an announcement's records,
 * and the comparison that decides whether publisher_set touches the
 * network at all.  Every field that goes on the wire must make two
 * record sets differ; a collision's replacement name must not.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "announce.h"
#include "pubrecords.h"

/* One service with TXT and a subtype, and one address record. */
struct sample {
	char *txt[2];
	char *subtypes[1];
	struct announce_service svc;
	struct announce_address addr;
	struct announcement a;
};

static void
sample_init(struct sample *x)
{
	memset(x, 0, sizeof *x);
	x->txt[0] = "path=/";
	x->txt[1] = "v=1";
	x->subtypes[0] = "_printer._sub._http._tcp";
	x->svc.name = "Grafana";
	x->svc.type = "_http._tcp";
	x->svc.port = 3000;
	x->svc.txt = x->txt;
	x->svc.ntxt = 2;
	x->svc.subtypes = x->subtypes;
	x->svc.nsubtypes = 1;
	x->svc.ifindex = -1;
	x->svc.family = 0;
	x->addr.name = "grafana.local";
	x->addr.ifindex = 2;
	x->addr.family = AF_INET;
	x->addr.addr = "192.0.2.7";
	x->a.enabled = true;
	x->a.services = &x->svc;
	x->a.nservices = 1;
	x->a.addresses = &x->addr;
	x->a.naddresses = 1;
}

/* The copy of x->a, to compare other announcements with. */
struct copy {
	struct pub_service *s;
	struct pub_addr *d;
	size_t ns, nd;
};

static void
copy_of(struct copy *c, const struct announcement *a)
{
	assert_int_equal(pub_services_copy(&c->s, a), 0);
	assert_int_equal(pub_addrs_copy(&c->d, a), 0);
	c->ns = a->nservices;
	c->nd = a->naddresses;
}

static void
copy_free(struct copy *c)
{
	pub_services_free(c->s, c->ns);
	pub_addrs_free(c->d, c->nd);
}

static bool
equal(const struct copy *c, const struct announcement *a)
{
	return pub_records_equal(c->s, c->ns, c->d, c->nd, a);
}

static void
test_copy_is_deep_and_equal(void **state)
{
	struct sample x;
	struct copy c;

	(void)state;
	sample_init(&x);
	copy_of(&c, &x.a);
	assert_non_null(c.s);
	assert_ptr_not_equal(c.s[0].name, x.svc.name);
	assert_string_equal(c.s[0].name, "Grafana");
	assert_string_equal(c.s[0].type, "_http._tcp");
	assert_int_equal(c.s[0].port, 3000);
	assert_int_equal(c.s[0].ntxt, 2);
	assert_ptr_not_equal(c.s[0].txt[1], x.txt[1]);
	assert_string_equal(c.s[0].txt[1], "v=1");
	assert_string_equal(c.s[0].subtypes[0], "_printer._sub._http._tcp");
	assert_null(c.s[0].host);
	assert_null(c.s[0].alt);
	assert_string_equal(c.d[0].addr, "192.0.2.7");
	assert_int_equal(c.d[0].family, AF_INET);
	assert_true(equal(&c, &x.a));
	copy_free(&c);
}

static void
test_empty(void **state)
{
	struct announcement a;
	struct copy c;

	(void)state;
	memset(&a, 0, sizeof a);
	copy_of(&c, &a);
	assert_null(c.s);
	assert_null(c.d);
	assert_true(equal(&c, &a));
	copy_free(&c);
}

/* A NULL name or type is kept as "": equal to itself, not to "x". */
static void
test_null_strings(void **state)
{
	struct sample x;
	struct copy c;

	(void)state;
	sample_init(&x);
	x.svc.name = NULL;
	x.addr.addr = NULL;
	copy_of(&c, &x.a);
	assert_string_equal(c.s[0].name, "");
	assert_string_equal(c.d[0].addr, "");
	assert_true(equal(&c, &x.a));
	x.svc.name = "x";
	assert_false(equal(&c, &x.a));
	copy_free(&c);
}

/* The replacement after a collision is the publisher's, not the caller's. */
static void
test_alt_name_not_compared(void **state)
{
	struct sample x;
	struct copy c;

	(void)state;
	sample_init(&x);
	copy_of(&c, &x.a);
	c.s[0].alt = strdup("Grafana #2");
	assert_non_null(c.s[0].alt);
	assert_string_equal(pub_service_current(&c.s[0]), "Grafana #2");
	assert_true(equal(&c, &x.a));
	copy_free(&c);
}

/* Each field that reaches the wire, changed alone, makes a difference. */
static void
test_every_field_counts(void **state)
{
	char *txt_other[2] = {"path=/", "v=2"};
	char *sub_other[1] = {"_scanner._sub._http._tcp"};
	struct sample x;
	struct copy c;
	int i;

	(void)state;
	sample_init(&x);
	copy_of(&c, &x.a);
	for (i = 0; i < 14; i++) {
		sample_init(&x);
		switch (i) {
		case 0:
			x.svc.name = "Grafana2";
			break;
		case 1:
			x.svc.type = "_https._tcp";
			break;
		case 2:
			x.svc.port = 3001;
			break;
		case 3:
			x.svc.txt = txt_other;
			break;
		case 4:
			x.svc.ntxt = 1;
			break;
		case 5:
			x.svc.subtypes = sub_other;
			break;
		case 6:
			x.svc.nsubtypes = 0;
			break;
		case 7:
			x.svc.ifindex = 3;
			break;
		case 8:
			x.svc.family = AF_INET6;
			break;
		case 9:
			x.svc.host = "grafana.local";
			break;
		case 10:
			x.addr.name = "other.local";
			break;
		case 11:
			x.addr.addr = "192.0.2.8";
			break;
		case 12:
			x.addr.ifindex = 3;
			break;
		case 13:
			x.a.naddresses = 0;
			break;
		}
		if (equal(&c, &x.a))
			fail_msg("change %d went unnoticed", i);
	}
	sample_init(&x);
	x.addr.family = AF_INET6;
	assert_false(equal(&c, &x.a));
	x.addr.family = AF_INET;
	x.a.enabled = false; /* not a record: makes no difference */
	assert_true(equal(&c, &x.a));
	copy_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_copy_is_deep_and_equal),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_null_strings),
	    cmocka_unit_test(test_alt_name_not_compared),
	    cmocka_unit_test(test_every_field_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
