/* Tests of lib/fdio: the line reader and the checked writer. */
#include <signal.h>

#include "buf.h"
#include "fdio.h"
#include "t.h"

#define MAXL 16		/* a small max_line for the table */

struct want {
	const char *p;
	size_t len;
	size_t full_len;
	unsigned flags;
	long bad;
};

#define L(lit, full, flags, bad) { (lit), sizeof(lit) - 1, (full), (flags), (bad) }

static const struct {
	const char *name;
	const char *in;
	size_t n;
	size_t max_line;
	int nwant;
	struct want want[4];
} cases[] = {
	{ "two lines", S("a\nbc\n"), 0, 2,
	    { L("a", 1, 0, -1), L("bc", 2, 0, -1) } },
	{ "no final newline", S("a\nbc"), 0, 2,
	    { L("a", 1, 0, -1), L("bc", 2, LINE_NO_NL, -1) } },
	{ "CRLF", S("a\r\nbc\r\n"), 0, 2,
	    { L("a", 1, LINE_CRLF, -1), L("bc", 2, LINE_CRLF, -1) } },
	{ "CRLF, then no final newline", S("a\r\nbc"), 0, 2,
	    { L("a", 1, LINE_CRLF, -1), L("bc", 2, LINE_NO_NL, -1) } },
	{ "an empty file", S(""), 0, 0, { { NULL, 0, 0, 0, 0 } } },
	{ "one empty line", S("\n"), 0, 1, { L("", 0, 0, -1) } },
	{ "three empty lines", S("\n\n\n"), 0, 3,
	    { L("", 0, 0, -1), L("", 0, 0, -1), L("", 0, 0, -1) } },
	{ "an empty CRLF line", S("\r\n"), 0, 1, { L("", 0, LINE_CRLF, -1) } },
	{ "an empty line between two", S("x\n\ny\n"), 0, 3,
	    { L("x", 1, 0, -1), L("", 0, 0, -1), L("y", 1, 0, -1) } },
	{ "a CR inside a line is kept", S("a\rb\n"), 0, 1, { L("a\rb", 3, 0, -1) } },
	{ "a NUL byte", S("ab\0cd\n"), 0, 1, { L("ab\0cd", 5, LINE_HAS_NUL, 2) } },
	{ "a NUL byte first", S("\0\n"), 0, 1, { L("\0", 1, LINE_HAS_NUL, 0) } },
	{ "invalid UTF-8", S("ab\xff" "cd\n"), 0, 1, { L("ab\xff" "cd", 5, LINE_BAD_UTF8, 2) } },
	{ "invalid UTF-8 before a NUL", S("a\xff\0\n"), 0, 1,
	    { L("a\xff\0", 3, LINE_BAD_UTF8 | LINE_HAS_NUL, 1) } },
	{ "a NUL before invalid UTF-8", S("a\0\xff\n"), 0, 1,
	    { L("a\0\xff", 3, LINE_BAD_UTF8 | LINE_HAS_NUL, 1) } },
	{ "a NUL after UTF-8 text", S("\xc3\xa9\0\n"), 0, 1,
	    { L("\xc3\xa9\0", 3, LINE_HAS_NUL, 2) } },
	{ "valid UTF-8", S("{\"city\":\"Z\xc3\xbcrich\"}\n"), 0, 1,
	    { L("{\"city\":\"Z\xc3\xbcrich\"}", 18, 0, -1) } },
	{ "a truncated UTF-8 sequence at the end", S("\xc3\xa9\xc3\n"), 0, 1,
	    { L("\xc3\xa9\xc3", 3, LINE_BAD_UTF8, 2) } },
	{ "an overlong form", S("x\xc0\x80\n"), 0, 1, { L("x\xc0\x80", 3, LINE_BAD_UTF8, 1) } },
	{ "invalid UTF-8 then a good line", S("\xff\nok\n"), 0, 2,
	    { L("\xff", 1, LINE_BAD_UTF8, 0), L("ok", 2, 0, -1) } },
	/* The length limit: at the limit is fine, over it is TOO_LONG with the real length. */
	{ "a line exactly at max_line", S("0123456789abcdef\nnext\n"), MAXL, 2,
	    { L("0123456789abcdef", 16, 0, -1), L("next", 4, 0, -1) } },
	{ "a line one byte over max_line", S("0123456789abcdefg\nnext\n"), MAXL, 2,
	    { L("0123456789abcdef", 17, LINE_TOO_LONG, -1), L("next", 4, 0, -1) } },
	{ "a line over max_line without a final newline", S("0123456789abcdefghij"), MAXL, 1,
	    { L("0123456789abcdef", 20, LINE_TOO_LONG | LINE_NO_NL, -1) } },
	{ "two long lines in a row", S("AAAAAAAAAAAAAAAAAAAA\nBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\nc\n"), MAXL, 3,
	    { L("AAAAAAAAAAAAAAAA", 20, LINE_TOO_LONG, -1),
	      L("BBBBBBBBBBBBBBBB", 37, LINE_TOO_LONG, -1), L("c", 1, 0, -1) } },
	{ "a CRLF line exactly at max_line is not too long", S("0123456789abcdef\r\nnext\n"), MAXL, 2,
	    { L("0123456789abcdef", 16, LINE_CRLF, -1), L("next", 4, 0, -1) } },
	{ "a too-long CRLF line's length does not count the CR", S("0123456789abcdefghij\r\nnext\n"), MAXL, 2,
	    { L("0123456789abcdef", 20, LINE_TOO_LONG, -1), L("next", 4, 0, -1) } },
};

/* check_line compares a line with what is wanted; CRLF is not asserted on TOO_LONG lines. */
static int
check_line(const struct line *l, const struct want *w, const char *name, int k, uint64_t lineno)
{
	int ok = 1;
	unsigned mask = w->flags & LINE_TOO_LONG ? ~(unsigned)LINE_CRLF : ~0u;

	ok &= t_mem(w->p, w->len, l->p, l->len, "%s: line %d text", name, k + 1);
	ok &= t_int((int64_t)w->full_len, (int64_t)l->full_len, "%s: line %d full_len", name, k + 1);
	ok &= t_uint(w->flags, l->flags & mask, "%s: line %d flags", name, k + 1);
	if (w->flags & (LINE_HAS_NUL | LINE_BAD_UTF8))
		ok &= t_int(w->bad, l->bad_offset, "%s: line %d bad_offset", name, k + 1);
	ok &= t_uint(lineno, l->lineno, "%s: line %d lineno", name, k + 1);
	return ok;
}

static void
test_table(void)
{
	size_t i;
	int k, rc;
	char *files[1];
	struct fd_in *r;
	struct line l;

	for (i = 0; i < N(cases); i++) {
		files[0] = (char *)t_write_file("case.ndjson", cases[i].in, cases[i].n);
		r = fdin_open(files, 1, cases[i].max_line, 1);
		for (k = 0; k < cases[i].nwant; k++) {
			if (!t_int(1, fdin_read(r, &l, NULL, NULL), "%s: line %d is read", cases[i].name, k + 1))
				break;
			check_line(&l, &cases[i].want[k], cases[i].name, k, (uint64_t)k + 1);
			t_str(files[0], l.file, "%s: line %d names its file", cases[i].name, k + 1);
		}
		rc = fdin_read(r, &l, NULL, NULL);
		t_int(0, rc, "%s: then the end", cases[i].name);
		t_int(0, fdin_read(r, &l, NULL, NULL), "%s: the end again", cases[i].name);
		t_int(0, fdin_errors(r), "%s: no errors", cases[i].name);
		fdin_close(r);
	}
}

/* With check 0 the reader does not scan for NUL and bad UTF-8. */
static void
test_nocheck(void)
{
	char *files[1];
	struct fd_in *r;
	struct line l;

	files[0] = (char *)t_write_file("nocheck.ndjson", S("a\0\xff\n"));
	r = fdin_open(files, 1, 0, 0);
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "check 0: a line is read")) {
		t_mem(S("a\0\xff"), l.p, l.len, "check 0: the bytes are kept");
		t_uint(0, l.flags, "check 0: no NUL or UTF-8 flags");
	}
	fdin_close(r);
}

static void
fill(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)('a' + i % 23);
}

/* Lines far longer than the 64 KiB chunks the reader reads in. */
static void
test_long_lines(void)
{
	size_t big = 300 * 1000, huge = 3 * 1024 * 1024, max = 1024 * 1024, i, n;
	char *data = malloc(huge + max + 100), *files[1];
	struct fd_in *r;
	struct line l;

	fill(data, huge + max);

	/* A 300 KB line, within the default limit of 1 MiB. */
	n = big;
	data[n++] = '\n';
	memcpy(data + n, "tail\n", 5);
	files[0] = (char *)t_write_file("big.ndjson", data, n + 5);
	r = fdin_open(files, 1, 0, 1);
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "a 300 KB line is read")) {
		t_int((int64_t)big, (int64_t)l.len, "a 300 KB line is whole");
		t_int((int64_t)big, (int64_t)l.full_len, "a 300 KB line: full_len");
		t_uint(0, l.flags, "a 300 KB line has no flags");
		t_ok(memcmp(l.p, data, big) == 0, "a 300 KB line has its bytes");
	}
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "the line after a 300 KB line is read"))
		t_mem(S("tail"), l.p, l.len, "the line after a 300 KB line is intact");
	t_int(0, fdin_read(r, &l, NULL, NULL), "end after a 300 KB line");
	fdin_close(r);
	fill(data, huge + max);

	/* A 3 MiB line over the 1 MiB limit: its head, its real length, and the next line intact. */
	n = huge;
	data[n++] = '\n';
	memcpy(data + n, "tail\n", 5);
	files[0] = (char *)t_write_file("huge.ndjson", data, n + 5);
	r = fdin_open(files, 1, max, 1);
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "a 3 MiB line is read")) {
		t_uint(LINE_TOO_LONG, l.flags, "a 3 MiB line is TOO_LONG");
		t_int((int64_t)max, (int64_t)l.len, "a 3 MiB line keeps max_line bytes");
		t_int((int64_t)huge, (int64_t)l.full_len, "a 3 MiB line: full_len is its real length");
		t_ok(l.len == max && memcmp(l.p, data, max) == 0, "a 3 MiB line keeps its first bytes");
		t_uint(1, l.lineno, "a 3 MiB line is line 1");
	}
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "the line after a 3 MiB line is read")) {
		t_mem(S("tail"), l.p, l.len, "the line after a 3 MiB line is intact");
		t_uint(2, l.lineno, "the line after a 3 MiB line is line 2");
	}
	t_int(0, fdin_read(r, &l, NULL, NULL), "end after a 3 MiB line");
	fdin_close(r);
	fill(data, huge + max);

	/* Exactly the default limit, and one byte more. */
	for (i = 0; i < 2; i++) {
		n = max + i;
		data[n] = '\n';
		memcpy(data + n + 1, "tail\n", 5);
		files[0] = (char *)t_write_file("limit.ndjson", data, n + 6);
		r = fdin_open(files, 1, 0, 1);
		if (t_int(1, fdin_read(r, &l, NULL, NULL), "a line of 1 MiB%s is read", i ? " + 1" : "")) {
			t_uint(i ? LINE_TOO_LONG : 0, l.flags, "a line of 1 MiB%s: flags", i ? " + 1" : "");
			t_int((int64_t)max, (int64_t)l.len, "a line of 1 MiB%s: len", i ? " + 1" : "");
			t_int((int64_t)n, (int64_t)l.full_len, "a line of 1 MiB%s: full_len", i ? " + 1" : "");
		}
		if (t_int(1, fdin_read(r, &l, NULL, NULL), "the line after 1 MiB%s is read", i ? " + 1" : ""))
			t_mem(S("tail"), l.p, l.len, "the line after 1 MiB%s is intact", i ? " + 1" : "");
		fdin_close(r);
		fill(data, huge + max);
	}
	free(data);
}

/* Many short lines: every chunk boundary falls somewhere inside a line. */
static void
test_many_lines(void)
{
	struct fd_in *r;
	struct line l;
	char *files[1], want[64];
	FILE *f;
	int i, bad = 0, count = 0;
	size_t n;

	files[0] = (char *)t_path("many.ndjson");
	f = fopen(files[0], "w");
	for (i = 0; i < 200000; i++)
		fprintf(f, "{\"n\":%d,\"pad\":\"%.*s\"}%s", i, i % 37, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		    i % 3 == 0 ? "\r\n" : "\n");
	fclose(f);
	r = fdin_open(files, 1, 0, 1);
	while (fdin_read(r, &l, NULL, NULL) == 1) {
		n = (size_t)snprintf(want, sizeof want, "{\"n\":%d,\"pad\":\"%.*s\"}", count, count % 37,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		if ((l.len != n || memcmp(l.p, want, n) != 0 || l.lineno != (uint64_t)count + 1 ||
		    (l.flags != 0) != (count % 3 == 0)) && bad++ == 0)
			t_diag("line %d differs: %.*s", count + 1, (int)l.len, l.p);
		count++;
	}
	t_int(200000, count, "200000 short lines are all read");
	t_int(0, bad, "200000 short lines are read right, in order");
	fdin_close(r);
}

static void
test_files(void)
{
	struct fd_in *r;
	struct line l;
	char *files[4], *err;
	static const struct {
		int file;
		const char *p;
		uint64_t lineno;
		unsigned flags;
	} want[] = {
		{ 0, "a", 1, 0 }, { 0, "b", 2, 0 }, { 1, "c", 1, LINE_NO_NL }, { 2, "d", 1, 0 },
	};
	size_t i;
	uint64_t done, total;

	files[0] = (char *)t_write_file("f1.ndjson", S("a\nb\n"));
	files[1] = (char *)t_write_file("f2.ndjson", S("c"));
	files[2] = (char *)t_write_file("f3.ndjson", S("d\n"));
	r = fdin_open(files, 3, 0, 1);
	fdin_progress(r, &done, &total);
	t_uint(7, total, "fdin_progress: the total is the size of the files");
	for (i = 0; i < N(want); i++) {
		if (!t_int(1, fdin_read(r, &l, NULL, NULL), "three files: line %zu is read", i + 1))
			break;
		t_mem(want[i].p, strlen(want[i].p), l.p, l.len, "three files: line %zu text", i + 1);
		t_str(files[want[i].file], l.file, "three files: line %zu names its file", i + 1);
		t_uint(want[i].lineno, l.lineno, "three files: line %zu lineno is counted per file", i + 1);
		t_uint(want[i].flags, l.flags, "three files: line %zu flags", i + 1);
	}
	t_int(0, fdin_read(r, &l, NULL, NULL), "three files: then the end");
	fdin_progress(r, &done, &total);
	t_uint(7, done, "fdin_progress: all bytes done");
	t_int(0, fdin_errors(r), "three files: no errors");
	fdin_close(r);

	/* A missing file and a directory are reported, counted and skipped. */
	files[0] = (char *)t_path("f1.ndjson");
	files[1] = "/nonexistent/missing.ndjson";
	files[2] = (char *)t_tmpdir();
	files[3] = (char *)t_path("f3.ndjson");
	r = fdin_open(files, 4, 0, 1);
	t_stderr_begin();
	for (i = 0; fdin_read(r, &l, NULL, NULL) == 1; i++)
		if (i == 2) {
			t_mem(S("d"), l.p, l.len, "a missing file is skipped: the next file is read");
			t_str(files[3], l.file, "a missing file is skipped: the line names its file");
			t_uint(1, l.lineno, "a missing file is skipped: the lineno starts again");
		}
	err = t_stderr_end();
	t_int(3, (int64_t)i, "a missing file and a directory: the others are read");
	t_int(2, fdin_errors(r), "a missing file and a directory: fdin_errors counts both");
	t_contains(err, "cannot open '/nonexistent/missing.ndjson': No such file or directory",
	    "a missing file: the message names it and says why");
	t_contains(err, "Is a directory", "a directory: the message says why");
	t_contains(err, files[2], "a directory: the message names it");
	free(err);
	fdin_close(r);
}

/* stdin through a pipe: the idle hook runs before a read would block. */
struct feeder {
	int fd;
	int calls;
};

static void
feed(void *arg)
{
	struct feeder *f = arg;

	/* The reader is about to wait: give it the rest, then the end. */
	if (f->calls++ == 0) {
		if (write(f->fd, "second\nthird", 12) != 12)
			t_diag("cannot write to the pipe");
		close(f->fd);
		f->fd = -1;
	}
}

static void
test_stdin(void)
{
	struct fd_in *r;
	struct line l;
	struct feeder f;
	int p[2], saved = dup(0);
	char *files[3];

	if (pipe(p) != 0) {
		t_ok(0, "pipe: %s", strerror(errno));
		return;
	}
	if (write(p[1], "first\r\n", 7) != 7)
		t_diag("cannot write to the pipe");
	dup2(p[0], 0);
	close(p[0]);
	f.fd = p[1];
	f.calls = 0;
	r = fdin_open(NULL, 0, 0, 1);
	if (t_int(1, fdin_read(r, &l, feed, &f), "stdin: the first line is read")) {
		t_mem(S("first"), l.p, l.len, "stdin: the first line");
		t_str("-", l.file, "stdin is named \"-\"");
		t_uint(LINE_CRLF, l.flags, "stdin: CRLF");
	}
	t_int(0, fdin_wait(r, 0), "stdin: fdin_wait with nothing to read is 0");
	if (t_int(1, fdin_read(r, &l, feed, &f), "stdin: the second line is read after the idle hook"))
		t_mem(S("second"), l.p, l.len, "stdin: the second line");
	if (t_int(1, fdin_read(r, &l, feed, &f), "stdin: the last line is read")) {
		t_mem(S("third"), l.p, l.len, "stdin: the last line");
		t_uint(LINE_NO_NL, l.flags, "stdin: the last line has no newline");
		t_uint(3, l.lineno, "stdin: line numbers count");
	}
	t_int(0, fdin_read(r, &l, feed, &f), "stdin: then the end");
	t_ok(f.calls >= 1, "stdin: the idle hook was called (%d times)", f.calls);
	fdin_close(r);

	/* "-" among files is stdin, in its place. */
	if (pipe(p) != 0)
		return;
	if (write(p[1], "from stdin\n", 11) != 11)
		t_diag("cannot write to the pipe");
	close(p[1]);
	dup2(p[0], 0);
	close(p[0]);
	files[0] = (char *)t_write_file("before.ndjson", S("before\n"));
	files[1] = "-";
	files[2] = (char *)t_write_file("after.ndjson", S("after\n"));
	r = fdin_open(files, 3, 0, 1);
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "files and -: line 1"))
		t_mem(S("before"), l.p, l.len, "files and -: the first file first");
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "files and -: line 2")) {
		t_mem(S("from stdin"), l.p, l.len, "files and -: then stdin");
		t_str("-", l.file, "files and -: stdin is named \"-\"");
	}
	if (t_int(1, fdin_read(r, &l, NULL, NULL), "files and -: line 3"))
		t_mem(S("after"), l.p, l.len, "files and -: then the last file");
	t_int(0, fdin_read(r, &l, NULL, NULL), "files and -: then the end");
	fdin_close(r);
	t_ok(fcntl(0, F_GETFD) != -1, "fdin_close leaves file descriptor 0 open");
	dup2(saved, 0);
	close(saved);
}

static void
test_writer(void)
{
	struct fd_out w;
	const char *path = t_path("out.ndjson");
	char *got, *big;
	size_t n, i;
	struct buf want = BUF_INIT;

	t_int(0, fdout_open(&w, path, 0), "fdout_open a new file");
	t_int(0, fdout_write(&w, "{\"a\":1}", 7, NULL, 0), "fdout_write a record without a newline");
	t_int(0, fdout_write(&w, "{\"b\":2}\n", 8, NULL, 0), "fdout_write a record with a newline");
	t_int(0, fdout_write(&w, "", 0, NULL, 0), "fdout_write an empty record");
	t_int(0, fdout_close(&w), "fdout_close");
	got = t_read_file(path, &n);
	t_mem(S("{\"a\":1}\n{\"b\":2}\n\n"), got, n, "the file holds the records, one per line");
	free(got);

	/* Append, then records bigger than the buffer, around ones smaller. */
	t_int(0, fdout_open(&w, path, 1), "fdout_open to append");
	big = malloc(200000);
	for (i = 0; i < 200000; i++)
		big[i] = (char)('A' + i % 26);
	buf_adds(&want, "{\"a\":1}\n{\"b\":2}\n\n");
	for (i = 0; i < 50; i++) {
		size_t len = i % 5 == 0 ? 100000 + i : 10 + i * 37;

		fdout_write(&w, big, len, NULL, 0);
		buf_add(&want, big, len);
		buf_addc(&want, '\n');
	}
	t_int(0, fdout_close(&w), "fdout_close after big records");
	got = t_read_file(path, &n);
	t_mem(want.p, want.len, got, n, "big and small records are written in order");
	free(got);
	free(big);
	buf_free(&want);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static void
test_writer_errors(void)
{
	struct fd_out w;
	char *err;
	int fd, p[2];
	void (*old)(int);

	/* A disk that is full. */
	if (fdout_open(&w, "/dev/full", 0) == 0) {
		t_stderr_begin();
		t_int(0, fdout_write(&w, "x", 1, NULL, 0), "/dev/full: the write is buffered");
		t_int(-1, fdout_flush(&w), "/dev/full: the flush fails");
		t_int(-1, fdout_write(&w, "y", 1, NULL, 0), "/dev/full: later writes fail");
		t_int(-1, fdout_flush(&w), "/dev/full: later flushes fail");
		t_int(-1, fdout_close(&w), "/dev/full: close reports the loss");
		err = t_stderr_end();
		t_contains(err, "cannot write '/dev/full': No space left on device",
		    "/dev/full: the message names the file and says why");
		t_int(1, count(err, "cannot write"), "/dev/full: the message is printed once");
		free(err);
	}

	/* A closed file descriptor. */
	fd = dup(1);
	close(fd);
	fdout_init(&w, fd, "closed");
	t_stderr_begin();
	fdout_write(&w, "x", 1, NULL, 0);
	t_int(-1, fdout_flush(&w), "a closed descriptor: the flush fails");
	t_int(1, w.failed, "a closed descriptor: the writer is failed");
	t_int(-1, fdout_close(&w), "a closed descriptor: close reports the loss");
	err = t_stderr_end();
	t_contains(err, "cannot write 'closed': Bad file descriptor", "a closed descriptor: the message");
	free(err);

	/* A pipe whose reader has gone: a quiet failure, as after SIGPIPE. */
	old = signal(SIGPIPE, SIG_IGN);
	if (pipe(p) == 0) {
		close(p[0]);
		fdout_init(&w, p[1], "pipe");
		t_stderr_begin();
		fdout_write(&w, "x", 1, NULL, 0);
		t_int(-1, fdout_flush(&w), "a broken pipe: the flush fails");
		t_int(-1, fdout_close(&w), "a broken pipe: close reports the loss");
		err = t_stderr_end();
		t_str("", err, "a broken pipe: no message");
		free(err);
		close(p[1]);
	}
	signal(SIGPIPE, old);

	/* A file that cannot be opened. */
	t_stderr_begin();
	t_int(-1, fdout_open(&w, "/nonexistent/dir/out.ndjson", 0), "a writer in a missing directory fails");
	err = t_stderr_end();
	t_contains(err, "cannot open '/nonexistent/dir/out.ndjson'", "a writer in a missing directory: the message");
	free(err);
}

static void
test_blank(void)
{
	static const struct {
		const char *p;
		size_t len;
		unsigned flags;
		int want;
	} cases[] = {
		{ S(""), 0, 1 },
		{ S(" "), 0, 1 },
		{ S(" \t \r"), 0, 1 },
		{ S("\t\t"), LINE_CRLF, 1 },
		{ S("{}"), 0, 0 },
		{ S("  x  "), 0, 0 },
		{ S("\0"), LINE_HAS_NUL, 0 },
		{ S("\v"), 0, 0 },
		{ S("                "), LINE_TOO_LONG, 0 },	/* the rest of it is not known */
	};
	struct line l;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		memset(&l, 0, sizeof l);
		l.p = cases[i].p;
		l.len = l.full_len = cases[i].len;
		l.flags = cases[i].flags;
		t_int(cases[i].want, line_blank(&l), "line_blank case %zu", i);
	}
}

int
main(void)
{
	test_table();
	test_blank();
	test_nocheck();
	test_long_lines();
	test_many_lines();
	test_files();
	test_stdin();
	test_writer();
	test_writer_errors();
	return t_done();
}
