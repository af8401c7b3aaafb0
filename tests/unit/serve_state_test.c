/*
 * serve_state_test: fs-serve's picture without HTTP: records in, the
 * clock in event time and in wall time, expiry, trails, eviction,
 * frames since a number (deltas, removals, snapshots), windows,
 * anomalies, rejects, and readsb's units in aircraft.json.
 */
#include "t.h"

#include "../../cmd/fs-serve/state.c"

static struct event ev;

/* add parses line and adds it at wall clock wall; returns state_add's result. */
static int
add(struct sstate *s, const char *line, int64_t wall, const char **code)
{
	char msg[256];
	const char *c = NULL;
	int rc;

	if (event_parse(&ev, line, strlen(line), &c, msg, sizeof msg) != 0)
		return -2;
	rc = state_add(s, &ev, wall, &c, msg, sizeof msg);
	if (code != NULL)
		*code = rc == 0 ? "" : c;
	return rc;
}

static char *
pos(const char *icao, int64_t t, double lat, double lon)
{
	static char line[512];
	char ts[TS_BUFSZ];

	ts_format(t, ts);
	snprintf(line, sizeof line, "{\"timestamp\":\"%s\",\"icao24\":\"%s\",\"callsign\":\"TST1\","
	    "\"latitude\":%.5f,\"longitude\":%.5f,\"baro_altitude\":1000,\"velocity\":100,"
	    "\"vertical_rate\":5.08,\"heading\":90,\"on_ground\":false,\"category\":4}",
	    ts, icao, lat, lon);
	return line;
}

static const char *
frame(struct sstate *s, uint64_t since, int *snap)
{
	static struct buf b;

	buf_reset(&b);
	state_frame(s, since, &b, snap);
	return buf_cstr(&b);
}

static struct serve_opts
opts(void)
{
	struct serve_opts o = { 60000, 600000, 1000, 100, 116 };

	return o;
}

#define T0 1767225600000LL	/* 2026-01-01T00:00:00Z */

static void
test_clock_and_expiry(void)
{
	struct serve_opts o = opts();
	struct sstate *s = state_new(&o);
	struct scounts c;

	/* A replay long ago: its own clock, not the wall's. */
	t_int(0, add(s, pos("aaaaaa", T0, 50, 1), 5 * T0, NULL), "a record from long ago is kept");
	t_int(0, add(s, pos("bbbbbb", T0 + 30000, 50, 1), 5 * T0, NULL), "another, 30 s later");
	state_tick(s, 5 * T0);
	state_counts(s, &c);
	t_int(2, (int64_t)c.aircraft, "event time: both held at the newest record's time");
	t_int(T0 + 30000, c.now, "the clock is the newest event time");
	add(s, pos("bbbbbb", T0 + 61000, 50, 1), 5 * T0, NULL);
	state_tick(s, 5 * T0);
	state_counts(s, &c);
	t_int(1, (int64_t)c.aircraft, "event time: aaaaaa left 61 s after its record");
	t_int(1, (int64_t)c.expired, "and was counted as expired");
	/* Then the input is quiet: the wall clock moves the picture on. */
	state_tick(s, 5 * T0 + 59000);
	state_counts(s, &c);
	t_int(1, (int64_t)c.aircraft, "wall time: 59 s of quiet keep bbbbbb");
	state_tick(s, 5 * T0 + 61000);
	state_counts(s, &c);
	t_int(0, (int64_t)c.aircraft, "wall time: 61 s of quiet expire it");
	t_int(0, add(s, pos("cccccc", T0, 50, 1), 5 * T0 + 61000, NULL),
	    "a record older than --expire is not an error");
	state_counts(s, &c);
	t_int(0, (int64_t)c.aircraft, "but is not kept");
	t_int(1, (int64_t)c.too_old, "and is counted");
	state_free(s);

	o.expire_ms = 0;
	s = state_new(&o);
	add(s, pos("aaaaaa", T0, 50, 1), T0, NULL);
	state_tick(s, T0 + 86400000);
	state_counts(s, &c);
	t_int(1, (int64_t)c.aircraft, "--expire 0: never expires");
	state_free(s);
}

static void
test_trail(void)
{
	struct serve_opts o = opts();
	struct sstate *s;
	struct buf b = BUF_INIT;
	const char *p;
	int i, n;

	o.trail_ms = 128000;	/* a point every second at most */
	o.expire_ms = 0;
	s = state_new(&o);
	for (i = 0; i < 1000; i++)
		add(s, pos("aaaaaa", T0 + i * 500, 50 + i * 0.001, 1), T0 + i * 500, NULL);
	t_int(0, state_one(s, "aaaaaa", &b), "one aircraft: found");
	for (n = 0, p = strstr(buf_cstr(&b), "\"trail\":[") + 8; p != NULL && (p = strchr(p + 1, '[')) != NULL; n++)
		;
	t_int(TRAIL_MAX, n, "the trail holds at most TRAIL_MAX points");
	t_contains(buf_cstr(&b), "\"record\":{\"timestamp\"", "the latest record comes verbatim");
	buf_reset(&b);
	state_geojson(s, "aaaaaa", &b);
	t_contains(buf_cstr(&b), "\"type\":\"LineString\"", "trail as GeoJSON");
	t_contains(buf_cstr(&b), "[1,50.872", "GeoJSON coordinates are longitude first");
	/* The wall clock ages the trail out. */
	state_tick(s, T0 + 999 * 500 + 128000 + 1000);
	buf_reset(&b);
	state_one(s, "aaaaaa", &b);
	t_contains(buf_cstr(&b), "\"trail\":[]", "points older than --trail leave, in wall time");
	t_int(-1, state_one(s, "bbbbbb", &b), "an unknown aircraft: -1");
	buf_free(&b);
	state_free(s);
}

static void
test_frames(void)
{
	struct serve_opts o = opts();
	struct sstate *s = state_new(&o);
	const char *f;
	uint64_t s1, s2, s3;
	int snap;

	add(s, pos("aaaaaa", T0, 50, 1), T0, NULL);
	add(s, pos("bbbbbb", T0, 50, 1), T0, NULL);
	s1 = state_tick(s, T0);
	t_int(1, (int64_t)s1, "the first tick publishes frame 1");
	t_int(0, (int64_t)state_tick(s, T0 + 10), "nothing changed: no frame");
	add(s, pos("bbbbbb", T0 + 1000, 51, 1), T0 + 1000, NULL);
	s2 = state_tick(s, T0 + 1000);
	f = frame(s, s1, &snap);
	t_int(0, snap, "since frame 1: a delta");
	t_contains(f, "\"aircraft\":[{\"icao24\":\"bbbbbb\"", "the delta has what changed");
	t_ok(strstr(f, "aaaaaa") == NULL, "and not what did not");
	f = frame(s, 0, &snap);
	t_int(1, snap, "since 0: a snapshot");
	t_ok(strstr(f, "aaaaaa") != NULL && strstr(f, "bbbbbb") != NULL, "with everything");
	add(s, pos("bbbbbb", T0 + 70000, 51, 1), T0 + 70000, NULL);
	s3 = state_tick(s, T0 + 70000);
	f = frame(s, s2, &snap);
	t_contains(f, "\"removed\":[\"aaaaaa\"]", "an expired aircraft is a removal in the delta");
	f = frame(s, s1 - 1 + 1, &snap);
	t_contains(f, "\"removed\":[\"aaaaaa\"]", "and in a delta from further back");
	t_ok(s3 > s2 && s2 > s1, "frames are numbered in order");
	state_free(s);

	/* Tombstones are bounded: a delta from before the oldest kept is a snapshot. */
	o.max_aircraft = 2;
	o.expire_ms = 1000;
	s = state_new(&o);
	add(s, pos("aaaaaa", T0, 50, 1), T0, NULL);
	s1 = state_tick(s, T0);
	add(s, pos("bbbbbb", T0 + 2000, 50, 1), T0 + 2000, NULL);
	state_tick(s, T0 + 2000);
	add(s, pos("cccccc", T0 + 4000, 50, 1), T0 + 4000, NULL);
	state_tick(s, T0 + 4000);
	add(s, pos("dddddd", T0 + 6000, 50, 1), T0 + 6000, NULL);
	state_tick(s, T0 + 6000);
	frame(s, s1, &snap);
	t_int(1, snap, "a delta whose removals are forgotten becomes a snapshot");
	state_free(s);
}

static void
test_evict_windows_anomalies(void)
{
	struct serve_opts o = opts();
	struct sstate *s;
	struct scounts c;
	struct buf b = BUF_INIT;
	char line[512], ts[TS_BUFSZ];
	int i;

	o.max_aircraft = 3;
	o.max_keys = 2;
	s = state_new(&o);
	add(s, pos("aaaaaa", T0, 50, 1), T0, NULL);
	add(s, pos("bbbbbb", T0, 50, 1), T0, NULL);
	add(s, pos("cccccc", T0, 50, 1), T0, NULL);
	add(s, pos("aaaaaa", T0 + 1, 50, 1), T0, NULL);
	add(s, pos("dddddd", T0, 50, 1), T0, NULL);
	state_counts(s, &c);
	t_int(3, (int64_t)c.aircraft, "--max-aircraft holds");
	t_int(1, (int64_t)c.evicted, "one evicted");
	t_int(-1, state_one(s, "bbbbbb", &b), "the one heard from least recently");

	for (i = 0; i < 12; i++) {
		ts_format(T0 + i * 60000, ts);
		snprintf(line, sizeof line, "{\"window_start\":\"%s\",\"window_end\":\"%s\","
		    "\"key\":\"%s\",\"event_count\":%d}", ts, ts, i == 0 ? "k1" : i == 1 ? "k2" : "*", i);
		t_int(0, add(s, line, T0, NULL), "window %d taken", i);
	}
	buf_reset(&b);
	state_windows(s, "*", &b);
	t_contains(buf_cstr(&b), "{\"windows\":[{\"window_start\":\"2026-01-01T00:11:00.000Z\"", "the newest window of a key first");
	t_ok(strstr(buf_cstr(&b), "\"event_count\":3}") == NULL && strstr(buf_cstr(&b), "\"event_count\":4}") != NULL,
	    "WINDOWS_PER_KEY per key");
	buf_reset(&b);
	state_windows(s, "k1", &b);
	t_str("{\"windows\":[]}", buf_cstr(&b), "at --max-keys, the key with the oldest window left");
	state_counts(s, &c);
	t_int(2, (int64_t)c.keys, "window keys are bounded");

	for (i = 0; i < ANOMALIES_MAX + 5; i++) {
		ts_format(T0 + i, ts);
		snprintf(line, sizeof line, "{\"timestamp\":\"%s\",\"icao24\":\"eeeeee\","
		    "\"is_anomaly\":true,\"anomaly_score\":0.8,\"anomaly_reasons\":[\"speed\"]}", ts);
		add(s, line, T0, NULL);
	}
	buf_reset(&b);
	state_anomalies(s, 2, &b);
	t_contains(buf_cstr(&b), "\"anomaly_reasons\":[\"speed\"]", "an anomaly keeps its reasons");
	t_contains(buf_cstr(&b), "\"total\":1005", "every anomaly is counted");
	buf_free(&b);
	state_free(s);
}

static void
test_rejects_and_readsb(void)
{
	static const struct {
		const char *line, *code;
	} bad[] = {
		{ "{\"timestamp\":\"2026-01-01T00:00:00Z\"}", "missing.icao24" },
		{ "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"icao24\":5}", "type.icao24" },
		{ "{\"icao24\":\"abcdef\"}", "missing.timestamp" },
		{ "{\"icao24\":\"abcdef\",\"timestamp\":\"noon\"}", "format.timestamp" },
		{ "{\"icao24\":\"abcdef\",\"timestamp\":1767225600,\"latitude\":91,\"longitude\":0}",
		  "range.position" },
		{ "{\"window_start\":\"2026-01-01T00:00:00Z\",\"key\":1}", "type.key" },
		{ "{\"window_start\":\"2026-01-01T00:00:00Z\",\"key\":\"*\"}", "format.window_end" },
	};
	struct serve_opts o = opts();
	struct sstate *s = state_new(&o);
	struct buf b = BUF_INIT;
	const char *code;
	size_t i;

	for (i = 0; i < N(bad); i++) {
		t_int(-1, add(s, bad[i].line, T0, &code), "rejected: %s", bad[i].line);
		t_str(bad[i].code, code, "with code %s", bad[i].code);
	}
	add(s, "{\"timestamp\":1767225600,\"icao24\":\"abcdef\",\"callsign\":\"EZY1\","
	    "\"latitude\":51.5,\"longitude\":-0.1,\"baro_altitude\":518.16,\"geo_altitude\":571.5,"
	    "\"velocity\":82.88,\"heading\":267.9,\"vertical_rate\":7.48,\"squawk\":\"2274\","
	    "\"on_ground\":false,\"category\":4,\"position_source\":0}", T0, NULL);
	state_tick(s, T0 + 2500);
	state_readsb(s, &b);
	t_contains(buf_cstr(&b), "\"now\":1767225602.5", "now: seconds of the picture's clock");
	t_contains(buf_cstr(&b), "\"hex\":\"abcdef\",\"type\":\"adsb_icao\",\"flight\":\"EZY1    \"",
	    "hex, type, flight padded to 8");
	t_contains(buf_cstr(&b), "\"alt_baro\":1700,\"alt_geom\":1875,\"gs\":161.1,\"track\":267.9,"
	    "\"baro_rate\":1472", "feet, knots, degrees, feet per minute");
	t_contains(buf_cstr(&b), "\"squawk\":\"2274\",\"category\":\"A3\",\"lat\":51.5,\"lon\":-0.1,"
	    "\"seen_pos\":2.5", "squawk, category, position and its age");
	t_contains(buf_cstr(&b), "\"messages\":1,\"seen\":2.5}", "messages and seen");
	add(s, "{\"timestamp\":1767225601,\"icao24\":\"abcdef\",\"on_ground\":true}", T0, NULL);
	buf_reset(&b);
	state_readsb(s, &b);
	t_contains(buf_cstr(&b), "\"alt_baro\":\"ground\"", "on the ground: alt_baro is \"ground\"");
	t_contains(buf_cstr(&b), "\"lat\":51.5", "a record without a position keeps the last one");
	buf_free(&b);
	state_free(s);
}

int
main(void)
{
	event_init(&ev);
	test_clock_and_expiry();
	test_trail();
	test_frames();
	test_evict_windows_anomalies();
	test_rejects_and_readsb();
	event_free(&ev);
	return t_done();
}
