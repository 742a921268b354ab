/*
 * For the capture writers in tests/tools: Ethernet, IPv4 (127.0.0.1 to 127.0.0.1, checksummed)
 * and UDP (port 40000 to dport, no checksum) headers around payload p (n bytes) into fr; the
 * frame's length.
 */
#ifndef OFD_TOOLS_UDPFRAME_H
#define OFD_TOOLS_UDPFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline size_t udp_frame(uint8_t *fr, const uint8_t *p, size_t n, unsigned dport)
{
	static const uint8_t eth[14] = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00};
	memcpy(fr, eth, 14);
	uint8_t *ip = fr + 14, *udp = ip + 20;
	size_t tot = 20 + 8 + n;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = ip[16] = 127;
	ip[15] = ip[19] = 1;
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
	udp[0] = 40000 >> 8;
	udp[1] = 40000 & 0xff;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + n) >> 8);
	udp[5] = (uint8_t)(8 + n);
	udp[6] = udp[7] = 0; /* no checksum (IPv4) */
	memcpy(udp + 8, p, n);
	return 14 + tot;
}

#endif
