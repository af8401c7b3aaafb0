/* Tests of lib/buf: the growable byte buffer. */
#include "buf.h"
#include "t.h"

static void
test_empty(void)
{
	struct buf b = BUF_INIT;

	t_int(0, b.len, "a new buf is empty");
	t_str("", buf_cstr(&b), "buf_cstr of a new buf is \"\"");
	t_int(0, b.len, "buf_cstr does not count the NUL");
	t_ok(b.cap > b.len, "buf_cstr made room for the NUL");
	buf_free(&b);
	t_ok(b.p == NULL && b.len == 0 && b.cap == 0, "buf_free leaves an empty buf");
}

static void
add_nothing(void *arg)
{
	struct buf b = BUF_INIT;

	buf_add(&b, "", 0);
	buf_adds(&b, "");
	if (b.len != 0)
		exit(3);
	buf_free(&b);
}

/*
 * Adding nothing to a buf that owns no memory yet must be defined
 * behaviour (memcpy to NULL is not, even of 0 bytes). It runs in a
 * child so that, built with sanitizers, a report fails this test and
 * not the whole program.
 */
static void
test_add_nothing(void)
{
	char *err;
	int st = t_child(add_nothing, NULL, NULL, &err);

	if (!t_int(0, st, "buf_add of 0 bytes to a new buf is defined (no sanitizer report)"))
		t_diag("%.*s", (int)strcspn(err, "\n"), err);
	free(err);
}

static void
test_grow(void)
{
	struct buf b = BUF_INIT;
	size_t i, cap;
	int bad = 0;

	for (i = 0; i < 100000; i++) {
		buf_addc(&b, (char)('a' + i % 26));
		if (b.cap < b.len)
			bad++;
	}
	t_int(100000, b.len, "buf_addc 100000 times");
	t_int(0, bad, "buf_addc never writes past the capacity");
	for (i = 0; i < b.len && b.p[i] == (char)('a' + i % 26); i++)
		;
	t_int(100000, i, "buf_addc kept every byte in order");
	cap = b.cap;
	buf_reset(&b);
	t_int(0, b.len, "buf_reset empties");
	t_int(cap, b.cap, "buf_reset keeps the allocation");
	buf_grow(&b, 10);
	t_ok(b.cap - b.len >= 11, "buf_grow makes room for extra bytes and a NUL");
	t_int(cap, b.cap, "buf_grow within the capacity does not reallocate");
	buf_free(&b);

	buf_grow(&b, 1000);
	t_ok(b.cap >= 1001, "buf_grow(1000) on a new buf (cap %zu)", b.cap);
	buf_free(&b);
}

static void
test_add(void)
{
	struct buf b = BUF_INIT;
	char big[300000];
	size_t i;

	buf_add(&b, "abc", 3);
	buf_adds(&b, "def");
	buf_addc(&b, 'g');
	buf_add(&b, "\0h", 2);
	t_mem(S("abcdefg\0h"), b.p, b.len, "buf_add, buf_adds and buf_addc append, NUL included");
	for (i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7);
	buf_add(&b, big, sizeof big);
	t_int(9 + sizeof big, b.len, "buf_add of 300000 bytes at once");
	t_ok(memcmp(b.p + 9, big, sizeof big) == 0, "buf_add of 300000 bytes kept them");
	buf_cstr(&b);
	t_int(0, b.p[b.len], "buf_cstr NUL-terminates after a big buf_add");
	buf_free(&b);
}

static void
test_addf(void)
{
	struct buf b = BUF_INIT;
	char long_text[5000];

	buf_addf(&b, "%d-%s", 42, "x");
	t_str("42-x", buf_cstr(&b), "buf_addf on a new buf");
	buf_addf(&b, "|%05.1f|", 3.14159);
	t_str("42-x|003.1|", buf_cstr(&b), "buf_addf appends");
	buf_addf(&b, "%s", "");
	t_str("42-x|003.1|", buf_cstr(&b), "buf_addf of nothing");
	memset(long_text, 'L', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	buf_addf(&b, "<%s>", long_text);
	t_int(11 + 2 + 4999, b.len, "buf_addf of 5000 bytes grows the buf");
	t_ok(b.p[11] == '<' && b.p[12] == 'L' && b.p[b.len - 2] == 'L' && b.p[b.len - 1] == '>',
	    "buf_addf of 5000 bytes is whole");
	t_ok(b.cap > b.len && b.p[b.len] == '\0', "buf_addf leaves the text NUL-terminated");
	buf_free(&b);

	/* Exactly filling the space left: the NUL must still fit. */
	buf_grow(&b, 10);
	buf_reset(&b);
	{
		size_t room = b.cap - 1;
		char fill[256];

		if (room >= sizeof fill)
			room = sizeof fill - 1;
		memset(fill, 'f', room);
		fill[room] = '\0';
		buf_addf(&b, "%s", fill);
		t_int(room, b.len, "buf_addf of exactly the room left (%zu)", room);
		buf_addf(&b, "%c", 'g');
		t_int(room + 1, b.len, "buf_addf one more byte after that");
		t_ok(b.p[room - 1] == 'f' && b.p[room] == 'g', "buf_addf around the boundary kept the bytes");
	}
	buf_free(&b);
}

static void
test_cstr(void)
{
	struct buf b = BUF_INIT;
	const char *s;

	buf_adds(&b, "hello");
	s = buf_cstr(&b);
	t_str("hello", s, "buf_cstr");
	t_int(5, b.len, "buf_cstr does not change len");
	buf_adds(&b, " world");
	t_str("hello world", buf_cstr(&b), "buf_cstr after more text");
	/* Fill to capacity, then buf_cstr must grow for the NUL. */
	buf_reset(&b);
	while (b.len < b.cap)
		buf_addc(&b, 'z');
	t_str("z", buf_cstr(&b) + b.len - 1, "buf_cstr of a full buf grows it");
	buf_free(&b);
}

static void
test_x(void)
{
	char *p = xstrdup("copy me");
	void *z = xcalloc(16, 4);
	int i, zero = 1;

	t_str("copy me", p, "xstrdup");
	p = xrealloc(p, 1000);
	t_str("copy me", p, "xrealloc keeps the contents");
	for (i = 0; i < 64; i++)
		if (((unsigned char *)z)[i] != 0)
			zero = 0;
	t_ok(zero, "xcalloc zeroes");
	free(p);
	free(z);
	p = xmalloc(0);
	t_ok(p != NULL, "xmalloc(0) returns memory");
	free(p);
}

int
main(void)
{
	test_empty();
	test_add_nothing();
	test_grow();
	test_add();
	test_addf();
	test_cstr();
	test_x();
	return t_done();
}
