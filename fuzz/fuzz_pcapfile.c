/*
 * libFuzzer target: any bytes as a capture file (pcap, pcapng, gzip of either), read to the
 * end through the frame parser; every datagram's bytes are touched so that ASan sees any
 * read outside the frame. The input goes through a memfd, because the reader takes a path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode/pcapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* keeps the byte reads from being optimised away */
volatile uint8_t ofd_fuzz_pcapfile_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ofd_log_set_level(OFD_LOG_ERR);
	int fd = memfd_create("fuzz_pcapfile", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct ofd_pcapfile *pf = NULL;
	if (ofd_pcapfile_open(&pf, path) == 0) {
		struct ofd_dgram dg;
		uint16_t dport;
		uint8_t acc = 0;
		while (ofd_pcapfile_next(pf, &dg, &dport) == 1) {
			for (size_t i = 0; i < dg.len; i++)
				acc ^= dg.data[i];
			acc ^= (uint8_t)dport;
		}
		const struct ofd_pcap_stats *st = ofd_pcapfile_stats(pf);
		if (st->datagrams > st->frames)
			abort();
		ofd_fuzz_pcapfile_sink = acc;
		ofd_pcapfile_close(pf);
	}
	close(fd);
	return 0;
}
