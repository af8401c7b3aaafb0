/*
 * fdio: records from files and pipes, and to file descriptors.
 *
 * The reader goes through a list of files in order ("-" is stdin) and
 * hands out one line at a time (line.h). A last line without a newline
 * is a line. A line longer than max_line is cut to its first max_line
 * bytes and flagged LINE_TOO_LONG; the rest is skipped. A file that
 * cannot be opened or read is reported on stderr, naming it, skipped,
 * and counted in fdin_errors.
 *
 * Before a read that would block (a pipe or a terminal with nothing
 * ready) the reader calls the idle hook, then again every 100 ms while
 * input stays quiet; a stop signal (sig.h) makes fdin_read return -1
 * within that time.
 *
 * The writer buffers records for a file descriptor and writes them out
 * at 64 KiB, on fdout_flush and on close. Every write is checked: after
 * a failure the writer keeps failing. A record written keeps holds on
 * the tokens it was given until its bytes reached the descriptor.
 */
#ifndef FS_FDIO_H
#define FS_FDIO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ledger.h"
#include "line.h"

struct fd_in;

/* fdin_open prepares to read files[0..nfiles) (none: stdin); nothing is opened yet. check: scan for NUL and bad UTF-8. */
struct fd_in *fdin_open(char **files, int nfiles, size_t max_line, int check);

/* fdin_read: 1 a line, 0 at the end of the last file, -1 interrupted by a signal (call again). */
int fdin_read(struct fd_in *r, struct line *l, void (*idle)(void *), void *arg);

/* fdin_wait waits up to ms for input to be ready: 1 if it is (or may be), 0 if not. */
int fdin_wait(struct fd_in *r, int ms);

/* fdin_progress gives bytes read and the total size of the regular files among the inputs (0: unknown). */
void fdin_progress(struct fd_in *r, uint64_t *done, uint64_t *total);

int fdin_errors(const struct fd_in *r);
void fdin_close(struct fd_in *r);

struct fd_out {
	int fd;
	int owned;		/* close fd on fdout_close */
	int failed;
	const char *name;
	char *buf;
	size_t len, cap;
	ledger_tok *held;	/* holds of what is buffered */
	size_t nheld, capheld;
};

void fdout_init(struct fd_out *w, int fd, const char *name);

/* fdout_open opens path for writing (truncating, or appending); -1 and a message on failure. */
int fdout_open(struct fd_out *w, const char *path, int append);

/* fdout_write adds one record ("\n" added when missing) holding toks; -1 after a write error. */
int fdout_write(struct fd_out *w, const char *p, size_t n, const ledger_tok *toks, size_t ntoks);

/* fdout_flush writes out what is buffered and releases its holds; -1 (said once) on error. */
int fdout_flush(struct fd_out *w);

/* fdout_close flushes and closes; -1 if anything written was lost. Holds of lost records stay taken. */
int fdout_close(struct fd_out *w);

#endif
