# flightstream: small Unix programs for real-time flight telemetry.
#
# make            build the programs into $(O)/bin
# make check      install what the tests need, build, run every test
# make demo       install what the build needs, build, run the demo pipeline
# make bench      build, then measure the programs beside their peers
# make SAN=1 ...  the same with AddressSanitizer and UBSan (objects in build-san)
# make install    PREFIX=/usr/local DESTDIR=

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/flightstream
PKG_CONFIG ?= pkg-config

ifeq ($(SAN),1)
O ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O ?= build
SANFLAGS =
endif

PKGS = yajl rdkafka libpq libmongoc-1.0 libbson-1.0 libcurl libmicrohttpd zlib

# Recursive (=) so pkg-config runs only when something is compiled: the
# check and demo targets install the libraries before they build.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS))

# The user's CFLAGS (default -O2 -g) come last so they win; what the
# build needs is in FS_CFLAGS, so "make CFLAGS=-Werror" keeps it.
CFLAGS ?= -O2 -g
FS_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Wall -Wextra \
	-Wno-unused-parameter -DFS_VERSION=\"$(VERSION)\" \
	-DFS_WWW_DIR=\"$(DATADIR)/www\" -Ilib $(SANFLAGS)
FS_LDFLAGS = $(SANFLAGS)
LDLIBS += -lm -lpthread

LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(O)/%.o)
# Each folder cmd/NAME is one program, $(O)/bin/NAME, from the .c files in it.
PROG_NAMES = $(notdir $(wildcard cmd/*))
PROGS = $(PROG_NAMES:%=$(O)/bin/%)
UNIT_SRC = $(wildcard tests/unit/*_test.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
# Helpers the tests run (fixtures, launchers): tests/tools/NAME.c -> $(O)/tests/NAME
TOOLS = $(O)/tests/floor $(patsubst tests/tools/%.c,$(O)/tests/%,$(wildcard tests/tools/*.c))
MANS = $(wildcard man/*.[1-9])
# The batch jobs for cron (scripts/fs-*), installed beside the programs.
BATCH_SCRIPTS = $(wildcard scripts/fs-*)

all: $(PROGS)

# -MMD: each object depends on what it includes, cmd/ sources that a
# unit test includes among them, so "touch cmd/fs-window/state.c"
# rebuilds window_cut_test too.
$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(FS_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(O) -name '*.d' 2>/dev/null)

$(O)/lib/libfs.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $(LIB_OBJ)

define prog_rule
$(O)/bin/$(1): $$(patsubst %.c,$(O)/%.o,$$(wildcard cmd/$(1)/*.c)) $(O)/lib/libfs.a
	@mkdir -p $$(@D)
	$$(CC) $$(FS_LDFLAGS) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(O)/lib/libfs.a $$(PKG_LIBS) $$(LDLIBS)
endef
$(foreach p,$(PROG_NAMES),$(eval $(call prog_rule,$(p))))

$(O)/tests/%_test: $(O)/tests/unit/%_test.o $(O)/lib/libfs.a
	@mkdir -p $(@D)
	$(CC) $(FS_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/lib/libfs.a $(PKG_LIBS) $(LDLIBS)

$(O)/tests/%: $(O)/tests/tools/%.o $(O)/lib/libfs.a
	@mkdir -p $(@D)
	$(CC) $(FS_LDFLAGS) $(LDFLAGS) -o $@ $< $(O)/lib/libfs.a $(PKG_LIBS) $(LDLIBS)

$(O)/tests/floor: $(O)/tests/bench/floor.o
	@mkdir -p $(@D)
	$(CC) $(FS_LDFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS) $(LDLIBS)

test-progs: $(PROGS) $(UNIT_BIN) $(TOOLS)

deps:
	scripts/install-deps

test-deps:
	scripts/install-deps --test

check: test-deps
	$(MAKE) test-progs
	O=$(O) tests/run

demo: deps
	$(MAKE) all
	O=$(O) scripts/demo

bench: test-deps
	$(MAKE) test-progs
	O=$(O) tests/bench/run

lint-man:
	mandoc -Tlint -W warning $(MANS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(PROGS) $(BATCH_SCRIPTS) $(DESTDIR)$(BINDIR)
	install -d $(DESTDIR)$(DATADIR) $(DESTDIR)$(DATADIR)/www
	install -m 644 scripts/crontab.example scripts/conn.sh $(DESTDIR)$(DATADIR)
	install -m 644 www/* $(DESTDIR)$(DATADIR)/www
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7

clean:
	rm -rf build build-san build-clang

.PHONY: all check demo bench deps test-deps test-progs lint-man install clean
.SECONDARY:

# ---- Fuzzing ---------------------------------------------------------------
# libFuzzer harnesses for the parsers of untrusted input: tests/fuzz/NAME.c
# -> $(O)/fuzz/bin/NAME, linked with its program's objects, all built again
# with clang's fuzzer coverage, ASan and UBSan in $(O)/fuzz; the program's
# main() is renamed there, so that libFuzzer's is the one that runs.
# make check runs each briefly over its corpus (tests/e2e/fuzz.sh);
# make fuzz runs each for FUZZ_SECONDS, one after another.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_O = $(O)/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-DFS_VERSION=\"$(VERSION)\" -Ilib $(addprefix -I,$(wildcard cmd/*)) \
	-DFUZZ_DIR=\"$(CURDIR)/tests/fuzz\" -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_NAMES = $(basename $(notdir $(wildcard tests/fuzz/*.c)))
FUZZ_BIN = $(FUZZ_NAMES:%=$(FUZZ_O)/bin/%)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FUZZ_O)/%.o)
# The program each harness takes its objects from, and the sources it includes instead.
fuzz_prog_clean = fs-clean
fuzz_prog_window = fs-window
fuzz_prog_score = fs-score
fuzz_prog_model = fs-score
fuzz_prog_sinkpg = fs-sink-pg
fuzz_prog_sinkmongo = fs-sink-mongo
fuzz_prog_opensky = fs-produce
fuzz_prog_readsb = fs-produce
fuzz_skip_opensky = cmd/fs-produce/opensky.c
fuzz_skip_readsb = cmd/fs-produce/readsb.c
fuzz_objs = $(patsubst %.c,$(FUZZ_O)/%.o,$(filter-out $(fuzz_skip_$(1)), \
	$(wildcard cmd/$(fuzz_prog_$(1))/*.c)))

$(FUZZ_O)/cmd/%/main.o: FUZZ_MAIN = -Dmain=fuzz_program_main

$(FUZZ_O)/%.o: %.c $(wildcard lib/*.h) $(wildcard cmd/*/*.h) $(wildcard cmd/*/*.c) \
		$(wildcard tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(FUZZ_MAIN) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(FUZZ_O)/libfs.a: $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $(FUZZ_LIB_OBJ)

define fuzz_rule
$(FUZZ_O)/bin/$(1): $(FUZZ_O)/tests/fuzz/$(1).o $$(call fuzz_objs,$(1)) $(FUZZ_O)/libfs.a
	@mkdir -p $$(@D)
	$$(FUZZ_CC) -fsanitize=fuzzer $$(FUZZ_SAN) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) \
		$(FUZZ_O)/libfs.a $$(PKG_LIBS) $$(LDLIBS)
endef
$(foreach f,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(f))))

fuzz-progs: $(FUZZ_BIN)
test-progs: fuzz-progs

fuzz: test-deps
	$(MAKE) test-progs
	O=$(O) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ)

.PHONY: fuzz fuzz-progs
