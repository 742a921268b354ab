/*
 * The Prometheus text writer: exact output of families and samples, label and HELP escaping,
 * invalid UTF-8, value forms (uint64 extremes, doubles, NaN, infinities), misuse refused
 * (a family declared twice, a sample before any family, bad metric and label names), and
 * truncation at every buffer size: always a prefix of whole lines, never a header without its
 * sample, and reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format/promtext.h"

/* The example text every truncation test cuts; *kept: the bytes the writer kept. */
static int write_example(char *buf, size_t cap, size_t *kept)
{
	struct ofd_prom w;
	ofd_prom_init(&w, buf, cap);
	ofd_prom_family(&w, "x_total", OFD_PROM_COUNTER, "Things.");
	ofd_prom_u64(&w, OFD_PROM_LABELS({"a", "1"}), 5);
	ofd_prom_u64(&w, OFD_PROM_LABELS({"a", "2"}, {"b", "q\"x"}), 6);
	ofd_prom_single(&w, "y", OFD_PROM_GAUGE, "One gauge.", 7);
	ofd_prom_family(&w, "z_total", OFD_PROM_COUNTER, "Three.");
	ofd_prom_u64(&w, OFD_PROM_NOLABELS, 8);
	*kept = w.len;
	return ofd_prom_end(&w);
}

static const char example[] = "# HELP x_total Things.\n"
			      "# TYPE x_total counter\n"
			      "x_total{a=\"1\"} 5\n"
			      "x_total{a=\"2\",b=\"q\\\"x\"} 6\n"
			      "# HELP y One gauge.\n"
			      "# TYPE y gauge\n"
			      "y 7\n"
			      "# HELP z_total Three.\n"
			      "# TYPE z_total counter\n"
			      "z_total 8\n";

static void test_families(void **state)
{
	(void)state;
	char buf[1024];
	size_t kept;
	int n = write_example(buf, sizeof(buf), &kept);
	assert_int_equal(kept, (size_t)n);
	assert_int_equal(n, (int)strlen(example));
	buf[n] = 0;
	assert_string_equal(buf, example);
}

static void test_escaping(void **state)
{
	(void)state;
	char buf[1024];
	struct ofd_prom w;
	ofd_prom_init(&w, buf, sizeof(buf));
	ofd_prom_family(&w, "e", OFD_PROM_GAUGE, "Back\\slash, \"quotes\" and\na newline.");
	ofd_prom_u64(&w, OFD_PROM_LABELS({"v", "a\\b\"c\nd"}), 1);
	/* invalid UTF-8 (a lone continuation byte, a truncated sequence, an overlong '/',
	   a surrogate) becomes '?'; valid multi-byte sequences pass */
	ofd_prom_u64(&w, OFD_PROM_LABELS({"v", "\x80x\xc3"}), 2);
	ofd_prom_u64(&w, OFD_PROM_LABELS({"v", "\xc0\xaf|\xed\xa0\x80|Link\xc3\xb6ping|\xf0\x9f\x98\x80"}),
		     3);
	ofd_prom_u64(&w, OFD_PROM_LABELS({"v", ""}), 4);
	int n = ofd_prom_end(&w);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(buf, "# HELP e Back\\\\slash, \"quotes\" and\\na newline.\n"
				 "# TYPE e gauge\n"
				 "e{v=\"a\\\\b\\\"c\\nd\"} 1\n"
				 "e{v=\"?x?\"} 2\n"
				 "e{v=\"??|???|Link\xc3\xb6ping|\xf0\x9f\x98\x80\"} 3\n"
				 "e{v=\"\"} 4\n");
}

static void test_values(void **state)
{
	(void)state;
	char buf[1024];
	struct ofd_prom w;
	ofd_prom_init(&w, buf, sizeof(buf));
	ofd_prom_family(&w, "v", OFD_PROM_GAUGE, NULL);
	ofd_prom_u64(&w, OFD_PROM_LABELS({"k", "max"}), UINT64_MAX);
	ofd_prom_u64(&w, OFD_PROM_LABELS({"k", "zero"}), 0);
	ofd_prom_f64(&w, OFD_PROM_LABELS({"k", "half"}), 0.5);
	ofd_prom_f64(&w, OFD_PROM_LABELS({"k", "tiny"}), 1e-6);
	ofd_prom_f64(&w, OFD_PROM_LABELS({"k", "neg"}), -2.0);
	ofd_prom_f64(&w, OFD_PROM_LABELS({"k", "nan"}), NAN);
	ofd_prom_f64(&w, OFD_PROM_LABELS({"k", "inf"}), INFINITY);
	ofd_prom_f64(&w, OFD_PROM_LABELS({"k", "ninf"}), -INFINITY);
	int n = ofd_prom_end(&w);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(buf, "# HELP v \n"
				 "# TYPE v gauge\n"
				 "v{k=\"max\"} 18446744073709551615\n"
				 "v{k=\"zero\"} 0\n"
				 "v{k=\"half\"} 0.5\n"
				 "v{k=\"tiny\"} 9.9999999999999995e-07\n"
				 "v{k=\"neg\"} -2\n"
				 "v{k=\"nan\"} NaN\n"
				 "v{k=\"inf\"} +Inf\n"
				 "v{k=\"ninf\"} -Inf\n");
}

static void test_misuse(void **state)
{
	(void)state;
	char buf[512];
	struct ofd_prom w;

	/* a family without samples writes nothing */
	ofd_prom_init(&w, buf, sizeof(buf));
	ofd_prom_family(&w, "empty_total", OFD_PROM_COUNTER, "None.");
	assert_int_equal(ofd_prom_end(&w), 0);

	/* declared twice: refused, its samples are not written, the first stays */
	ofd_prom_init(&w, buf, sizeof(buf));
	ofd_prom_single(&w, "a_total", OFD_PROM_COUNTER, "A.", 1);
	size_t len = w.len;
	ofd_prom_family(&w, "a_total", OFD_PROM_COUNTER, "A again.");
	ofd_prom_u64(&w, OFD_PROM_NOLABELS, 2);
	assert_int_equal(w.len, len);
	assert_int_equal(ofd_prom_end(&w), -EINVAL);

	/* a sample before any family */
	ofd_prom_init(&w, buf, sizeof(buf));
	ofd_prom_u64(&w, OFD_PROM_NOLABELS, 1);
	assert_int_equal(w.len, 0);
	assert_int_equal(ofd_prom_end(&w), -EINVAL);

	/* bad names */
	static const char *const bad_metric[] = {"", "1abc", "a-b", "a b", "a{b}", "ä", NULL};
	for (int i = 0; bad_metric[i]; i++) {
		ofd_prom_init(&w, buf, sizeof(buf));
		ofd_prom_single(&w, bad_metric[i], OFD_PROM_GAUGE, "x", 1);
		assert_int_equal(w.len, 0);
		assert_int_equal(ofd_prom_end(&w), -EINVAL);
	}
	static const char *const bad_label[] = {"", "1a", "a:b", "__reserved", "a-b", NULL};
	for (int i = 0; bad_label[i]; i++) {
		ofd_prom_init(&w, buf, sizeof(buf));
		ofd_prom_family(&w, "m", OFD_PROM_GAUGE, "x");
		ofd_prom_u64(&w, (struct ofd_prom_label[]){{bad_label[i], "v"}}, 1, 1);
		assert_int_equal(w.len, 0);
		assert_int_equal(ofd_prom_end(&w), -EINVAL);
	}
	/* a NULL label value */
	ofd_prom_init(&w, buf, sizeof(buf));
	ofd_prom_family(&w, "m", OFD_PROM_GAUGE, "x");
	ofd_prom_u64(&w, (struct ofd_prom_label[]){{"a", NULL}}, 1, 1);
	assert_int_equal(ofd_prom_end(&w), -EINVAL);

	assert_true(ofd_prom_metric_name_ok("ns:sub_name_total"));
	assert_true(ofd_prom_metric_name_ok("_x9"));
	assert_true(ofd_prom_label_name_ok("_x9"));
	assert_false(ofd_prom_label_name_ok(NULL));
}

/* At every size below the whole: a prefix of whole lines, and never a family header without
   its first sample; OFD_ELIMIT. From the whole size on: everything. */
static void test_truncation(void **state)
{
	(void)state;
	size_t full = strlen(example);
	char *buf = malloc(full + 16);
	assert_non_null(buf);
	size_t last = 0;
	for (size_t cap = 0; cap <= full + 8; cap++) {
		memset(buf, 'X', full + 16);
		size_t kept;
		int n = write_example(buf, cap, &kept);
		assert_int_equal(buf[cap], 'X'); /* nothing written beyond the buffer */
		if (cap < full) {
			assert_int_equal(n, OFD_ELIMIT);
			assert_true(kept <= cap);
			assert_memory_equal(buf, example, kept);
			if (kept) {
				assert_int_equal(buf[kept - 1], '\n');
				/* the text ends with a sample line, not a header */
				size_t s = kept - 1;
				while (s > 0 && buf[s - 1] != '\n')
					s--;
				assert_int_not_equal(buf[s], '#');
			}
			assert_true(kept >= last); /* more room never keeps less */
			last = kept;
		} else {
			assert_int_equal(n, (int)full);
			assert_memory_equal(buf, example, full);
		}
	}
	/* one byte short of the whole keeps all but the last family */
	assert_int_equal(last, strlen(example) -
				   strlen("# HELP z_total Three.\n# TYPE z_total counter\nz_total 8\n"));
	free(buf);

	/* after a truncation nothing more is written, even what would fit */
	char small[40];
	struct ofd_prom w;
	ofd_prom_init(&w, small, sizeof(small));
	ofd_prom_single(&w, "long_name_that_does_not_fit_total", OFD_PROM_COUNTER, "Too long.", 1);
	assert_true(ofd_prom_truncated(&w));
	ofd_prom_single(&w, "s", OFD_PROM_GAUGE, "", 1);
	assert_int_equal(w.len, 0);
	assert_int_equal(ofd_prom_end(&w), OFD_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_families), cmocka_unit_test(test_escaping),	cmocka_unit_test(test_values),
	    cmocka_unit_test(test_misuse),   cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
