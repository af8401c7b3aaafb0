#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "secret.h"

#define MAX_SECRETS 8
static char *secrets[MAX_SECRETS];
static int nsecrets;

void
secret_add(const char *p, size_t n)
{
	int i;

	if (n == 0 || nsecrets == MAX_SECRETS)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strlen(secrets[i]) == n && memcmp(secrets[i], p, n) == 0)
			return;
	secrets[nsecrets] = xmalloc(n + 1);
	memcpy(secrets[nsecrets], p, n);
	secrets[nsecrets][n] = '\0';
	nsecrets++;
}

void
secret_add_pct(const char *p, size_t n)
{
	char *d = xmalloc(n + 1);
	size_t i, k = 0;

	secret_add(p, n);
	for (i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && json_hexdigit(p[i + 1]) >= 0 &&
		    json_hexdigit(p[i + 2]) >= 0) {
			d[k++] = (char)(json_hexdigit(p[i + 1]) * 16 + json_hexdigit(p[i + 2]));
			i += 2;
		} else
			d[k++] = p[i];
	}
	secret_add(d, k);
	free(d);
}

void
secret_uri_userinfo(const char *uri)
{
	const char *p, *e, *at, *colon;

	if (uri == NULL || (p = strstr(uri, "://")) == NULL)
		return;
	p += 3;
	e = p + strcspn(p, "/?");
	if ((at = memchr(p, '@', (size_t)(e - p))) == NULL)
		return;
	/* The last '@' before the host: user:password@host */
	while (memchr(at + 1, '@', (size_t)(e - at - 1)) != NULL)
		at = memchr(at + 1, '@', (size_t)(e - at - 1));
	if ((colon = memchr(p, ':', (size_t)(at - p))) != NULL)
		secret_add_pct(colon + 1, (size_t)(at - colon - 1));
}

int
secret_count(void)
{
	return nsecrets;
}

int
secret_in(const char *s)
{
	int i;

	for (i = 0; i < nsecrets; i++)
		if (strstr(s, secrets[i]) != NULL)
			return 1;
	return 0;
}

void
secret_redact(char *s, size_t size)
{
	struct buf b = BUF_INIT;
	const char *p, *hit;
	int i;

	for (i = 0; i < nsecrets; i++) {
		if (strstr(s, secrets[i]) == NULL)
			continue;
		buf_reset(&b);
		for (p = s; (hit = strstr(p, secrets[i])) != NULL; p = hit + strlen(secrets[i])) {
			buf_add(&b, p, (size_t)(hit - p));
			buf_adds(&b, "***");
		}
		buf_adds(&b, p);
		snprintf(s, size, "%s", buf_cstr(&b));
	}
	buf_free(&b);
}

void
secret_forget(void)
{
	int i;

	for (i = 0; i < nsecrets; i++)
		free(secrets[i]);
	nsecrets = 0;
}
