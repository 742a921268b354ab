/*
 * The Prometheus text as JSON (obs/promjson.h), the status page's data: families with type
 * and help, samples with unescaped labels and values, NaN as null, histogram parts under their
 * family, untyped samples, malformed lines refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "obs/promjson.h"

static char *dump(const char *text)
{
	json_t *o = NULL;
	assert_int_equal(ofd_promjson(text, strlen(text), &o), 0);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

static void test_families(void **state)
{
	(void)state;
	char *s = dump("# HELP overflowd_drops_total Drops, by reason \\\\ and \\n more.\n"
		       "# TYPE overflowd_drops_total counter\n"
		       "overflowd_drops_total{segment=\"udp\",reason=\"bad_version\"} 1\n"
		       "overflowd_drops_total{segment=\"a \\\"q\\\" \\\\ b\",reason=\"x\"} 0\n"
		       "# HELP overflowd_up Up.\n"
		       "# TYPE overflowd_up gauge\n"
		       "overflowd_up 2.5\n"
		       "# HELP lat Latency.\n"
		       "# TYPE lat histogram\n"
		       "lat_bucket{le=\"+Inf\"} 3\n"
		       "lat_sum 1.5\n"
		       "lat_count 3\n"
		       "other NaN\n");
	assert_string_equal(s, "{\"families\":["
			       "{\"name\":\"overflowd_drops_total\",\"type\":\"counter\",\"help\":\"Drops, "
			       "by reason \\\\ and \\n more.\","
			       "\"samples\":[{\"name\":\"overflowd_drops_total\",\"labels\":{\"segment\":"
			       "\"udp\",\"reason\":\"bad_version\"},"
			       "\"value\":1.0},{\"name\":\"overflowd_drops_total\",\"labels\":{\"segment\":"
			       "\"a \\\"q\\\" \\\\ b\","
			       "\"reason\":\"x\"},\"value\":0.0}]},"
			       "{\"name\":\"overflowd_up\",\"type\":\"gauge\",\"help\":\"Up.\",\"samples\":[{"
			       "\"name\":\"overflowd_up\","
			       "\"labels\":{},\"value\":2.5}]},"
			       "{\"name\":\"lat\",\"type\":\"histogram\",\"help\":\"Latency.\",\"samples\":["
			       "{\"name\":\"lat_bucket\",\"labels\":{\"le\":\"+Inf\"},\"value\":3.0},"
			       "{\"name\":\"lat_sum\",\"labels\":{},\"value\":1.5},{\"name\":\"lat_count\","
			       "\"labels\":{},\"value\":3.0}]},"
			       "{\"name\":\"other\",\"type\":\"untyped\",\"help\":\"\",\"samples\":[{"
			       "\"name\":\"other\",\"labels\":{},"
			       "\"value\":null}]}]}");
	free(s);
	s = dump("");
	assert_string_equal(s, "{\"families\":[]}");
	free(s);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "x{a=\"1\" 1\n", "x{a=1} 1\n", "x 1z\n", "x\n", "{a=\"1\"} 1\n", "x{a=\"unterminated} 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *o = NULL;
		assert_int_equal(ofd_promjson(bad[i], strlen(bad[i]), &o), OFD_EFORMAT);
		assert_null(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_families),
	    cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
