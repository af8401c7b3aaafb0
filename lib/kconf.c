#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "err.h"
#include "kconf.h"
#include "sig.h"

static int log_verbose;	/* the -v of the options the handles were made from */

/* name_of copies the name part of "name=value" into name; -1 when too long. */
static int
name_of(const char *prop, char *name, size_t size)
{
	const char *eq = strchr(prop, '=');

	if (eq == NULL || eq == prop) {
		fs_warnx("invalid property '%s': not name=value", prop);
		return -1;
	}
	if ((size_t)(eq - prop) >= size) {
		fs_warnx("invalid property '%s': name too long", prop);
		return -1;
	}
	memcpy(name, prop, (size_t)(eq - prop));
	name[eq - prop] = '\0';
	return 0;
}

int
kconf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char err[512];

	if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
		fs_warnx("invalid kafka property '%s=%s': %s", name, value, err);
		return -1;
	}
	return 0;
}

int
kconf_apply(const struct kafka_opts *o, rd_kafka_conf_t *conf)
{
	char name[256];
	int i;

	for (i = 0; i < o->nprops; i++)
		if (name_of(o->props[i], name, sizeof name) != 0 ||
		    kconf_set(conf, name, strchr(o->props[i], '=') + 1) != 0)
			return -1;
	return 0;
}

int
kconf_check(const struct kafka_opts *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	int rc = kconf_apply(o, conf);

	rd_kafka_conf_destroy(conf);
	return rc;
}

int
kconf_given(const struct kafka_opts *o, const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < o->nprops; i++)
		if (strncmp(o->props[i], name, n) == 0 && o->props[i][n] == '=')
			return 1;
	return 0;
}

size_t
kconf_size(rd_kafka_conf_t *conf, const char *name, size_t def)
{
	char v[64];
	size_t vlen = sizeof v;
	unsigned long long n;

	if (rd_kafka_conf_get(conf, name, v, &vlen) != RD_KAFKA_CONF_OK ||
	    (n = strtoull(v, NULL, 10)) == 0)
		return def;
	return (size_t)n;
}

const char *
kconf_brokers(const struct kafka_opts *o)
{
	const char *b = o->brokers;

	if (b == NULL || *b == '\0')
		b = getenv("FS_KAFKA_BROKERS");
	if (b == NULL || *b == '\0')
		b = "localhost:9092";
	return b;
}

int
kconf_debug(void)
{
	return getenv("FS_KAFKA_DEBUG") != NULL;
}

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* librdkafka's own log only with -v: what matters comes back as errors. */
	if (log_verbose > 0 || kconf_debug())
		fprintf(stderr, "%s: kafka: %s: %s\n", progname, fac, buf);
}

rd_kafka_conf_t *
kconf_new(const struct kafka_opts *o)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	log_verbose = o->verbose;
	if (kconf_set(conf, "bootstrap.servers", kconf_brokers(o)) != 0 ||
	    kconf_set(conf, "client.id", progname) != 0 ||
	    kconf_set(conf, "log.connection.close", "false") != 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, log_cb);
	return conf;
}

int64_t
kconf_timeout_ms(void)
{
	const char *s = getenv("FS_KAFKA_TIMEOUT");
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return 10000;
	v = strtod(s, &end);
	if (*end != '\0' || !(v > 0) || v > 86400) {
		fs_warnx("invalid FS_KAFKA_TIMEOUT '%s': not seconds; using 10", s);
		return 10000;
	}
	return (int64_t)(v * 1000);
}

int
kconf_reachable(rd_kafka_t *rk, const struct kafka_opts *o)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err;
	int64_t left = kconf_timeout_ms(), step;

	for (;;) {
		step = left < 1000 ? left : 1000;
		err = rd_kafka_metadata(rk, 0, NULL, &md, (int)step);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_metadata_destroy(md);
			return 0;
		}
		left -= step;
		if (left <= 0 || sig_stop) {
			fs_warnx("cannot reach kafka brokers '%s': %s", kconf_brokers(o),
			    rd_kafka_err2str(err));
			return -1;
		}
	}
}

void
kconf_tune_malloc(void)
{
#if defined(__GLIBC__)
	static int done;
	const char *t = getenv("GLIBC_TUNABLES");

	if (done++ || (t != NULL && strstr(t, "glibc.malloc.") != NULL))
		return;
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
#endif
}
