/*
 * A port free on 127.0.0.1 now, for tests that start a real server on it: bound with port 0,
 * read back, closed (type SOCK_STREAM or SOCK_DGRAM). Include after <cmocka.h>.
 */
#ifndef OFD_TEST_FREEPORT_H
#define OFD_TEST_FREEPORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static inline unsigned test_free_port(int type)
{
	int fd = socket(AF_INET, type, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

#endif
