/*
 * Queries over the receiver store: the spoofing report on a crafted set (several keys and
 * sender networks; flows claiming my prefixes as source versus as destination) with exact rows,
 * the --mine / --class / --key / --since filters, the key history listing, the output formats,
 * and --since's time forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

#include "receiver/query.h"
#include "store_help.h"

#define NS UINT64_C(1000000000)

struct fix {
	struct tdir d;
	struct ofd_store *s;
	char ha[65], hb[65], hc[65];
	struct ofd_prefix mine[2];
};

static struct fix fx;

/* How the tracers of the fixture came: from 198.51.100.7/8 over UDP, from 203.0.113.9 over
   HTTPS, from 2001:db8:ffff::/48 over HTTP, the rest unknown (rows from before version 2). */
static int via(const char *sender)
{
	if (strncmp(sender, "198.51.100.", 11) == 0 && sender[11] != '2')
		return OFD_TRANSPORT_UDP;
	if (strcmp(sender, "203.0.113.9") == 0)
		return OFD_TRANSPORT_HTTPS;
	return strncmp(sender, "2001:db8:ffff:", 14) == 0 ? OFD_TRANSPORT_HTTP : OFD_TRANSPORT_UNKNOWN;
}

static void add(struct ofd_key *k, const char *sender, uint64_t recv_s, const char *sa, const char *da,
		uint64_t pk, uint64_t by, uint64_t st, uint64_t et, const char *contact,
		enum ofd_tracer_class cls, int expect)
{
	static struct tr t;
	struct tflow f = {.saddr = sa,
			  .daddr = da,
			  .sport = 1234,
			  .dport = 80,
			  .packets = pk,
			  .bytes = by,
			  .stime = st,
			  .etime = et,
			  .cls = cls,
			  .contact = contact,
			  .time = 1.5};
	th_make(&t, k, &f);
	assert_int_equal(th_add_via(fx.s, &t, sender, recv_s * NS, via(sender)), expect);
}

static int setup(void **state)
{
	(void)state;
	th_dir(&fx.d);
	fx.s = th_open(fx.d.db);
	struct ofd_key *a = th_key(11), *b = th_key(12), *c = th_key(13);
	ofd_key_public_hex(a, fx.ha);
	ofd_key_public_hex(b, fx.hb);
	ofd_key_public_hex(c, fx.hc);
	const char *ca = "abuse@a.example";
	enum ofd_tracer_class inf = OFD_TC_INFORMATIONAL;
	/* key A: my 192.0.2.0/24 as source, reported from two /24s; one duplicate */
	add(a, "198.51.100.7", 1000, "192.0.2.10", "8.8.8.8", 10, 1000, 100, 150, ca, inf, 1);
	add(a, "198.51.100.8", 1001, "192.0.2.11", "8.8.4.4", 20, 2000, 200, 250, ca, inf, 1);
	add(a, "203.0.113.9", 1002, "192.0.2.12", "1.1.1.1", 5, 500, 300, 350, ca, inf, 1);
	add(a, "198.51.100.7", 1003, "192.0.2.10", "8.8.8.8", 10, 1000, 100, 150, ca, inf, 0);
	/* key B: my 2001:db8:aaaa::/48 as source, from one /48, contact changed */
	add(b, "2001:db8:ffff:1::5", 1004, "2001:db8:aaaa::1", "2001:db8:cccc::1", 7, 700, 400, 450,
	    "old@b.example", inf, 1);
	add(b, "2001:db8:ffff:2::5", 1005, "2001:db8:aaaa:0:1::2", "2001:db8:cccc::1", 3, 300, 500, 550,
	    "noc@b.example", OFD_TC_HUMAN_SUSPECTED, 1);
	/* key C: mine as destination only, then two flows that are not mine at all */
	add(c, "198.51.100.20", 1006, "8.8.8.8", "192.0.2.10", 1, 40, 600, 601, NULL, inf, 1);
	add(c, "198.51.100.20", 1007, "10.1.1.1", "10.2.2.2", 1, 40, 700, 701, NULL, inf, 1);
	add(c, "198.51.100.20", 1008, "192.0.3.1", "203.0.113.1", 1, 40, 800, 801, NULL, inf, 1);
	ofd_key_free(a);
	ofd_key_free(b);
	ofd_key_free(c);
	assert_int_equal(ofd_prefix_parse(&fx.mine[0], "192.0.2.0/24"), 0);
	assert_int_equal(ofd_prefix_parse(&fx.mine[1], "2001:db8:aaaa::/48"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ofd_store_close(fx.s);
	th_dir_rm(&fx.d);
	return 0;
}

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static void out_open(struct out *o)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
}

static void out_close(struct out *o)
{
	fclose(o->f);
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_spoofed(void **state)
{
	(void)state;
	struct ofd_query q = {.mine = fx.mine, .nmine = 2, .fmt = OFD_QF_CSV};
	struct out o;
	out_open(&o);
	assert_int_equal(ofd_query_spoofed(fx.s, &q, o.f), 3);
	out_close(&o);
	char ra[256], rb[256], ra2[256], want[1024];
	snprintf(
	    ra, sizeof(ra),
	    "%s,198.51.100.0/24,udp,2,1,30,3000,1970-01-01T00:01:40Z,1970-01-01T00:04:10Z,abuse@a.example\n",
	    fx.ha);
	snprintf(rb, sizeof(rb),
		 "%s,2001:db8:ffff::/"
		 "48,http,2,0,10,1000,1970-01-01T00:06:40Z,1970-01-01T00:09:10Z,noc@b.example\n",
		 fx.hb);
	snprintf(
	    ra2, sizeof(ra2),
	    "%s,203.0.113.0/24,https,1,0,5,500,1970-01-01T00:05:00Z,1970-01-01T00:05:50Z,abuse@a.example\n",
	    fx.ha);
	int a_first = strcmp(fx.ha, fx.hb) < 0;
	snprintf(want, sizeof(want),
		 "key,network,transport,tracers,duplicates,packets,bytes,first,last,contact\n%s%s%s",
		 a_first ? ra : rb, a_first ? rb : ra, ra2);
	assert_string_equal(o.buf, want);
	free(o.buf);

	/* --since cuts the first two of key A; --key keeps B */
	q.since_ns = 1002 * NS;
	out_open(&o);
	assert_int_equal(ofd_query_spoofed(fx.s, &q, o.f), 2);
	out_close(&o);
	free(o.buf);
	q.since_ns = 0;
	q.key = fx.hb;
	out_open(&o);
	assert_int_equal(ofd_query_spoofed(fx.s, &q, o.f), 1);
	out_close(&o);
	assert_non_null(strstr(o.buf, rb));
	free(o.buf);

	/* only the IPv4 prefix: key B's flows are not mine */
	q.key = NULL;
	q.nmine = 1;
	out_open(&o);
	assert_int_equal(ofd_query_spoofed(fx.s, &q, o.f), 2);
	out_close(&o);
	free(o.buf);
	q.nmine = 0;
	out_open(&o);
	assert_int_equal(ofd_query_spoofed(fx.s, &q, o.f), OFD_ECONFIG);
	out_close(&o);
	free(o.buf);
}

static void test_listing(void **state)
{
	(void)state;
	struct ofd_query q = {.mine = fx.mine, .nmine = 2, .fmt = OFD_QF_JSON};
	struct out o;
	out_open(&o);
	assert_int_equal(ofd_query_tracers(fx.s, &q, o.f), 6); /* source or destination mine */
	out_close(&o);
	assert_int_equal(lines(o.buf), 6);
	json_error_t jerr;
	json_t *r = json_loadb(o.buf, (size_t)(strchr(o.buf, '\n') - o.buf), 0, &jerr);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "received")), "1970-01-01T00:16:40.000Z");
	assert_string_equal(json_string_value(json_object_get(r, "sender")), "198.51.100.7");
	assert_string_equal(json_string_value(json_object_get(r, "transport")), "udp");
	assert_string_equal(json_string_value(json_object_get(r, "key")), fx.ha);
	assert_string_equal(json_string_value(json_object_get(r, "class")), "INFORMATIONAL");
	assert_string_equal(json_string_value(json_object_get(r, "saddr")), "192.0.2.10");
	assert_string_equal(json_string_value(json_object_get(r, "daddr")), "8.8.8.8");
	assert_int_equal(json_integer_value(json_object_get(r, "sport")), 1234);
	assert_int_equal(json_integer_value(json_object_get(r, "dport")), 80);
	assert_int_equal(json_integer_value(json_object_get(r, "proto")), 6);
	assert_int_equal(json_integer_value(json_object_get(r, "packets")), 10);
	assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 1000);
	assert_string_equal(json_string_value(json_object_get(r, "stime")), "1970-01-01T00:01:40Z");
	assert_string_equal(json_string_value(json_object_get(r, "etime")), "1970-01-01T00:02:30Z");
	assert_true(json_is_null(json_object_get(r, "exporter")));
	assert_string_equal(json_string_value(json_object_get(r, "source")), "Netflow");
	assert_int_equal(json_integer_value(json_object_get(r, "duplicates")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "contact")), "abuse@a.example");
	json_decref(r);
	assert_non_null(strstr(o.buf, "\"daddr\":\"192.0.2.10\"")); /* key C's, mine as destination */
	assert_null(strstr(o.buf, "10.1.1.1"));
	assert_null(strstr(o.buf, "192.0.3.1"));
	free(o.buf);

	struct {
		const char *cls, *key;
		uint64_t since;
		size_t nmine;
		int rows, udp; /* udp: rows that came over UDP, and the table's note about them */
	} cases[] = {
	    {NULL, NULL, 0, 0, 8, 1},
	    {"human_suspected", NULL, 0, 0, 1, 0},
	    {"INFORMATIONAL", NULL, 0, 2, 5, 1},
	    {NULL, fx.hb, 0, 0, 2, 0},
	    {NULL, fx.hc, 0, 2, 1, 0},
	    {NULL, NULL, 1005 * NS, 0, 4, 0},
	    {NULL, NULL, 1005 * NS, 2, 2, 0},
	    {"nosuch", NULL, 0, 0, 0, 0},
	};
	char upper[65];
	for (size_t i = 0; i < 65; i++)
		upper[i] = (char)(fx.hb[i] >= 'a' && fx.hb[i] <= 'f' ? fx.hb[i] - 32 : fx.hb[i]);
	cases[3].key = upper; /* case-insensitive */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ofd_query c = {.mine = fx.mine,
				      .nmine = cases[i].nmine,
				      .cls = cases[i].cls,
				      .key = cases[i].key,
				      .since_ns = cases[i].since,
				      .fmt = OFD_QF_TABLE};
		out_open(&o);
		assert_int_equal(ofd_query_tracers(fx.s, &c, o.f), cases[i].rows);
		out_close(&o);
		assert_int_equal(lines(o.buf), cases[i].rows + 1 + cases[i].udp); /* with the header */
		assert_int_equal(strncmp(o.buf, "id     received ", 16), 0);
		const char *note = strstr(o.buf, "note: transport udp: ");
		assert_true(cases[i].udp ? note && strstr(note, "UDP sources can be forged") : !note);
		free(o.buf);
	}
}

static void test_keys(void **state)
{
	(void)state;
	struct ofd_query q = {.fmt = OFD_QF_CSV};
	struct out o;
	out_open(&o);
	assert_int_equal(ofd_query_keys(fx.s, &q, o.f), 3);
	out_close(&o);
	char row[512];
	assert_int_equal(
	    strncmp(o.buf,
		    "key,first_seen,last_seen,tracers,duplicates,networks,contacts,contact_changed,"
		    "contact\n",
		    86),
	    0);
	snprintf(row, sizeof(row),
		 "\n%s,1970-01-01T00:16:40.000Z,1970-01-01T00:16:43.000Z,3,1,2,1,0,abuse@a.example\n", fx.ha);
	assert_non_null(strstr(o.buf, row));
	snprintf(row, sizeof(row),
		 "\n%s,1970-01-01T00:16:44.000Z,1970-01-01T00:16:45.000Z,2,0,1,2,1,noc@b.example\n", fx.hb);
	assert_non_null(strstr(o.buf, row));
	snprintf(row, sizeof(row), "\n%s,1970-01-01T00:16:46.000Z,1970-01-01T00:16:48.000Z,3,0,1,0,0,\n",
		 fx.hc);
	assert_non_null(strstr(o.buf, row));
	/* B, with the fewest tracers, is last */
	assert_true(strstr(o.buf, fx.hb) > strstr(o.buf, fx.ha) &&
		    strstr(o.buf, fx.hb) > strstr(o.buf, fx.hc));
	free(o.buf);
	q.key = fx.hc;
	q.fmt = OFD_QF_JSON;
	out_open(&o);
	assert_int_equal(ofd_query_keys(fx.s, &q, o.f), 1);
	out_close(&o);
	assert_non_null(strstr(o.buf, "\"contact\":null"));
	assert_non_null(strstr(o.buf, "\"tracers\":3,"));
	free(o.buf);
}

static void test_csv_quoting(void **state)
{
	(void)state;
	static struct tr t;
	struct ofd_key *k = th_key(14);
	struct tflow f = {.saddr = "192.0.2.99",
			  .daddr = "8.8.8.8",
			  .packets = 1,
			  .bytes = 2,
			  .stime = 3,
			  .etime = 4,
			  .contact = "Abuse Desk, \"NOC\" <a@d.example>"};
	th_make(&t, k, &f);
	assert_int_equal(th_add(fx.s, &t, "192.0.2.1", 2000 * NS), 1);
	char hex[65];
	ofd_key_public_hex(k, hex);
	struct ofd_query q = {.key = hex, .fmt = OFD_QF_CSV};
	struct out o;
	out_open(&o);
	assert_int_equal(ofd_query_keys(fx.s, &q, o.f), 1);
	out_close(&o);
	assert_non_null(strstr(o.buf, ",\"Abuse Desk, \"\"NOC\"\" <a@d.example>\"\n"));
	free(o.buf);
	ofd_key_free(k);
}

static void test_parse_time(void **state)
{
	(void)state;
	uint64_t t = 0;
	assert_int_equal(ofd_query_parse_time("1700000000", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(ofd_query_parse_time("2023-11-14T22:13:20Z", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(ofd_query_parse_time("2023-11-14T22:13:20", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(ofd_query_parse_time("2023-11-14 22:13:20", 0, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(ofd_query_parse_time("2023-11-14T22:13", 0, &t), 0);
	assert_int_equal(t, 1699999980);
	assert_int_equal(ofd_query_parse_time("2023-11-14", 0, &t), 0);
	assert_int_equal(t, 1699920000);
	assert_int_equal(ofd_query_parse_time("1h", 10000, &t), 0);
	assert_int_equal(t, 6400);
	assert_int_equal(ofd_query_parse_time("7d", 1000000, &t), 0);
	assert_int_equal(t, 395200);
	assert_int_equal(ofd_query_parse_time("30m", 10000, &t), 0);
	assert_int_equal(t, 8200);
	assert_int_equal(ofd_query_parse_time("2w", 100, &t), 0);
	assert_int_equal(t, 0);
	static const char *const bad[] = {"",	"1x",		"h",	"2023-13-45",	       "12abc",
					  "-5", "2023-11-14Z1", "1.5h", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ofd_query_parse_time(bad[i], 100, &t), OFD_EFORMAT);
	assert_int_equal(ofd_qfmt_parse("json"), OFD_QF_JSON);
	assert_int_equal(ofd_qfmt_parse("csv"), OFD_QF_CSV);
	assert_int_equal(ofd_qfmt_parse("table"), OFD_QF_TABLE);
	assert_int_equal(ofd_qfmt_parse("xml"), -1);
}

/* The web page's forms (ui.h): rows into a JSON array, newest first with a limit, the network
   filter, the key's networks and contacts, tracers per hour. */
static json_t *arr_of(int64_t (*fn)(struct ofd_store *, const struct ofd_query *, FILE *),
		      struct ofd_query *q, int64_t want)
{
	json_t *a = json_array();
	q->fmt = OFD_QF_ARRAY;
	q->rows = a;
	assert_int_equal(fn(fx.s, q, NULL), want);
	assert_int_equal(json_array_size(a), (size_t)want);
	return a;
}

static const char *col(json_t *a, size_t i, const char *name)
{
	return json_string_value(json_object_get(json_array_get(a, i), name));
}

static json_int_t icol(json_t *a, size_t i, const char *name)
{
	return json_integer_value(json_object_get(json_array_get(a, i), name));
}

static int64_t hourly_cls(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	return ofd_query_hourly(s, q, 1, out);
}

static int64_t hourly_net(struct ofd_store *s, const struct ofd_query *q, FILE *out)
{
	return ofd_query_hourly(s, q, 0, out);
}

static void test_page_rows(void **state)
{
	(void)state;
	struct ofd_query q = {.newest = 1, .limit = 3};
	json_t *a = arr_of(ofd_query_tracers, &q, 3);
	assert_int_equal(icol(a, 0, "id"), 9); /* test_csv_quoting's, received at 2000 s */
	assert_int_equal(icol(a, 1, "id"), 8);
	assert_int_equal(icol(a, 2, "id"), 7);
	assert_string_equal(col(a, 0, "saddr"), "192.0.2.99");
	assert_string_equal(col(a, 1, "saddr"), "192.0.3.1");
	json_decref(a);

	q = (struct ofd_query){.net = "198.51.100.0/24"};
	a = arr_of(ofd_query_tracers, &q, 5);
	assert_int_equal(icol(a, 0, "id"), 1);
	assert_int_equal(icol(a, 4, "id"), 8);
	json_decref(a);
	q = (struct ofd_query){.net = "2001:db8:ffff::/48", .mine = fx.mine, .nmine = 2};
	a = arr_of(ofd_query_spoofed, &q, 1);
	assert_string_equal(col(a, 0, "key"), fx.hb);
	assert_int_equal(icol(a, 0, "tracers"), 2);
	json_decref(a);

	q = (struct ofd_query){0};
	a = arr_of(hourly_cls, &q, 2);
	assert_string_equal(col(a, 0, "hour"), "1970-01-01T00:00:00Z");
	assert_string_equal(col(a, 0, "class"), "HUMAN_SUSPECTED");
	assert_int_equal(icol(a, 0, "tracers"), 1);
	assert_string_equal(col(a, 1, "class"), "INFORMATIONAL");
	assert_int_equal(icol(a, 1, "tracers"), 8);
	json_decref(a);
	a = arr_of(hourly_net, &q, 4);
	assert_string_equal(col(a, 0, "network"), "192.0.2.0/24");
	assert_int_equal(icol(a, 0, "tracers"), 1);
	assert_string_equal(col(a, 1, "network"), "198.51.100.0/24");
	assert_int_equal(icol(a, 1, "tracers"), 5);
	assert_string_equal(col(a, 2, "network"), "2001:db8:ffff::/48");
	assert_int_equal(icol(a, 2, "tracers"), 2);
	assert_string_equal(col(a, 3, "network"), "203.0.113.0/24");
	assert_int_equal(icol(a, 3, "tracers"), 1);
	json_decref(a);
	q.key = fx.hc;
	a = arr_of(hourly_net, &q, 1);
	assert_int_equal(icol(a, 0, "tracers"), 3);
	json_decref(a);

	q = (struct ofd_query){.key = fx.ha};
	a = arr_of(ofd_query_key_networks, &q, 2);
	assert_string_equal(col(a, 0, "network"), "198.51.100.0/24");
	assert_string_equal(col(a, 0, "first_seen"), "1970-01-01T00:16:40.000Z");
	assert_int_equal(icol(a, 0, "tracers"), 2);
	assert_int_equal(icol(a, 0, "tcp_tracers"), 0);
	assert_string_equal(col(a, 1, "network"), "203.0.113.0/24");
	assert_int_equal(icol(a, 1, "tcp_tracers"), 1);
	json_decref(a);
	q = (struct ofd_query){.key = fx.hb};
	a = arr_of(ofd_query_key_contacts, &q, 2);
	assert_string_equal(col(a, 0, "contact"), "old@b.example");
	assert_string_equal(col(a, 0, "last_seen"), "1970-01-01T00:16:44.000Z");
	assert_string_equal(col(a, 1, "contact"), "noc@b.example");
	assert_int_equal(icol(a, 1, "tracers"), 1);
	json_decref(a);

	q = (struct ofd_query){.fmt = OFD_QF_ARRAY, .rows = json_array()};
	assert_int_equal(ofd_query_key_contacts(fx.s, &q, NULL), OFD_ECONFIG); /* no key */
	json_decref(q.rows);
	q = (struct ofd_query){.fmt = OFD_QF_ARRAY};
	assert_int_equal(ofd_query_tracers(fx.s, &q, NULL), OFD_ECONFIG); /* no array */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spoofed),    cmocka_unit_test(test_listing),
	    cmocka_unit_test(test_keys),       cmocka_unit_test(test_csv_quoting),
	    cmocka_unit_test(test_parse_time), cmocka_unit_test(test_page_rows),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
