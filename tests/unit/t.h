/*
 * t.h: a tiny harness for table-driven C tests, in TAP form.
 *
 * Each check prints "ok N - name" or "not ok N - name", and after a
 * failure a diagnostic "# expected: ... got: ..." line, so a failing
 * test shows the difference without a debugger. t_done() prints the
 * plan and "# passed P failed F" and returns the exit status: 1 if any
 * check failed. Names are printf formats, so a table row can say which
 * input it is:
 *
 *	for (i = 0; i < N(cases); i++)
 *		t_int(cases[i].want, f(cases[i].in), "f(%s)", cases[i].in);
 *	return t_done();
 *
 * Strings in diagnostics are shown C-escaped and quoted, with the
 * offset of the first byte that differs.
 *
 * Helpers for what many tests need: temporary files (removed by
 * t_done), capturing stderr, and running a function in a child to see
 * its exit status and messages (for code that calls exit).
 *
 * Everything is static inline, so a test that uses part of it compiles
 * without warnings.
 */
#ifndef FS_TEST_T_H
#define FS_TEST_T_H

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* S("...") is a string literal with its length, NUL bytes included. */
#define S(lit) (lit), (sizeof(lit) - 1)

static int t_count, t_failed;

static inline void
t_vresult(int pass, const char *fmt, va_list ap)
{
	char name[1024], *p;

	/* A name is one line: a newline or CR in it would break the report. */
	vsnprintf(name, sizeof name, fmt, ap);
	for (p = name; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fflush(stderr);
	printf("%s %d - %s\n", pass ? "ok" : "not ok", ++t_count, name);
	if (!pass)
		t_failed++;
	fflush(stdout);
}

/* t_diag prints a diagnostic line: "# " and the text. */
static inline void __attribute__((format(printf, 1, 2)))
t_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* t_ok passes when cond is true. Returns cond. */
static inline int __attribute__((format(printf, 2, 3)))
t_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_vresult(cond, fmt, ap);
	va_end(ap);
	return cond;
}

/* t_escape prints p[0..n) C-escaped and quoted, at most max bytes of it. */
static inline void
t_escape(FILE *f, const char *p, size_t n, size_t max)
{
	size_t i;

	if (p == NULL) {
		fputs("NULL", f);
		return;
	}
	fputc('"', f);
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
	if (n > max)
		fprintf(f, "... (%zu bytes)", n);
}

/* t_mem passes when got[0..gotn) equals want[0..wantn). */
static inline int __attribute__((format(printf, 5, 6)))
t_mem(const char *want, size_t wantn, const char *got, size_t gotn,
    const char *fmt, ...)
{
	va_list ap;
	int pass;
	size_t i;

	pass = want != NULL && got != NULL ? wantn == gotn && memcmp(want, got, wantn) == 0 :
	    want == got;
	va_start(ap, fmt);
	t_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		fputs("# expected: ", stdout);
		t_escape(stdout, want, wantn, 400);
		fputs("\n#      got: ", stdout);
		t_escape(stdout, got, gotn, 400);
		putchar('\n');
		if (want != NULL && got != NULL) {
			for (i = 0; i < wantn && i < gotn && want[i] == got[i]; i++)
				;
			printf("# first difference at byte %zu (lengths %zu and %zu)\n",
			    i, wantn, gotn);
		}
		fflush(stdout);
	}
	return pass;
}

/* t_str passes when the NUL-terminated strings are equal (NULL equals only NULL). */
static inline int __attribute__((format(printf, 3, 4)))
t_str(const char *want, const char *got, const char *fmt, ...)
{
	char name[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	return t_mem(want, want ? strlen(want) : 0, got, got ? strlen(got) : 0, "%s", name);
}

/* t_int passes when two integers are equal. */
static inline int __attribute__((format(printf, 3, 4)))
t_int(int64_t want, int64_t got, const char *fmt, ...)
{
	va_list ap;
	int pass = want == got;

	va_start(ap, fmt);
	t_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		t_diag("expected: %lld got: %lld", (long long)want, (long long)got);
	return pass;
}

/* t_uint passes when two unsigned integers are equal (shown in hex too). */
static inline int __attribute__((format(printf, 3, 4)))
t_uint(uint64_t want, uint64_t got, const char *fmt, ...)
{
	va_list ap;
	int pass = want == got;

	va_start(ap, fmt);
	t_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		t_diag("expected: %llu (0x%llx) got: %llu (0x%llx)",
		    (unsigned long long)want, (unsigned long long)want,
		    (unsigned long long)got, (unsigned long long)got);
	return pass;
}

/* t_near passes when |got - want| <= tol. */
static inline int __attribute__((format(printf, 4, 5)))
t_near(double want, double got, double tol, const char *fmt, ...)
{
	va_list ap;
	int pass = fabs(got - want) <= tol;

	va_start(ap, fmt);
	t_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		t_diag("expected: %.17g (within %g) got: %.17g (off by %g)",
		    want, tol, got, got - want);
	return pass;
}

/* t_range passes when lo <= got <= hi. */
static inline int __attribute__((format(printf, 4, 5)))
t_range(double lo, double hi, double got, const char *fmt, ...)
{
	va_list ap;
	int pass = got >= lo && got <= hi;

	va_start(ap, fmt);
	t_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		t_diag("expected: in [%.17g, %.17g] got: %.17g", lo, hi, got);
	return pass;
}

/* t_contains passes when needle occurs in hay. */
static inline int __attribute__((format(printf, 3, 4)))
t_contains(const char *hay, const char *needle, const char *fmt, ...)
{
	va_list ap;
	int pass = hay != NULL && strstr(hay, needle) != NULL;

	va_start(ap, fmt);
	t_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		fputs("# expected: text containing ", stdout);
		t_escape(stdout, needle, strlen(needle), 400);
		fputs(" got: ", stdout);
		t_escape(stdout, hay, hay ? strlen(hay) : 0, 400);
		putchar('\n');
		fflush(stdout);
	}
	return pass;
}

/* Temporary files, in one directory removed by t_done. */
static char t_dir[256];
static char *t_files[256];
static int t_nfiles;

static inline const char *
t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (t_dir[0] == '\0') {
		snprintf(t_dir, sizeof t_dir, "%s/fs-test.XXXXXX", base && *base ? base : "/tmp");
		if (mkdtemp(t_dir) == NULL) {
			printf("Bail out! cannot make a temporary directory: %s\n", strerror(errno));
			exit(1);
		}
	}
	return t_dir;
}

/* t_path returns the path of name in the temporary directory (kept until t_done). */
static inline const char *
t_path(const char *name)
{
	char *p;
	size_t n;
	int i;

	if (t_nfiles == (int)N(t_files)) {
		printf("Bail out! too many temporary files\n");
		exit(1);
	}
	n = strlen(t_tmpdir()) + strlen(name) + 2;
	p = malloc(n);
	if (p == NULL)
		exit(1);
	snprintf(p, n, "%s/%s", t_dir, name);
	for (i = 0; i < t_nfiles; i++)
		if (strcmp(t_files[i], p) == 0) {
			free(p);
			return t_files[i];
		}
	t_files[t_nfiles++] = p;
	return p;
}

/* t_write_file writes p[0..n) to a temporary file called name; returns its path. */
static inline const char *
t_write_file(const char *name, const void *p, size_t n)
{
	const char *path = t_path(name);
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		printf("Bail out! cannot write '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	return path;
}

/* t_read_file reads a whole file into malloc'd memory (NUL-terminated); NULL if it cannot. */
static inline char *
t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0, k;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			p = realloc(p, cap + 1);
			if (p == NULL)
				exit(1);
		}
		k = fread(p + n, 1, cap - n, f);
		n += k;
	} while (k > 0);
	fclose(f);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

/*
 * t_stderr_begin sends stderr to a temporary file; t_stderr_end restores
 * it and returns what was written (malloc'd, NUL-terminated), so tests
 * can check messages and keep expected warnings out of the report.
 */
static int t_saved_stderr = -1;
static const char *t_stderr_path;

static inline void
t_stderr_begin(void)
{
	int fd;

	if (t_stderr_path == NULL)
		t_stderr_path = t_path("stderr");
	fflush(stderr);
	fd = open(t_stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (t_saved_stderr = dup(2)) < 0 || dup2(fd, 2) < 0) {
		printf("Bail out! cannot redirect stderr: %s\n", strerror(errno));
		exit(1);
	}
	close(fd);
}

static inline char *
t_stderr_end(void)
{
	fflush(stderr);
	dup2(t_saved_stderr, 2);
	close(t_saved_stderr);
	t_saved_stderr = -1;
	return t_read_file(t_stderr_path, NULL);
}

/*
 * t_child runs fn(arg) in a child process with stdout and stderr
 * captured, and returns its exit status (128 + signal if it died of one,
 * 0 if fn returned). out and err (either may be NULL) receive the
 * captured text, malloc'd. For functions that exit, like usage errors.
 */
static inline int
t_child(void (*fn)(void *), void *arg, char **out, char **err)
{
	const char *po = t_path("child.out"), *pe = t_path("child.err");
	pid_t pid;
	int st, fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		if ((fd = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || dup2(fd, 1) < 0)
			_exit(120);
		close(fd);
		if ((fd = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || dup2(fd, 2) < 0)
			_exit(120);
		close(fd);
		fn(arg);
		fflush(stdout);
		fflush(stderr);
		exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			printf("Bail out! waitpid: %s\n", strerror(errno));
			exit(1);
		}
	if (out != NULL)
		*out = t_read_file(po, NULL);
	if (err != NULL)
		*err = t_read_file(pe, NULL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* t_done prints the plan and the totals, removes temporary files, and returns the exit status. */
static inline int
t_done(void)
{
	int i;

	for (i = 0; i < t_nfiles; i++) {
		if (t_files[i] != NULL)
			unlink(t_files[i]);
		free(t_files[i]);
	}
	t_nfiles = 0;
	if (t_dir[0] != '\0')
		rmdir(t_dir);
	printf("1..%d\n", t_count);
	printf("# passed %d failed %d\n", t_count - t_failed, t_failed);
	fflush(stdout);
	return t_failed > 0 || t_count == 0;
}

#endif
