/*
 * fuzz: what the libFuzzer harnesses share. Each harness feeds one
 * input to one parser of untrusted input, the way its program does,
 * and must not crash, leak or trip a sanitizer on any input. Built by
 * the Makefile's fuzz block with clang -fsanitize=fuzzer,address,undefined.
 */
#ifndef FS_FUZZ_H
#define FS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * fuzz_lines calls fn on each line of data[0..size) without its "\n",
 * blank lines too, as the read loop hands them over: a program keeps
 * state from one record to the next, so one input is many records.
 */
static inline void
fuzz_lines(const uint8_t *data, size_t size, void (*fn)(const char *, size_t, void *),
    void *arg)
{
	const char *p = (const char *)data, *end = p + size, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		fn(p, (size_t)(nl - p), arg);
		p = nl + 1;
	}
}

#endif
