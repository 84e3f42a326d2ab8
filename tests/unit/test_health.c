/* Health-check listener: every TCP connection is accepted, closed and
 * counted; "::" answers IPv4 too; once closed, connections are refused;
 * an address that cannot be bound is named in the error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vxtap/health.h"
#include "vxtap/source.h"

static struct sockaddr_in loopback4(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* Connect to 127.0.0.1:port; 0 or the errno. The peer's close then reads
 * as end of stream: the listener sends nothing. */
static int check(uint16_t port)
{
	struct sockaddr_in sa = loopback4(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc = 0;
	char c;

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = errno;
	else
		assert_int_equal(read(fd, &c, 1), 0);
	close(fd);
	return rc;
}

/* The listener counts on its own thread: wait up to 2 s for n checks. */
static uint64_t wait_checks(const struct vx_health *h, uint64_t n)
{
	struct vx_health_stats st = {0};
	struct timespec ms10 = {.tv_nsec = 10 * 1000 * 1000};

	for (int i = 0; i < 200; i++) {
		vx_health_stats(h, &st);
		if (st.checks >= n)
			break;
		nanosleep(&ms10, NULL);
	}
	return st.checks;
}

static void test_accepts_and_counts(void **state)
{
	struct sockaddr_in sa = loopback4(0);
	char err[256] = "";

	(void)state;
	struct vx_health *h =
	    vx_health_open((struct sockaddr *)&sa, sizeof(sa), 0, err, sizeof(err));
	if (!h)
		print_error("%s\n", err);
	assert_non_null(h);
	uint16_t port = vx_health_port(h);
	assert_true(port > 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(check(port), 0);
	assert_int_equal(wait_checks(h, 20), 20);

	struct vx_health_stats st;
	vx_health_stats(h, &st);
	assert_int_equal(st.accept_errors, 0);
	vx_health_close(h);
	/* Closed: the next check fails, as a load balancer must see it. */
	assert_int_equal(check(port), ECONNREFUSED);
}

/* The address of a UDP source listening on ":PORT" ("::", dual stack):
 * the health listener beside it takes IPv4 checks as well. */
static void test_beside_dual_stack_udp(void **state)
{
	char err[256] = "";
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	struct vx_source *s = vx_source_open_udp(":0", 0, err, sizeof(err));
	if (!s) {
		/* No IPv6 on this host: nothing to test. */
		print_message("skipped: %s\n", err);
		return;
	}
	assert_int_equal(vx_source_udp_address(s, &ss, &len), 0);
	struct vx_health *h = vx_health_open((struct sockaddr *)&ss, len, 0, err, sizeof(err));
	if (!h)
		print_error("%s\n", err);
	assert_non_null(h);
	assert_int_equal(check(vx_health_port(h)), 0);
	assert_int_equal(wait_checks(h, 1), 1);
	vx_health_close(h);
	vx_source_close(s);
}

static void test_bind_error_names_address(void **state)
{
	/* 192.0.2.1 (TEST-NET-1) is on no interface here. */
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char err[256] = "";

	(void)state;
	inet_pton(AF_INET, "192.0.2.1", &sa.sin_addr);
	assert_null(vx_health_open((struct sockaddr *)&sa, sizeof(sa), 4789, err, sizeof(err)));
	assert_non_null(strstr(err, "192.0.2.1:4789"));
	assert_non_null(strstr(err, "bind: "));
}

static void test_not_udp_has_no_address(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];

	(void)state;
	struct vx_source *s =
	    vx_source_open_file(VXTAP_TEST_DATA "/pcaps/zeek-http-get.pcap", err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(vx_source_udp_address(s, &ss, &len), -1);
	vx_source_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_and_counts),
	    cmocka_unit_test(test_beside_dual_stack_udp),
	    cmocka_unit_test(test_bind_error_names_address),
	    cmocka_unit_test(test_not_udp_has_no_address),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
