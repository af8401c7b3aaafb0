/*
 * err: the program's name, its messages and its exit codes, the bottom
 * of lib/ (every module may use it; it uses none).
 *
 * Messages go to stderr as "fs-clean: cannot open 'x.ndjson': No such
 * file or directory": the program's name, the failure first, the
 * subject quoted, lowercase, no full stop. fs_err and fs_warn add
 * strerror(errno); the x forms do not.
 */
#ifndef FS_ERR_H
#define FS_ERR_H

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

extern const char *progname;

void fs_err(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fs_errx(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fs_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fs_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fs_bug reports a broken promise inside the program and aborts (a core, not an exit). */
void fs_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
