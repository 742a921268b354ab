/*
 * The per-exporter amplification budget (src/tracer/budget.h): credit earned at the ratio,
 * capped at the burst, spent down to zero and never below; exporters kept apart; the table
 * bounded under a churn of forged exporter addresses, where forgetting never creates credit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "tracer/budget.h"

static struct ofd_ip ip4(uint32_t v)
{
	struct ofd_ip a;
	ofd_ip_set4u(&a, v);
	return a;
}

static void test_earn_spend(void **state)
{
	(void)state;
	struct ofd_budget *b = malloc(sizeof(*b));
	ofd_budget_init(b, 0.5, 10000);
	struct ofd_ip x = ip4(0xc0000201), y = ip4(0xc0000202);
	assert_false(ofd_budget_covers(b, &x, 1)); /* nothing earned: nothing to spend */
	for (int i = 0; i < 30; i++)
		ofd_budget_earn(b, &x, 48); /* one v5 datagram: 30 records of 48 bytes */
	assert_int_equal(ofd_budget_credit(b, &x), 720);
	assert_true(ofd_budget_covers(b, &x, 720));
	assert_false(ofd_budget_covers(b, &x, 721));
	assert_false(ofd_budget_covers(b, &y, 1)); /* another exporter's credit is its own */
	ofd_budget_spend(b, &x, 700);
	assert_int_equal(ofd_budget_credit(b, &x), 20);
	ofd_budget_spend(b, &x, 100); /* never below zero */
	assert_int_equal(ofd_budget_credit(b, &x), 0);
	assert_int_equal(b->spent_q >> OFD_BUDGET_SHIFT, 720);
	/* the burst: what an idle exporter saves up */
	for (int i = 0; i < 1000; i++)
		ofd_budget_earn(b, &y, 1464);
	assert_int_equal(ofd_budget_credit(b, &y), 10000);
	/* odd sizes and ratios round down, never up */
	ofd_budget_init(b, 0.3, 10000);
	ofd_budget_earn(b, &x, 1);
	ofd_budget_earn(b, &x, 2);
	assert_int_equal(ofd_budget_credit(b, &x), 0); /* 0.9 bytes */
	ofd_budget_earn(b, &x, 1);
	assert_int_equal(ofd_budget_credit(b, &x), 1); /* 1.2 */
	free(b);
}

/* Alternating exporters (the cached slot is checked, not trusted), and a churn of 100,000
   forged addresses: bounded, and no exporter ever holds more than it earned. */
static void test_churn(void **state)
{
	(void)state;
	struct ofd_budget *b = malloc(sizeof(*b));
	ofd_budget_init(b, 0.5, 1 << 20);
	struct ofd_ip x = ip4(0x0a000001), y = ip4(0x0a000002);
	for (int i = 0; i < 100; i++) {
		ofd_budget_earn(b, &x, 100);
		ofd_budget_earn(b, &y, 10);
	}
	assert_int_equal(ofd_budget_credit(b, &x), 5000);
	assert_int_equal(ofd_budget_credit(b, &y), 500);
	for (uint32_t i = 0; i < 100000; i++) {
		struct ofd_ip f = ip4(0xcb000000u + i);
		ofd_budget_earn(b, &f, 2);
	}
	assert_true(b->forgotten >= 100000 - OFD_BUDGET_ENTRIES);
	uint64_t total = 0, used = 0;
	for (unsigned i = 0; i < OFD_BUDGET_ENTRIES; i++) {
		used += b->slot[i].used;
		total += b->slot[i].credit;
		assert_true(b->slot[i].credit <= (5000u << OFD_BUDGET_SHIFT));
	}
	assert_int_equal(used, OFD_BUDGET_ENTRIES);
	assert_true(total <= b->earned_q);
	/* x had the most credit on its probe path: kept (or, if forgotten, back at zero) */
	uint64_t cx = ofd_budget_credit(b, &x);
	assert_true(cx == 5000 || cx == 0);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_earn_spend),
	    cmocka_unit_test(test_churn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
