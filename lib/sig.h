/*
 * sig: the stop signals. SIGINT and SIGTERM set sig_stop (and count in
 * sig_count) without SA_RESTART, so a blocked read returns EINTR and
 * every loop looks at the flag: stop reading, flush, exit 0. A second
 * signal gives up waiting (retry.h). SIGPIPE keeps its default: a
 * closed pipe ends the program quietly.
 */
#ifndef FS_SIG_H
#define FS_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop;
extern volatile sig_atomic_t sig_count;

void sig_init(void);

#endif
