/*
 * schema: the tables fs-sink-pg loads, and every statement it sends.
 *
 * The columns below are the one description of the tables: the DDL of
 * --init, the staging tables, the column lists of COPY and INSERT and
 * the encoding of rows (row.c) all come from them, so they cannot
 * disagree. The SQL is made from these constants once, at start; no
 * SQL is ever made from the data, which travels as COPY rows and
 * statement parameters only.
 *
 * --init applies the migrations that the database's fs_schema_version
 * table does not list yet, in order, in one transaction, under an
 * advisory lock (two sinks started at once with --init do not race).
 * A new column goes in a new migration (ALTER TABLE ... ADD COLUMN) and
 * at the end of its table's list below, with its version in "since".
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "sinkpg.h"

static const struct column position_cols[] = {
	{ "icao24", CK_TEXT, "icao24 ~ '^[0-9a-f]{6}$'" },
	{ "timestamp", CK_TS, NULL },
	{ "callsign", CK_TEXT, NULL },
	{ "origin_country", CK_TEXT, NULL },
	{ "latitude", CK_F8, "latitude BETWEEN -90 AND 90" },
	{ "longitude", CK_F8, "longitude BETWEEN -180 AND 180" },
	{ "baro_altitude", CK_F8, NULL },
	{ "geo_altitude", CK_F8, NULL },
	{ "velocity", CK_F8, "velocity >= 0" },
	{ "heading", CK_F8, "heading >= 0 AND heading < 360" },
	{ "vertical_rate", CK_F8, NULL },
	{ "on_ground", CK_BOOL, NULL },
	{ "squawk", CK_TEXT, NULL },
	{ "spi", CK_BOOL, NULL },
	{ "position_source", CK_I2, NULL },
	{ "category", CK_I2, NULL },
	{ "sensors", CK_INTS, NULL },
	{ "source", CK_TEXT, NULL },
	{ "truth", CK_TEXTS, NULL },
	/* Clean (fs-clean) */
	{ "velocity_kt", CK_F8, NULL },
	{ "altitude_ft", CK_F8, NULL },
	{ "geo_altitude_ft", CK_F8, NULL },
	{ "vertical_rate_fpm", CK_F8, NULL },
	{ "hour", CK_I2, "hour BETWEEN 0 AND 23" },
	{ "day_of_week", CK_I2, "day_of_week BETWEEN 0 AND 6" },
	{ "hour_sin", CK_F8, NULL },
	{ "hour_cos", CK_F8, NULL },
	{ "day_of_week_sin", CK_F8, NULL },
	{ "day_of_week_cos", CK_F8, NULL },
	{ "grid_x", CK_I4, NULL },
	{ "grid_y", CK_I4, NULL },
	{ "dt_s", CK_F8, NULL },
	{ "dist_m", CK_F8, NULL },
	{ "implied_speed", CK_F8, NULL },
	{ "turn_rate", CK_F8, NULL },
	{ "accel", CK_F8, NULL },
	{ "alt_change_m", CK_F8, NULL },
	{ "vertical_rate_error", CK_F8, NULL },
	{ "flight_phase", CK_TEXT, NULL },
	{ "quality_flags", CK_TEXTS, NULL },
	{ "processing_timestamp", CK_TS, NULL },
	/* Scored (fs-score) */
	{ "anomaly_score", CK_F8, "anomaly_score BETWEEN 0 AND 1" },
	{ "is_anomaly", CK_BOOL, NULL },
	/* fs-score writes these as deviations from the typical value (robust z-scores). */
	{ "velocity_anomaly", CK_F8, NULL },
	{ "altitude_anomaly", CK_F8, NULL },
	{ "anomaly_reasons", CK_TEXTS, NULL },
	{ "extra", CK_EXTRA, NULL },
};

static const struct column window_cols[] = {
	{ "window_start", CK_TS, NULL },
	{ "window_end", CK_TS, NULL },
	{ "key", CK_TEXT, NULL },
	{ "event_count", CK_I8, "event_count >= 0" },
	{ "anomaly_count", CK_I8, "anomaly_count >= 0" },
	{ "avg_velocity", CK_F8, NULL },
	{ "min_velocity", CK_F8, NULL },
	{ "max_velocity", CK_F8, NULL },
	{ "avg_altitude", CK_F8, NULL },
	{ "min_altitude", CK_F8, NULL },
	{ "max_altitude", CK_F8, NULL },
	{ "unique_aircraft", CK_I8, "unique_aircraft >= 0" },
	{ "avg_anomaly_score", CK_F8, "avg_anomaly_score BETWEEN 0 AND 1" },
	{ "late_count", CK_I8, "late_count >= 0" },
	{ "extra", CK_EXTRA, NULL },
};

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct table tables[TAB_COUNT] = {
	[TAB_POSITIONS] = { "positions", "fs_stage_positions", position_cols, NCOLS(position_cols), 2,
	    NULL, NULL, NULL },
	[TAB_WINDOWS] = { "windows", "fs_stage_windows", window_cols, NCOLS(window_cols), 3,
	    NULL, NULL, NULL },
};

/*
 * The aircraft dimension. Each batch makes one row per icao24 from its
 * positions (load.c): the latest call sign, country and category that
 * were not null, when that call sign was reported, and the first and
 * last time the aircraft was seen. Merged with the row stored, so that
 * loading the same positions again, or in other batches, gives the same
 * row: first_seen and last_seen are a minimum and a maximum, the call
 * sign is the one reported last. A row that would not change is not
 * written.
 */
int schema_ac_col[AC_COUNT];

const char *const schema_aircraft_stage =
    "CREATE TEMP TABLE fs_stage_aircraft (icao24 text, callsign text,"
    " callsign_seen timestamptz, origin_country text, category smallint,"
    " first_seen timestamptz, last_seen timestamptz) ON COMMIT DELETE ROWS";

const char *const schema_aircraft_copy =
    "COPY fs_stage_aircraft (icao24, callsign, callsign_seen, origin_country, category,"
    " first_seen, last_seen) FROM STDIN (FORMAT binary)";

static const struct {
	const char *col, *value;
} aircraft_update[] = {
	{ "callsign", "CASE WHEN a.callsign_seen IS NULL OR EXCLUDED.callsign_seen >="
	    " a.callsign_seen THEN coalesce(EXCLUDED.callsign, a.callsign) ELSE a.callsign END" },
	{ "callsign_seen", "greatest(a.callsign_seen, EXCLUDED.callsign_seen)" },
	{ "origin_country", "CASE WHEN EXCLUDED.last_seen >= a.last_seen"
	    " THEN coalesce(EXCLUDED.origin_country, a.origin_country)"
	    " ELSE coalesce(a.origin_country, EXCLUDED.origin_country) END" },
	{ "category", "CASE WHEN EXCLUDED.last_seen >= a.last_seen"
	    " THEN coalesce(EXCLUDED.category, a.category)"
	    " ELSE coalesce(a.category, EXCLUDED.category) END" },
	{ "first_seen", "least(a.first_seen, EXCLUDED.first_seen)" },
	{ "last_seen", "greatest(a.last_seen, EXCLUDED.last_seen)" },
};

char *schema_aircraft_sql;

static void
aircraft_prepare(struct buf *b)
{
	static const char *const names[AC_COUNT] = { "icao24", "callsign", "origin_country",
	    "category" };
	const struct table *t = &tables[TAB_POSITIONS];
	size_t i, n = sizeof aircraft_update / sizeof aircraft_update[0];
	int k, c;

	for (k = 0; k < AC_COUNT; k++) {
		schema_ac_col[k] = -1;
		for (c = 0; c < t->ncols; c++)
			if (strcmp(t->cols[c].name, names[k]) == 0)
				schema_ac_col[k] = c;
	}
	buf_reset(b);
	buf_adds(b, "INSERT INTO aircraft AS a SELECT * FROM fs_stage_aircraft"
	    " ON CONFLICT (icao24) DO UPDATE SET ");
	for (i = 0; i < n; i++)
		buf_addf(b, "%s%s = %s", i ? ", " : "", aircraft_update[i].col,
		    aircraft_update[i].value);
	buf_adds(b, " WHERE (");
	for (i = 0; i < n; i++)
		buf_addf(b, "%sa.%s", i ? ", " : "", aircraft_update[i].col);
	buf_adds(b, ") IS DISTINCT FROM (");
	for (i = 0; i < n; i++)
		buf_addf(b, "%s%s", i ? ", " : "", aircraft_update[i].value);
	buf_adds(b, ")");
	schema_aircraft_sql = xstrdup(buf_cstr(b));
}

/*
 * The partitions of the days of a batch, made if they are missing; $1
 * is a date[]. $2 is the days of all the rows (a date[] as text), or ''
 * when they are too many to insert into their partitions one by one,
 * and $3 the number of rows: for schema_upsert_sql.
 */
const char *const schema_partition_sql =
    "SELECT fs_positions_partition(d), set_config('fs_sink.days', $2, false),"
    " set_config('fs_sink.rows', $3, false) FROM unnest($1::date[]) AS d";

/* The positions of the staging table into their table: fs_positions_upsert below. */
const char *const schema_upsert_sql =
    "SELECT fs_positions_upsert(nullif(current_setting('fs_sink.days'), '')::date[],"
    " current_setting('fs_sink.rows')::bigint)";

/*
 * fs_positions_upsert(days, n) writes the n rows of the session's
 * staging table into positions, and returns the number of rows written.
 *
 * The rows of each day go straight into that day's partition, one
 * statement per partition (a fifth faster than through the parent,
 * which routes each row); with more than four days, or for a role that
 * has privileges on the parent only (partitions do not inherit grants),
 * they go through the parent.
 *
 * Most batches are new rows only. INSERT ... ON CONFLICT looks each
 * row's key up in the primary key before it inserts the row and its
 * index entries (which looks the key up again, for uniqueness), and
 * then confirms the row with a WAL record of its own; a plain INSERT
 * does the one look-up of the insertion only, and costs about a third
 * less. So the rows are first inserted plainly, in a subtransaction:
 * when a key is already there (a replay, an update, or another session
 * inserting the same key at the same time), that INSERT fails with a
 * unique violation after the first such row, it is undone, and INSERT
 * ... ON CONFLICT DO UPDATE ... WHERE (the row) IS DISTINCT FROM (the
 * new values) does the batch instead. Either way the rows end as
 * INSERT ... ON CONFLICT alone leaves them, and a row that would not
 * change is not written.
 */
static void
upsert_fn(struct buf *b)
{
	const struct table *t = &tables[TAB_POSITIONS];
	const char *sql = t->insert_sql;
	const char *into = "INSERT INTO positions AS t";
	const char *from = " FROM fs_stage_positions ON CONFLICT ";
	const char *oc;
	int i;

	if (strncmp(sql, into, strlen(into)) != 0 || (oc = strstr(sql, from)) == NULL ||
	    strchr(sql, '\'') != NULL || strchr(sql, '%') != NULL)
		fs_errx(EXIT_FAIL, "schema: the INSERT of positions is not as expected");
	buf_adds(b, "CREATE FUNCTION fs_positions_upsert(days date[], n bigint) RETURNS bigint"
	    " LANGUAGE plpgsql\n"
	    /* Invoked by the sink, on its own staging table; the schema's tables by name. */
	    "SET search_path FROM CURRENT\n"
	    /* A batch of many rows would cost enough to be compiled, for more than it saves. */
	    "SET jit TO off\n"
	    "AS $fn$\n"
	    "DECLARE\n"
	    "  sch text := current_schema();\n"
	    "  part text;\n"
	    "  parts text[] := '{}';\n"
	    "  d date;\n"
	    "  i int;\n"
	    "  k bigint;\n"
	    "  done bigint := 0;\n"
	    "BEGIN\n"
	    "  IF cardinality(days) <= 4 THEN\n"
	    "    FOREACH d IN ARRAY days LOOP\n"
	    "      part := format('%I.%I', sch, 'positions_' || to_char(d, 'YYYYMMDD'));\n"
	    "      IF to_regclass(part) IS NULL OR NOT (has_table_privilege(part, 'INSERT')\n"
	    "          AND has_table_privilege(part, 'UPDATE') AND has_table_privilege(part, 'SELECT')) THEN\n"
	    "        parts := '{}';\n"
	    "        EXIT;\n"
	    "      END IF;\n"
	    "      parts := parts || part;\n"
	    "    END LOOP;\n"
	    "  END IF;\n"
	    "  IF cardinality(parts) = 0 THEN\n"
	    "    parts := ARRAY[format('%I.positions', sch)];\n"
	    "    days := ARRAY[NULL::date];\n"
	    "  END IF;\n"
	    "  BEGIN\n"
	    "    FOR i IN 1 .. cardinality(parts) LOOP\n"
	    "      EXECUTE format('INSERT INTO %s (");
	for (i = 0; i < t->ncols; i++)
		buf_addf(b, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
	buf_adds(b, ") SELECT ");
	for (i = 0; i < t->ncols; i++)
		buf_addf(b, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
	buf_adds(b, " FROM fs_stage_positions WHERE $1 IS NULL OR (\"timestamp\" >="
	    " $1::timestamp AT TIME ZONE ''UTC'' AND \"timestamp\" < ($1 + 1)::timestamp"
	    " AT TIME ZONE ''UTC'')', parts[i]) USING days[i];\n"
	    "      GET DIAGNOSTICS k = ROW_COUNT;\n"
	    "      done := done + k;\n"
	    "    END LOOP;\n"
	    "    IF done = n THEN\n"
	    "      RETURN done;\n"
	    "    END IF;\n"
	    "  EXCEPTION WHEN unique_violation THEN\n"
	    "    done := 0;\n"
	    "  END;\n"
	    "  FOR i IN 1 .. cardinality(parts) LOOP\n"
	    "    EXECUTE format('INSERT INTO %s AS t");
	buf_add(b, sql + strlen(into), (size_t)(oc - (sql + strlen(into))));
	buf_adds(b, " FROM fs_stage_positions WHERE $1 IS NULL OR (\"timestamp\" >="
	    " $1::timestamp AT TIME ZONE ''UTC'' AND \"timestamp\" < ($1 + 1)::timestamp"
	    " AT TIME ZONE ''UTC'') ON CONFLICT ");
	buf_adds(b, oc + strlen(from));
	buf_adds(b, "', parts[i]) USING days[i];\n"
	    "    GET DIAGNOSTICS k = ROW_COUNT;\n"
	    "    done := done + k;\n"
	    "  END LOOP;\n"
	    "  RETURN done;\n"
	    "END\n"
	    "$fn$;\n"
	    "COMMENT ON FUNCTION fs_positions_upsert(date[], bigint) IS\n"
	    "  'Writes the positions of the session''s staging table into their partitions, and"
	    " returns the rows written; fs-sink-pg calls it.';\n");
}

/*
 * Version 1 inserted the rows of a batch of one day with
 * fs_positions_insert(day), by INSERT ... ON CONFLICT alone; version 2
 * replaces it with fs_positions_upsert.
 */
static void
insert_fn(struct buf *b)
{
	const char *sql = tables[TAB_POSITIONS].insert_sql;
	const char *into = "INSERT INTO positions AS t";

	if (strncmp(sql, into, strlen(into)) != 0)
		fs_errx(EXIT_FAIL, "schema: the INSERT of positions is not as expected");
	buf_adds(b, "CREATE FUNCTION fs_positions_insert(day date) RETURNS bigint"
	    " LANGUAGE plpgsql\n"
	    /* Invoked by the sink, on its own staging table; the schema's tables by name. */
	    "SET search_path FROM CURRENT AS $fn$\n"
	    "DECLARE\n"
	    "  n bigint;\n"
	    "  part text := format('%I.%I', current_schema(), 'positions_' || to_char(day, 'YYYYMMDD'));\n"
	    "BEGIN\n"
	    /* A role granted the parent only (partitions do not inherit grants) goes through it. */
	    "  IF NOT (has_table_privilege(part, 'INSERT') AND has_table_privilege(part, 'UPDATE')\n"
	    "      AND has_table_privilege(part, 'SELECT')) THEN\n"
	    "    part := format('%I.positions', current_schema());\n"
	    "  END IF;\n"
	    "  EXECUTE format('INSERT INTO %s AS t");
	buf_adds(b, sql + strlen(into));
	buf_adds(b, "', part);\n"
	    "  GET DIAGNOSTICS n = ROW_COUNT;\n"
	    "  RETURN n;\n"
	    "END\n"
	    "$fn$;\n"
	    "COMMENT ON FUNCTION fs_positions_insert(date) IS\n"
	    "  'Inserts the positions of one day from the session''s staging table into their"
	    " partition; fs-sink-pg calls it.';\n");
}

/*
 * fs_positions_partition(day) makes the partition of positions for one
 * day (UTC) unless it exists. The name and bounds are made on the
 * server with format(%I, %L) from a date, under a lock, so that sinks
 * running at once make each partition once.
 */
static const char partition_fn[] =
    "CREATE FUNCTION fs_positions_partition(day date) RETURNS void LANGUAGE plpgsql\n"
    /*
     * It runs as its owner, the owner of positions, so that a sink's
     * role needs no more than INSERT, UPDATE and SELECT on the tables
     * (only the owner may add a partition); with the search path of
     * --init's session, so that it finds its own positions and nothing
     * the caller put on its path.
     */
    "SECURITY DEFINER SET search_path FROM CURRENT AS $fn$\n"
    "DECLARE\n"
    /* The schema of --init, fixed by SET search_path; never the caller's temporary tables. */
    "  sch text := current_schema();\n"
    "  part text := 'positions_' || to_char(day, 'YYYYMMDD');\n"
    "BEGIN\n"
    "  IF to_regclass(format('%I.%I', sch, part)) IS NOT NULL THEN\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  PERFORM pg_advisory_xact_lock(hashtext('fs_positions_partition'));\n"
    "  IF to_regclass(format('%I.%I', sch, part)) IS NULL THEN\n"
    /*
     * An advisory lock does not make the session read the catalog
     * again: one that waited for it can still miss the partition the
     * other just made (seen with hours of fs-backfill loading at once).
     */
    "    BEGIN\n"
    "      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.positions"
    " FOR VALUES FROM (%L) TO (%L)',\n"
    "        sch, part, sch, day::timestamp AT TIME ZONE 'UTC',\n"
    "        (day + 1)::timestamp AT TIME ZONE 'UTC');\n"
    "    EXCEPTION WHEN duplicate_table THEN\n"
    "      NULL;\n"
    "    END;\n"
    "  END IF;\n"
    "END\n"
    "$fn$;\n"
    "COMMENT ON FUNCTION fs_positions_partition(date) IS\n"
    "  'Makes the partition of positions for one day (UTC) unless it exists; fs-sink-pg calls it.';\n";

static void lookup_prepare(void);

static const char *
sqltype(enum colkind k)
{
	switch (k) {
	case CK_TEXT: return "text";
	case CK_TS: return "timestamptz";
	case CK_F8: return "double precision";
	case CK_I2: return "smallint";
	case CK_I4: return "integer";
	case CK_I8: return "bigint";
	case CK_BOOL: return "boolean";
	case CK_TEXTS: return "text[]";
	case CK_INTS: return "integer[]";
	case CK_EXTRA: return "jsonb";
	}
	return "text";
}

/* columns appends the quoted column names of t, each after prefix, comma separated. */
static void
columns(struct buf *b, const struct table *t, const char *prefix, int from)
{
	int i;

	for (i = from; i < t->ncols; i++)
		buf_addf(b, "%s%s\"%s\"", i > from ? ", " : "", prefix, t->cols[i].name);
}

/* create_table appends CREATE TABLE for t; with constraints, its checks and key. */
static void
create_table(struct buf *b, const struct table *t, const char *name, int constraints)
{
	const struct column *c;
	int i;

	buf_addf(b, "CREATE %sTABLE %s (", constraints ? "" : "TEMP ", name);
	for (i = 0; i < t->ncols; i++) {
		c = &t->cols[i];
		buf_addf(b, "%s\n  \"%s\" %s", i > 0 ? "," : "", c->name, sqltype(c->kind));
		if (constraints && i < t->nkey)
			buf_adds(b, " NOT NULL");
		if (constraints && c->check != NULL)
			buf_addf(b, " CHECK (%s)", c->check);
	}
	if (constraints) {
		buf_adds(b, ",\n  PRIMARY KEY (");
		for (i = 0; i < t->nkey; i++)
			buf_addf(b, "%s\"%s\"", i > 0 ? ", " : "", t->cols[i].name);
		buf_adds(b, ")");
	}
	buf_adds(b, "\n)");
}

void
schema_prepare(void)
{
	struct buf b = BUF_INIT;
	struct table *t;
	int i, k;

	for (k = 0; k < TAB_COUNT; k++) {
		t = &tables[k];
		buf_reset(&b);
		create_table(&b, t, t->stage, 0);
		buf_adds(&b, " ON COMMIT DELETE ROWS");
		t->stage_ddl = xstrdup(buf_cstr(&b));

		buf_reset(&b);
		buf_addf(&b, "COPY %s (", t->stage);
		columns(&b, t, "", 0);
		buf_adds(&b, ") FROM STDIN (FORMAT binary)");
		t->copy_sql = xstrdup(buf_cstr(&b));

		/*
		 * A key loaded again takes the new values, and a row that
		 * is the same as the one stored is not written at all: a
		 * replay changes nothing, not even a row's version.
		 */
		buf_reset(&b);
		buf_addf(&b, "INSERT INTO %s AS t (", t->name);
		columns(&b, t, "", 0);
		buf_adds(&b, ") SELECT ");
		columns(&b, t, "", 0);
		/* The rows come in key order (batch_sort), so the index is written in order. */
		buf_addf(&b, " FROM %s ON CONFLICT (", t->stage);
		for (i = 0; i < t->nkey; i++)
			buf_addf(&b, "%s\"%s\"", i > 0 ? ", " : "", t->cols[i].name);
		buf_adds(&b, ") DO UPDATE SET ");
		for (i = t->nkey; i < t->ncols; i++)
			buf_addf(&b, "%s\"%s\" = EXCLUDED.\"%s\"", i > t->nkey ? ", " : "",
			    t->cols[i].name, t->cols[i].name);
		buf_adds(&b, " WHERE (");
		columns(&b, t, "t.", t->nkey);
		buf_adds(&b, ") IS DISTINCT FROM (");
		columns(&b, t, "EXCLUDED.", t->nkey);
		buf_adds(&b, ")");
		t->insert_sql = xstrdup(buf_cstr(&b));
	}
	aircraft_prepare(&b);
	buf_free(&b);
	lookup_prepare();
}

/* --- Field names to columns -------------------------------------------- */

#define LOOKUP_MAX 256		/* above the number of names */

static struct {
	const char *name;
	size_t len;
	struct colref ref;
} lookup[LOOKUP_MAX];
static uint32_t nlookup;
static struct hmap lookup_map;	/* name to entry */

/* lookup_find returns the entry of name[0..len), whose hmap_hash is h, or HMAP_NONE. */
static uint32_t
lookup_find(const char *name, size_t len, uint32_t h)
{
	size_t pos = 0;
	uint32_t i;

	while ((i = hmap_find(&lookup_map, h, &pos)) != HMAP_NONE &&
	    (lookup[i].len != len || memcmp(lookup[i].name, name, len) != 0))
		;
	return i;
}

static void
lookup_add(const char *name, int t, int col)
{
	size_t n = strlen(name);
	uint32_t h = hmap_hash(name, n), i = lookup_find(name, n, h);
	int k;

	if (i == HMAP_NONE) {
		assert(nlookup < LOOKUP_MAX);
		i = nlookup++;
		lookup[i].name = name;
		lookup[i].len = n;
		for (k = 0; k < TAB_COUNT; k++)
			lookup[i].ref.col[k] = -1;
		hmap_put(&lookup_map, h, i);
	}
	lookup[i].ref.col[t] = (short)col;
}

static void
lookup_prepare(void)
{
	int t, i;

	for (t = 0; t < TAB_COUNT; t++)
		for (i = 0; i < tables[t].ncols; i++)
			/* "extra" is made by the sink: a field of that name is one of the extras. */
			if (tables[t].cols[i].kind != CK_EXTRA)
				lookup_add(tables[t].cols[i].name, t, i);
}

const struct colref *
schema_lookup(const char *name, size_t len)
{
	uint32_t i = lookup_find(name, len, hmap_hash(name, len));

	return i == HMAP_NONE ? NULL : &lookup[i].ref;
}

/* --- Migrations ------------------------------------------------------- */

static void
migration1(struct buf *b)
{
	create_table(b, &tables[TAB_POSITIONS], "positions", 1);
	buf_adds(b, " PARTITION BY RANGE (\"timestamp\");\n"
	    "COMMENT ON TABLE positions IS 'Position reports, clean and scored, one per aircraft and"
	    " time; partitioned by day (UTC). Loaded by fs-sink-pg.';\n"
	    "COMMENT ON COLUMN positions.extra IS 'The fields of the record that have no column.';\n"
	    /* A time range: tiny, and as good as a btree for rows that arrive in time order. */
	    "CREATE INDEX positions_timestamp_brin ON positions USING brin (\"timestamp\");\n"
	    /* The anomalies of a time range: only the anomalies are in it. */
	    "CREATE INDEX positions_anomaly_idx ON positions (\"timestamp\") WHERE is_anomaly;\n");
	buf_adds(b, partition_fn);
	insert_fn(b);
	create_table(b, &tables[TAB_WINDOWS], "windows", 1);
	buf_adds(b, ";\n"
	    "ALTER TABLE windows ADD CONSTRAINT windows_span_check CHECK (window_end > window_start);\n"
	    "COMMENT ON TABLE windows IS 'Aggregates per time window and key (an icao24, or * for all"
	    " aircraft). Loaded by fs-sink-pg.';\n"
	    "CREATE INDEX windows_key_idx ON windows (key, window_start);\n"
	    "CREATE TABLE aircraft (\n"
	    "  icao24 text PRIMARY KEY,\n"
	    "  callsign text,\n"
	    "  callsign_seen timestamptz,\n"
	    "  origin_country text,\n"
	    "  category smallint,\n"
	    "  first_seen timestamptz NOT NULL,\n"
	    "  last_seen timestamptz NOT NULL\n"
	    ");\n"
	    "COMMENT ON TABLE aircraft IS 'One row per aircraft, kept current by every batch of"
	    " positions. Loaded by fs-sink-pg.';\n"
	    "COMMENT ON COLUMN aircraft.callsign_seen IS 'When the call sign was last reported.';\n");
	/*
	 * No index on last_seen: every batch changes it, and without one
	 * the updates are HOT (no index entries written); the table has one
	 * row per aircraft, which a scan reads at once.
	 */
}

static void
migration2(struct buf *b)
{
	buf_adds(b, "DROP FUNCTION IF EXISTS fs_positions_insert(date);\n");
	upsert_fn(b);
}

static const struct {
	int version;
	const char *description;
	void (*sql)(struct buf *);
} migrations[] = {
	{ 1, "positions (partitioned by day), windows, aircraft", migration1 },
	{ 2, "fs_positions_upsert: a plain INSERT of new rows, INSERT ... ON CONFLICT when a key"
	    " is there", migration2 },
};

#define NMIGRATIONS NCOLS(migrations)

int
schema_version(void)
{
	return migrations[NMIGRATIONS - 1].version;
}

/* One lock for --init everywhere: two inits at once run one after the other. */
#define INIT_LOCK "SELECT pg_advisory_xact_lock(7364151209)"

static int
exec_ok(PGconn *conn, const char *sql, ExecStatusType want, const char *what)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == want;

	if (!ok) {
		char msg[1024];

		snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
		msg[strcspn(msg, "\n")] = '\0';
		conn_redact(msg, sizeof msg);
		fs_warnx("cannot %s: %s", what, msg);
	}
	PQclear(res);
	return ok ? 0 : -1;
}

int
schema_init(PGconn *conn)
{
	struct buf sql = BUF_INIT;
	PGresult *res;
	char ver[16];
	const char *params[2];
	int have, i, rc = -1;

	if (exec_ok(conn, "BEGIN", PGRES_COMMAND_OK, "begin --init") != 0)
		return -1;
	if (exec_ok(conn, INIT_LOCK, PGRES_TUPLES_OK, "lock the schema") != 0 ||
	    exec_ok(conn, "CREATE TABLE IF NOT EXISTS fs_schema_version ("
	    "version integer PRIMARY KEY, description text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())",
	    PGRES_COMMAND_OK, "create the table fs_schema_version") != 0)
		goto out;
	res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM fs_schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		fs_warnx("cannot read the schema version");
		goto out;
	}
	have = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (have > schema_version()) {
		fs_warnx("the tables of database '%s' are at version %d, newer than this"
		    " fs-sink-pg knows (%d): upgrade fs-sink-pg", PQdb(conn), have, schema_version());
		goto out;
	}
	for (i = 0; i < NMIGRATIONS; i++) {
		if (migrations[i].version <= have)
			continue;
		buf_reset(&sql);
		migrations[i].sql(&sql);
		if (exec_ok(conn, buf_cstr(&sql), PGRES_COMMAND_OK, "create the schema") != 0)
			goto out;
		snprintf(ver, sizeof ver, "%d", migrations[i].version);
		params[0] = ver;
		params[1] = migrations[i].description;
		res = PQexecParams(conn, "INSERT INTO fs_schema_version (version, description)"
		    " VALUES ($1, $2)", 2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			PQclear(res);
			fs_warnx("cannot record the schema version");
			goto out;
		}
		PQclear(res);
	}
	rc = exec_ok(conn, "COMMIT", PGRES_COMMAND_OK, "commit --init");
out:
	if (rc != 0)
		exec_ok(conn, "ROLLBACK", PGRES_COMMAND_OK, "roll back --init");
	buf_free(&sql);
	return rc;
}

enum pgerr
schema_check(struct sink *s)
{
	PGresult *res;
	const char *st;
	int have;

	res = PQexec(s->conn, "SELECT max(version) FROM fs_schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (st == NULL || strcmp(st, "42P01") != 0)
			return conn_result(s, res, PGRES_TUPLES_OK);
		PQclear(res);
		have = 0;
	} else {
		have = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	s->err[0] = '\0';
	if (have == 0) {
		fs_warnx("database '%s' has no flightstream tables: run fs-sink-pg --init",
		    PQdb(s->conn));
		return PGE_FATAL;
	}
	if (have < schema_version()) {
		fs_warnx("the tables of database '%s' are at version %d, older than this"
		    " fs-sink-pg's %d: run fs-sink-pg --init to upgrade them", PQdb(s->conn), have,
		    schema_version());
		return PGE_FATAL;
	}
	if (have > schema_version()) {
		fs_warnx("the tables of database '%s' are at version %d, newer than this"
		    " fs-sink-pg knows (%d): upgrade fs-sink-pg", PQdb(s->conn), have,
		    schema_version());
		return PGE_FATAL;
	}
	return PGE_OK;
}
