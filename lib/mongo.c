/*
 * mongo: the connection to MongoDB, its errors and its secrets; see
 * mongo.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "mongo.h"
#include "secret.h"

int
mongo_time_field(const char *name, size_t len)
{
	static const char *const names[] = {
		"timestamp", "processing_timestamp", "window_start", "window_end",
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

/* --- Secrets ------------------------------------------------------------- */

static int log_verbose;

/*
 * secrets_of notes the password of a URI's user info (user:password@,
 * up to the last '@' before the path), found by looking at the text so
 * that it is kept out of messages even when libmongoc cannot parse the
 * URI; and the values of options that hold keys or passwords.
 */
static void
secrets_of(const char *uri)
{
	static const char *const keys[] = {
		"password=", "tlsCertificateKeyFilePassword=", "sslclientcertificatekeypassword=",
		"authMechanismProperties=",
	};
	const char *p;
	size_t i;

	if (uri == NULL)
		return;
	secret_uri_userinfo(uri);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		for (p = uri; (p = strcasestr(p, keys[i])) != NULL; ) {
			p += strlen(keys[i]);
			secret_add_pct(p, strcspn(p, "&"));
		}
}

int
mongo_has_password(const char *uri)
{
	int had = secret_count();

	secrets_of(uri);
	/* New ones, or noted already (mongo_setup): look at this URI only. */
	return secret_count() > had || secret_in(uri);
}

void
mongo_redact(char *s, size_t size)
{
	secret_redact(s, size);
}

/* --- libmongoc's log ----------------------------------------------------- */

static void
log_handler(mongoc_log_level_t level, const char *domain, const char *message, void *arg)
{
	char m[1024];

	(void)arg;
	if (level > MONGOC_LOG_LEVEL_WARNING || (level == MONGOC_LOG_LEVEL_WARNING && log_verbose < 1))
		return;
	snprintf(m, sizeof m, "%s", message);
	m[strcspn(m, "\n")] = '\0';
	mongo_redact(m, sizeof m);
	fs_warnx("%s: %s", domain, m);
}

void
mongo_setup(const char *uri, int verbose)
{
	log_verbose = verbose;
	mongoc_log_set_handler(log_handler, NULL);
	mongoc_init();
	mongoc_log_trace_disable();
	secrets_of(uri);
}

void
mongo_teardown(void)
{
	mongoc_cleanup();
	secret_forget();
}

/* --- Connecting ---------------------------------------------------------- */

void
mongo_error(const bson_error_t *e, char *out, size_t size)
{
	snprintf(out, size, "%s", e->message[0] != '\0' ? e->message : "unknown error");
	mongo_redact(out, size);
}

static void
describe(const mongoc_uri_t *u, char *out, size_t size)
{
	const mongoc_host_list_t *h;
	size_t n = 0;

	out[0] = '\0';
	for (h = mongoc_uri_get_hosts(u); h != NULL && n < size; h = h->next)
		n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "", h->host_and_port);
	if (out[0] == '\0' && mongoc_uri_get_srv_hostname(u) != NULL)
		snprintf(out, size, "%s", mongoc_uri_get_srv_hostname(u));
	mongo_redact(out, size);
}

mongoc_client_t *
mongo_connect(const char *uri_text, const char *appname, const char **db, char *where,
    size_t wheresz, char *err, size_t errsz)
{
	static char dbname[256];
	mongoc_uri_t *u;
	mongoc_client_t *c;
	bson_error_t e;

	snprintf(where, wheresz, "?");
	if ((u = mongoc_uri_new_with_error(uri_text, &e)) == NULL) {
		mongo_error(&e, err, errsz);
		return NULL;
	}
	describe(u, where, wheresz);
	if (mongoc_uri_get_password(u) != NULL)
		secret_add(mongoc_uri_get_password(u), strlen(mongoc_uri_get_password(u)));
	if (!mongoc_uri_has_option(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
		mongoc_uri_set_option_as_int32(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 10000);
	if (!mongoc_uri_has_option(u, MONGOC_URI_CONNECTTIMEOUTMS))
		mongoc_uri_set_option_as_int32(u, MONGOC_URI_CONNECTTIMEOUTMS, 10000);
	if (!mongoc_uri_has_option(u, MONGOC_URI_SOCKETTIMEOUTMS))
		mongoc_uri_set_option_as_int32(u, MONGOC_URI_SOCKETTIMEOUTMS, 60000);
	if (!mongoc_uri_has_option(u, MONGOC_URI_APPNAME))
		mongoc_uri_set_appname(u, appname);
	if (*db == NULL && mongoc_uri_get_database(u) != NULL) {
		snprintf(dbname, sizeof dbname, "%s", mongoc_uri_get_database(u));
		*db = dbname;
	} else if (*db == NULL)
		*db = MONGO_DB_DEFAULT;
	c = mongoc_client_new_from_uri_with_error(u, &e);
	mongoc_uri_destroy(u);
	if (c == NULL) {
		mongo_error(&e, err, errsz);
		return NULL;
	}
	mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
	return c;
}

int
mongo_transient(const bson_error_t *e)
{
	static const uint32_t codes[] = {
		6, 7, 64, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436,
	};
	size_t i;

	if (e->domain == MONGOC_ERROR_STREAM || e->domain == MONGOC_ERROR_SERVER_SELECTION)
		return 1;
	if (e->domain == MONGOC_ERROR_SERVER || e->domain == MONGOC_ERROR_WRITE_CONCERN ||
	    e->domain == MONGOC_ERROR_QUERY)
		for (i = 0; i < sizeof codes / sizeof codes[0]; i++)
			if (e->code == codes[i])
				return 1;
	return 0;
}
