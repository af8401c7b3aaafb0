/*
 * mongo: what fs-sink-mongo and fs-produce mongo share about MongoDB:
 * the connection (URI, defaults, secrets kept out of messages), the
 * classes of errors, libmongoc's log, and the fields kept as dates.
 */
#ifndef FS_MONGO_H
#define FS_MONGO_H

#include <stddef.h>

#include <mongoc/mongoc.h>

#define MONGO_URI_DEFAULT	"mongodb://localhost:27017"
#define MONGO_DB_DEFAULT	"flightstream"
#define MONGO_COLL_DEFAULT	"raw"

/* mongo_time_field: 1 if the top-level field name[0..len) is kept as a BSON date. */
int mongo_time_field(const char *name, size_t len);

/*
 * mongo_setup calls mongoc_init, routes libmongoc's log through
 * fs_warnx (warnings only with -v, secrets removed), and notes the
 * secrets of uri. mongo_teardown calls mongoc_cleanup.
 */
void mongo_setup(const char *uri, int verbose);
void mongo_teardown(void);

/* mongo_has_password: 1 if uri holds a password (user:password@ or a password option). */
int mongo_has_password(const char *uri);

/* mongo_redact replaces every secret noted by mongo_setup in s (NUL-terminated, size bytes) by "***". */
void mongo_redact(char *s, size_t size);

/*
 * mongo_connect makes a client for uri with our defaults where the URI
 * says nothing (serverSelectionTimeoutMS 10000, connectTimeoutMS 10000,
 * socketTimeoutMS 60000) and the application name. *db is the URI's
 * database, else MONGO_DB_DEFAULT, unless it was set already. Returns
 * the client, or NULL with a message (secrets removed) in err.
 * *where describes the hosts for messages, without credentials.
 */
mongoc_client_t *mongo_connect(const char *uri, const char *appname, const char **db,
    char *where, size_t wheresz, char *err, size_t errsz);

/* mongo_error copies the message of e into out, secrets removed. */
void mongo_error(const bson_error_t *e, char *out, size_t size);

/*
 * mongo_transient: 1 when e says the server could not be reached or was
 * not ready (no server selected, a socket error or timeout, a server
 * shutting down or stepping down, a write concern that timed out):
 * worth trying again after a pause. 0 for anything else.
 */
int mongo_transient(const bson_error_t *e);

#endif
