#include <arpa/inet.h>
#include <string.h>

#include "ofd/err.h"
#include "ofd/flow.h"

int ofd_ip_str(const struct ofd_ip *ip, char *buf)
{
	if (ip->family == OFD_AF_INET) {
		/* inet_ntop is slow for the hot path; format the four octets directly */
		char *p = buf;
		for (int i = 12; i < 16; i++) {
			unsigned v = ip->b[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			if (i < 15)
				*p++ = '.';
		}
		*p = 0;
		return (int)(p - buf);
	}
	if (ip->family == OFD_AF_INET6) {
		if (!inet_ntop(AF_INET6, ip->b, buf, OFD_IP_STRLEN))
			buf[0] = 0;
		return (int)strlen(buf);
	}
	buf[0] = 0;
	return 0;
}

int ofd_ip_parse(struct ofd_ip *ip, const char *s)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, s, b) == 1) {
		ofd_ip_set4(ip, b);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		ofd_ip_set6(ip, b);
		return 0;
	}
	return OFD_EFORMAT;
}
