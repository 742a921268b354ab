/*
 * What the snmp segment puts into a request and takes from an answer: IF-MIB ifXTable's ifName
 * (column 1), ifHighSpeed (15) and ifAlias (18) of each interface asked for, by numeric OID (no
 * MIB is loaded). An answer is an agent's, so nothing in it is trusted: a varbind counts only
 * when its OID is one that was asked for and its type the column's (OCTET STRING for the texts;
 * Gauge32, Counter32 or a non-negative INTEGER for the speed, taken as 32 bits); "no such
 * object/instance" and "end of MIB view" mean the value is absent. Texts go through
 * snmp_text_clean (bounded, valid UTF-8, no controls).
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <string.h>

#include "segments/enrich/snmp_int.h"

static const oid if_x_entry[] = {1, 3, 6, 1, 2, 1, 31, 1, 1, 1};
#define IFX_LEN	  (sizeof(if_x_entry) / sizeof(if_x_entry[0]))
#define COL_NAME  1
#define COL_SPEED 15
#define COL_ALIAS 18

void snmp_request_add(struct snmp_pdu *pdu, uint32_t ifindex)
{
	static const oid cols[] = {COL_NAME, COL_ALIAS, COL_SPEED};
	oid name[IFX_LEN + 2];
	memcpy(name, if_x_entry, sizeof(if_x_entry));
	name[IFX_LEN + 1] = ifindex;
	for (unsigned c = 0; c < 3; c++) {
		name[IFX_LEN] = cols[c];
		snmp_add_null_var(pdu, name, IFX_LEN + 2);
	}
}

static int take_speed(const netsnmp_variable_list *v, uint64_t *out)
{
	if (!v->val.integer)
		return 0;
	switch (v->type) {
	case ASN_GAUGE: /* also ASN_UNSIGNED */
	case ASN_COUNTER: *out = (uint64_t)(unsigned long)*v->val.integer & 0xffffffffu; return 1;
	case ASN_INTEGER:
		if (*v->val.integer < 0)
			return 0;
		*out = (uint64_t)*v->val.integer & 0xffffffffu;
		return 1;
	default: return 0;
	}
}

int snmp_answer_parse(const struct snmp_pdu *pdu, const uint32_t *ifs, unsigned n, struct snmp_ifvals *vals)
{
	memset(vals, 0, n * sizeof(*vals));
	int bad = 0;
	unsigned seen = 0;
	for (const netsnmp_variable_list *v = pdu->variables; v; v = v->next_variable) {
		if (++seen > 3 * n) { /* more than asked for */
			bad = 1;
			break;
		}
		if (v->name_length != IFX_LEN + 2 || memcmp(v->name, if_x_entry, sizeof(if_x_entry)) != 0) {
			bad = 1;
			continue;
		}
		unsigned i = 0;
		while (i < n && ifs[i] != v->name[IFX_LEN + 1])
			i++;
		if (i == n) {
			bad = 1;
			continue;
		}
		if (v->type == SNMP_NOSUCHOBJECT || v->type == SNMP_NOSUCHINSTANCE ||
		    v->type == SNMP_ENDOFMIBVIEW)
			continue;
		struct snmp_ifvals *x = &vals[i];
		switch (v->name[IFX_LEN]) {
		case COL_NAME:
		case COL_ALIAS:
			if (v->type != ASN_OCTET_STR || (!v->val.string && v->val_len)) {
				bad = 1;
				break;
			}
			if (v->name[IFX_LEN] == COL_NAME) {
				x->name_len = snmp_text_clean(x->name, v->val.string, v->val_len);
				x->has_name = 1;
			} else {
				x->desc_len = snmp_text_clean(x->desc, v->val.string, v->val_len);
				x->has_desc = 1;
			}
			break;
		case COL_SPEED:
			if (take_speed(v, &x->speed))
				x->has_speed = 1;
			else
				bad = 1;
			break;
		default: bad = 1;
		}
	}
	return bad;
}
