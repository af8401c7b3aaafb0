/*
 * sse_load: N Server-Sent Events clients of 127.0.0.1:PORT/events that
 * read as fast as they can for SECONDS and discard what they read, for
 * fs-serve's benchmarks: one process and one epoll set, so that the
 * clients cost little beside the server they measure. Prints the
 * clients still open at the end, the events read (the "id:" lines),
 * and the bytes.
 *
 * usage: sse_load PORT N SECONDS
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ts.h"

int
main(int argc, char **argv)
{
	static char buf[1 << 16];
	static const char req[] = "GET /events HTTP/1.0\r\nHost: load\r\n\r\n";
	struct epoll_event ev, evs[256];
	struct sockaddr_in sa;
	struct rlimit rl;
	unsigned long long events = 0, bytes = 0;
	int64_t end;
	int port, n, i, k, fd, ep, open_ = 0;
	ssize_t r;
	char *p;

	progname = "sse_load";
	if (argc != 4)
		fs_errx(EXIT_USAGE, "usage: sse_load PORT N SECONDS");
	port = atoi(argv[1]);
	n = atoi(argv[2]);
	end = ts_mono_ms() + atoll(argv[3]) * 1000;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((ep = epoll_create1(0)) < 0)
		fs_err(EXIT_FAIL, "cannot make an epoll set");
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < n; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
		    write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
			fs_err(EXIT_FAIL, "cannot connect client %d", i);
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			fs_err(EXIT_FAIL, "cannot watch client %d", i);
		open_++;
	}
	while (open_ > 0 && ts_mono_ms() < end) {
		k = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < k; i++) {
			fd = evs[i].data.fd;
			if ((r = read(fd, buf, sizeof buf)) <= 0) {
				close(fd);
				open_--;
				continue;
			}
			bytes += (unsigned long long)r;
			for (p = buf; (p = memmem(p, (size_t)(buf + r - p), "\nid: ", 5)) != NULL; p += 5)
				events++;
		}
	}
	printf("%d %llu %llu\n", open_, events, bytes);
	return 0;
}
