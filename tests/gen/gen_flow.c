#include "gen_flow.h"

#include <string.h>

void gen_sample_flow(struct ofd_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->type = OFD_FT_NETFLOW_V5;
	f->time_received_ns = 1185523201000000000ull;
	f->sequence_num = 4242;
	f->sampling_rate = 100;
	ofd_ip_set4u(&f->sampler_address, 0x7aa604f2);
	f->time_flow_start_ns = 1185523190500000000ull;
	f->time_flow_end_ns = 1185523199500000000ull;
	f->bytes = 15000;
	f->packets = 10;
	ofd_ip_set4u(&f->src_addr, 0xc0000281);
	ofd_ip_set4u(&f->dst_addr, 0xc6336402);
	f->etype = 0x0800;
	f->proto = 17;
	f->src_port = 123;
	f->dst_port = 44321;
	f->in_if = 3;
	f->out_if = 4;
	f->src_mac = 0x0a1b2c3d4e5full;
	f->ip_tos = 0xb8;
	f->src_as = 64496;
	f->dst_as = 4200000000u;
	ofd_ip_set4u(&f->next_hop, 0x0a000001);
	f->src_net = 25;
	f->engine_id = 7;
}
