/* The metric table behind the segments' metrics (core/metric_table.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/metric_table.h"

static const struct ofd_metric fam[] = {
    {"a_total", OFD_METRIC_COUNTER, 0, "a", {"k"}},
    {"b", OFD_METRIC_GAUGE, OFD_METRIC_GLOBAL, "b", {"x", "y"}},
    {NULL, 0, 0, NULL, {NULL}},
};

/* Sums by family, segment and labels; families and series in order of first appearance. */
static void test_sum_and_order(void **state)
{
	(void)state;
	struct ofd_metric_table t;
	ofd_mt_init(&t);
	t.sink.segment = "s1";
	ofd_metric_put(&t.sink, &fam[1], OFD_METRIC_VALUES("1", "2"), 5);
	ofd_metric_put(&t.sink, &fam[0], OFD_METRIC_VALUES("p"), 1);
	ofd_metric_put(&t.sink, &fam[0], OFD_METRIC_VALUES("q"), 2);
	t.sink.segment = "s2";
	ofd_metric_put(&t.sink, &fam[0], OFD_METRIC_VALUES("p"), 10);	  /* another segment */
	ofd_metric_put(&t.sink, &fam[1], OFD_METRIC_VALUES("1", "2"), 7); /* GLOBAL: summed with s1's */
	t.sink.segment = "s1";
	ofd_metric_put(&t.sink, &fam[0], OFD_METRIC_VALUES("p"), 100); /* summed */
	ofd_mt_sort(&t);
	const struct ofd_mt_series *v;
	size_t n;
	const struct ofd_metric *m = ofd_mt_family(&t, 0, &v, &n);
	assert_ptr_equal(m, &fam[1]);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].segment, "");
	assert_string_equal(v[0].values[1], "2");
	assert_int_equal(v[0].v, 12);
	m = ofd_mt_family(&t, 1, &v, &n);
	assert_ptr_equal(m, &fam[0]);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].segment, "s1");
	assert_string_equal(v[0].values[0], "p");
	assert_int_equal(v[0].v, 101);
	assert_string_equal(v[1].values[0], "q");
	assert_int_equal(v[1].v, 2);
	assert_string_equal(v[2].segment, "s2");
	assert_int_equal(v[2].v, 10);
	assert_null(ofd_mt_family(&t, 2, &v, &n));
	assert_int_equal(t.refused, 0);
	ofd_mt_fini(&t);
}

/* A family takes at most OFD_METRIC_SERIES_MAX series; the rest are counted, sums stay exact. */
static void test_bound(void **state)
{
	(void)state;
	struct ofd_metric_table t;
	ofd_mt_init(&t);
	char k[32];
	for (unsigned i = 0; i < OFD_METRIC_SERIES_MAX + 10; i++) {
		snprintf(k, sizeof(k), "%u", i);
		ofd_metric_put(&t.sink, &fam[0], OFD_METRIC_VALUES(k), i);
	}
	ofd_metric_put(&t.sink, &fam[0], OFD_METRIC_VALUES("0"), 5); /* a known one is still summed */
	ofd_mt_sort(&t);
	const struct ofd_mt_series *v;
	size_t n;
	assert_non_null(ofd_mt_family(&t, 0, &v, &n));
	assert_int_equal(n, OFD_METRIC_SERIES_MAX);
	assert_int_equal(v[0].v, 5);
	assert_int_equal(t.refused, 10);
	ofd_mt_fini(&t);
}

/* Long label values are cut on a UTF-8 character boundary. */
static void test_utf8_cut(void **state)
{
	(void)state;
	struct ofd_metric_table t;
	ofd_mt_init(&t);
	char val[OFD_METRIC_VALUE_MAX + 8];
	memset(val, 'a', OFD_METRIC_VALUE_MAX - 2);
	memcpy(val + OFD_METRIC_VALUE_MAX - 2, "\xc3\xa9z", 4); /* the two-byte character crosses the end */
	ofd_metric_put(&t.sink, &fam[0], OFD_METRIC_VALUES(val), 1);
	assert_int_equal(strlen(t.v[0].values[0]), OFD_METRIC_VALUE_MAX - 2);
	ofd_mt_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sum_and_order),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_utf8_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
