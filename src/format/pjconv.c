/* Conversions shared by flowpipeline's JSON and protobuf encodings (pjconv.h). */
#include "pjconv.h"

#include "flowfmt.h"
#include "util/utf8.h"

const struct ofd_pj_enum ofd_pj_enums[5] = {
    /* EFT: EBPF (5) has no counterpart: read as unknown */
    {{"FLOWUNKNOWN", "SFLOW_5", "NETFLOW_V5", "NETFLOW_V9", "IPFIX", "EBPF"}, {0, 1, 2, 3, 4, 0}, 6},
    /* ERPKI: the schema's NotFound is 2, Invalid 3; ours the other way round */
    {{"Unknown", "Valid", "NotFound", "Invalid"},
     {OFD_RPKI_UNKNOWN, OFD_RPKI_VALID, OFD_RPKI_NOTFOUND, OFD_RPKI_INVALID},
     4},
    {{"NotAnonymized", "CryptoPAN", "Subnet", "SubnetAndCryptoPAN"}, {0, 1, 2, 3}, 4}, /* EANON */
    {{"No", "Yes"}, {0, 1}, 2},							       /* ENORM */
    {{"Neither", "Src", "Dst"}, {0, 1, 2}, 3},					       /* EREMOTE */
};

int ofd_pj_text(struct ofd_batch *strs, unsigned *dropped, const char *s, size_t n, const char **out)
{
	if (!n || !strs)
		return 0;
	n = ofd_utf8_cut(s, n, OFD_FMT_TEXT_MAX);
	*out = memchr(s, 0, n) ? NULL : ofd_batch_strdup(strs, s, n);
	if (!*out && dropped)
		(*dropped)++;
	return *out != NULL;
}

int ofd_pj_mpls_apply(struct ofd_flow *f, const uint32_t *labels, unsigned n, const uint32_t *ttls,
		      unsigned nttls, int have_labels)
{
	for (unsigned i = 0; i < n; i++)
		if (labels[i] > 0xfffff)
			return -1;
	if (have_labels)
		ofd_flow_set(f, OFD_F_MPLS_LABEL);
	if (!n)
		return 0;
	f->mpls_label = labels[0];
	uint32_t ttl_any = 0; /* TTLs of 0 are none: the writers leave them out */
	for (unsigned i = 0; i < n && i < nttls; i++)
		ttl_any |= ttls[i] & 0xff;
	if (n < 2 && !ttl_any)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t ttl = i < nttls ? ttls[i] & 0xff : 0;
		f->mpls_stack.lse[i] = labels[i] << 12 | ttl | (i + 1 == n ? 1u << 8 : 0);
	}
	f->mpls_stack.n = (uint8_t)n;
	ofd_flow_set(f, OFD_F_MPLS_STACK);
	return 0;
}
