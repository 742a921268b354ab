/* AF_PACKET TPACKET_V3 capture (see afpacket.h). */
#include "net/afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define AFP_MAX_RING  ((uint64_t)1 << 32) /* 4 GiB a ring */
#define AFP_MAX_BLOCK (1u << 22)	  /* 4 MiB a block: what the kernel's page allocator gives at once */

struct ofd_afp {
	int fd;
	int dlt;
	unsigned ifindex;
	int fanout;
	int loopback; /* lo: each packet comes by twice, outgoing and incoming; the outgoing is skipped */
	uint8_t *ring;
	size_t ring_len;
	uint32_t block_size, block_nr, cur;
	uint32_t snaplen;
	uint8_t *scratch; /* a frame with its VLAN tag put back */
	struct ofd_afp_stats st;
};

static int afp_compile(const char *filter, int dlt, uint32_t snaplen, struct bpf_program *prog, char *err,
		       size_t errlen)
{
	pcap_t *dead = pcap_open_dead(dlt, (int)snaplen);
	if (!dead) {
		snprintf(err, errlen, "filter: cannot open a pcap handle for link type %d", dlt);
		return OFD_ECONFIG;
	}
	int rc = 0;
	if (pcap_compile(dead, prog, filter ? filter : "", 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter \"%s\": %s", filter ? filter : "", pcap_geterr(dead));
		rc = OFD_ECONFIG;
	}
	pcap_close(dead);
	return rc;
}

int ofd_afp_filter_check(const char *filter, int dlt, char *err, size_t errlen)
{
	struct bpf_program prog;
	if (afp_compile(filter, dlt, 256, &prog, err, errlen))
		return OFD_ECONFIG;
	pcap_freecode(&prog);
	return 0;
}

void ofd_afp_close(struct ofd_afp *a)
{
	if (!a)
		return;
	if (a->ring)
		munmap(a->ring, a->ring_len);
	if (a->fd >= 0)
		close(a->fd);
	free(a->scratch);
	free(a);
}

/* The ring's geometry for `bytes`: blocks of a power of two pages, about eight of them. */
static void afp_geometry(uint64_t bytes, uint32_t *bsize, uint32_t *bnr)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), b = page;
	if (bytes < page)
		bytes = page;
	while ((uint64_t)b * 2 * 8 <= bytes && b * 2 <= AFP_MAX_BLOCK)
		b *= 2;
	*bsize = b;
	*bnr = (uint32_t)((bytes + b - 1) / b);
}

int ofd_afp_open(struct ofd_afp **out, const struct ofd_afp_cfg *c, char *err, size_t errlen)
{
	*out = NULL;
	char why[PCAP_ERRBUF_SIZE + 128];
	if (!c->device || !*c->device || strlen(c->device) >= IFNAMSIZ) {
		snprintf(err, errlen, "device \"%s\": not an interface name", c->device ? c->device : "");
		return OFD_ECONFIG;
	}
	if (c->ring_bytes == 0 || c->ring_bytes > AFP_MAX_RING) {
		snprintf(err, errlen, "ring of %llu bytes: from 1 byte to 4G",
			 (unsigned long long)c->ring_bytes);
		return OFD_ECONFIG;
	}
	unsigned ifindex = if_nametoindex(c->device);
	if (!ifindex) {
		snprintf(err, errlen, "device %s: no such network interface", c->device);
		return OFD_ECONFIG;
	}
	struct ofd_afp *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = -1;
	a->fanout = -1;
	a->ifindex = ifindex;
	a->snaplen = c->snaplen ? c->snaplen : 128;
	int rc = 0;
	a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: nothing before bind */
	if (a->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "device %s: cannot open a packet socket: %s%s", c->device,
			 strerror(errno), errno == EPERM ? " (capturing needs root or CAP_NET_RAW)" : "");
		goto fail;
	}
	struct ifreq ifr = {0};
	memcpy(ifr.ifr_name, c->device, strlen(c->device));
	if (ioctl(a->fd, SIOCGIFHWADDR, &ifr) != 0) {
		rc = -errno;
		snprintf(err, errlen, "device %s: cannot read its link type: %s", c->device, strerror(errno));
		goto fail;
	}
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_LOOPBACK: /* lo has an Ethernet header of zeros */
		a->loopback = 1;
		a->dlt = DLT_EN10MB;
		break;
	case ARPHRD_ETHER: a->dlt = DLT_EN10MB; break;
	case ARPHRD_NONE: /* tun, wireguard: IP without a link header */
	case ARPHRD_IPGRE:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT: a->dlt = DLT_RAW; break;
	default:
		snprintf(err, errlen,
			 "device %s: link type ARPHRD %u is not one we read (Ethernet or raw IP)", c->device,
			 (unsigned)ifr.ifr_hwaddr.sa_family);
		rc = OFD_ECONFIG;
		goto fail;
	}
	/* the filter first, so that nothing unfiltered enters the ring */
	struct bpf_program prog;
	if (afp_compile(c->filter, a->dlt, a->snaplen, &prog, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		rc = OFD_ECONFIG;
		goto fail;
	}
	struct sock_fprog fp = {.len = (unsigned short)prog.bf_len,
				.filter = (struct sock_filter *)prog.bf_insns};
	int e = setsockopt(a->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
	int saved = errno;
	pcap_freecode(&prog);
	if (e) {
		rc = -saved;
		snprintf(err, errlen, "device %s: cannot attach the filter: %s", c->device, strerror(saved));
		goto fail;
	}
	int v = TPACKET_V3;
	if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v))) {
		rc = -errno;
		snprintf(err, errlen, "device %s: TPACKET_V3: %s", c->device, strerror(errno));
		goto fail;
	}
	afp_geometry(c->ring_bytes, &a->block_size, &a->block_nr);
	struct tpacket_req3 req = {
	    .tp_block_size = a->block_size,
	    .tp_block_nr = a->block_nr,
	    .tp_frame_size = 2048,
	    .tp_frame_nr = a->block_size / 2048 * a->block_nr,
	    .tp_retire_blk_tov = c->retire_ms ? c->retire_ms : 50,
	    .tp_feature_req_word = 0,
	};
	if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		rc = -errno;
		snprintf(err, errlen, "device %s: ring of %u blocks of %u bytes: %s", c->device, a->block_nr,
			 a->block_size, strerror(errno));
		goto fail;
	}
	a->ring_len = (size_t)a->block_size * a->block_nr;
	a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, a->fd, 0);
	if (a->ring == MAP_FAILED) /* MAP_LOCKED beyond RLIMIT_MEMLOCK: without */
		a->ring = mmap(NULL, a->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	if (a->ring == MAP_FAILED) {
		a->ring = NULL;
		rc = -errno;
		snprintf(err, errlen, "device %s: cannot map the ring: %s", c->device, strerror(errno));
		goto fail;
	}
	if (!(a->scratch = malloc(a->snaplen + 4))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex};
	if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		rc = -errno;
		snprintf(err, errlen, "device %s: bind: %s", c->device, strerror(errno));
		goto fail;
	}
	if (c->promisc) {
		struct packet_mreq mr = {.mr_ifindex = (int)ifindex, .mr_type = PACKET_MR_PROMISC};
		if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
			rc = -errno;
			snprintf(err, errlen, "device %s: promiscuous mode: %s", c->device, strerror(errno));
			goto fail;
		}
	}
	if (c->fanout != OFD_AFP_FANOUT_NONE) {
		int arg = c->fanout == OFD_AFP_FANOUT_NEW
			      ? (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID) << 16
			      : (c->fanout & 0xffff) | PACKET_FANOUT_HASH << 16;
		if (setsockopt(a->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg))) {
			rc = -errno;
			snprintf(err, errlen, "device %s: PACKET_FANOUT: %s", c->device, strerror(errno));
			goto fail;
		}
		socklen_t l = sizeof(arg);
		if (getsockopt(a->fd, SOL_PACKET, PACKET_FANOUT, &arg, &l)) {
			rc = -errno;
			snprintf(err, errlen, "device %s: PACKET_FANOUT: %s", c->device, strerror(errno));
			goto fail;
		}
		a->fanout = arg & 0xffff;
	}
	*out = a;
	return 0;
fail:
	ofd_afp_close(a);
	return rc;
}

int ofd_afp_fanout_group(const struct ofd_afp *a)
{
	return a->fanout;
}

int ofd_afp_dlt(const struct ofd_afp *a)
{
	return a->dlt;
}

unsigned ofd_afp_ifindex(const struct ofd_afp *a)
{
	return a->ifindex;
}

void ofd_afp_ring(const struct ofd_afp *a, uint32_t *block_size, uint32_t *block_nr)
{
	*block_size = a->block_size;
	*block_nr = a->block_nr;
}

/* The frames of one block. */
static unsigned afp_block(struct ofd_afp *a, struct tpacket_block_desc *bd, ofd_afp_fn fn, void *ctx)
{
	uint32_t n = bd->hdr.bh1.num_pkts, off = bd->hdr.bh1.offset_to_first_pkt;
	for (uint32_t i = 0; i < n; i++) {
		if (off < sizeof(*bd) || off >= a->block_size - sizeof(struct tpacket3_hdr))
			break; /* never from the kernel; keeps a bad offset inside the block */
		const struct tpacket3_hdr *h = (const void *)((const uint8_t *)bd + off);
		const uint8_t *d = (const uint8_t *)h + h->tp_mac;
		uint32_t caplen = h->tp_snaplen, len = h->tp_len;
		if (h->tp_mac + (uint64_t)caplen > a->block_size - off)
			break;
		uint64_t ts = (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec;
		if (a->loopback) { /* as libpcap does: lo's outgoing copy is the incoming one again */
			const struct sockaddr_ll *sll =
			    (const void *)((const uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
			if (sll->sll_pkttype == PACKET_OUTGOING)
				goto next;
		}
		if ((h->tp_status & TP_STATUS_VLAN_VALID) && a->dlt == DLT_EN10MB && caplen >= 12) {
			/* the tag the NIC took off, back in front of the EtherType */
			uint32_t keep = caplen > a->snaplen ? a->snaplen : caplen;
			uint16_t tpid =
				     htons((h->tp_status & TP_STATUS_VLAN_TPID_VALID) && h->hv1.tp_vlan_tpid
					       ? h->hv1.tp_vlan_tpid
					       : ETH_P_8021Q),
				 tci = htons(h->hv1.tp_vlan_tci);
			memcpy(a->scratch, d, 12);
			memcpy(a->scratch + 12, &tpid, 2);
			memcpy(a->scratch + 14, &tci, 2);
			memcpy(a->scratch + 16, d + 12, keep - 12);
			d = a->scratch;
			caplen = keep + 4;
			len += 4;
		}
		a->st.packets++;
		fn(ctx, d, caplen, len, ts);
	next:
		if (!h->tp_next_offset)
			break;
		off += h->tp_next_offset;
	}
	return n;
}

int ofd_afp_read(struct ofd_afp *a, int timeout_ms, ofd_afp_fn fn, void *ctx)
{
	int got = 0;
	for (uint32_t k = 0; k < a->block_nr;) {
		struct tpacket_block_desc *bd = (void *)(a->ring + (size_t)a->cur * a->block_size);
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
			if (k || timeout_ms == 0)
				break;
			struct pollfd p = {.fd = a->fd, .events = POLLIN | POLLERR};
			int rc = poll(&p, 1, timeout_ms);
			if (rc < 0)
				return errno == EINTR ? 0 : -errno;
			if (p.revents & (POLLERR | POLLNVAL)) {
				int soerr = 0;
				socklen_t l = sizeof(soerr);
				if (p.revents & POLLNVAL)
					return -EBADF;
				if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &soerr, &l) == 0 && soerr)
					return -soerr;
			}
			timeout_ms = 0;
			if (rc == 0)
				break;
			continue;
		}
		got += (int)afp_block(a, bd, fn, ctx);
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		a->cur = a->cur + 1 == a->block_nr ? 0 : a->cur + 1;
		a->st.blocks++;
		k++;
	}
	return got;
}

void ofd_afp_stats(struct ofd_afp *a, struct ofd_afp_stats *out)
{
	struct tpacket_stats_v3 ks;
	socklen_t l = sizeof(ks);
	if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &l) == 0) { /* reset by reading */
		a->st.kernel += ks.tp_packets;
		a->st.drops += ks.tp_drops;
		a->st.freeze_q += ks.tp_freeze_q_cnt;
	}
	*out = a->st;
}
