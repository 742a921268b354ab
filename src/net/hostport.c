/* Listen addresses with a port (the forms in hostport.h). */
#include "net/hostport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The port after the last colon of s: 0..65535, or -1. */
static long port_of(const char *colon)
{
	const char *p = colon + 1;
	size_t n = strlen(p);
	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return -1;
	long port = strtol(p, NULL, 10);
	return port <= 65535 ? port : -1;
}

int ofd_hostport_parse(const char *s, struct sockaddr_storage *ss, int *dual)
{
	struct sockaddr_storage tmp;
	char host[INET6_ADDRSTRLEN + 2];
	int all = 0;
	const char *colon = s ? strrchr(s, ':') : NULL;
	long port = colon ? port_of(colon) : -1;
	size_t hl = colon ? (size_t)(colon - s) : 0;
	if (port < 0 || hl >= sizeof(host))
		return OFD_ECONFIG;
	if (!ss)
		ss = &tmp;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (hl == 0) {
		a6->sin6_family = AF_INET6; /* in6addr_any: every address */
		all = 1;
	} else if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return OFD_ECONFIG;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = 0;
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return OFD_ECONFIG;
		a6->sin6_family = AF_INET6;
		all = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
	} else {
		memcpy(host, s, hl);
		host[hl] = 0;
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return OFD_ECONFIG; /* also an IPv6 address without brackets */
		a4->sin_family = AF_INET;
	}
	if (ss->ss_family == AF_INET)
		a4->sin_port = htons((uint16_t)port);
	else
		a6->sin6_port = htons((uint16_t)port);
	if (dual)
		*dual = all;
	return 0;
}

int ofd_hostport_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "";
	int n;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		n = snprintf(buf, cap, "%s:%u", host, (unsigned)ntohs(a4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		n = snprintf(buf, cap, "[%s]:%u", host, (unsigned)ntohs(a6->sin6_port));
	} else {
		if (cap)
			buf[0] = 0;
		return OFD_EFORMAT;
	}
	return n;
}
