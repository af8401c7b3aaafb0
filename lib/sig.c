#include <signal.h>
#include <string.h>

#include "sig.h"

volatile sig_atomic_t sig_stop;
volatile sig_atomic_t sig_count;

static void
on_stop(int sig)
{
	(void)sig;
	sig_stop = 1;
	sig_count++;
}

void
sig_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
}
