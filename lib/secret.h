/*
 * secret: passwords kept out of every message.
 *
 * A program notes the secrets it was given (a password in a URI or a
 * connection string, an environment variable) and runs every message
 * that could quote them (a server's error, a library's log) through
 * secret_redact, which blanks them as "***".
 */
#ifndef FS_SECRET_H
#define FS_SECRET_H

#include <stddef.h>

/* secret_add notes p[0..n) (nothing when empty; at most 8 secrets). */
void secret_add(const char *p, size_t n);

/* secret_add_pct notes a percent-encoded secret, as written and decoded. */
void secret_add_pct(const char *p, size_t n);

/*
 * secret_uri_userinfo notes the password of a URI's user info
 * (scheme://user:password@host, up to the last '@' before the path),
 * found in the text, so that it is kept out even of the messages about
 * a URI that cannot be parsed.
 */
void secret_uri_userinfo(const char *uri);

/* secret_count is how many secrets are noted; secret_in says whether s holds one. */
int secret_count(void);
int secret_in(const char *s);

/* secret_redact replaces every noted secret in s (NUL-terminated, size bytes) by "***". */
void secret_redact(char *s, size_t size);

/* secret_forget forgets them all. */
void secret_forget(void);

#endif
