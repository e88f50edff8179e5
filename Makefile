# ferry - one plain Makefile.
#
#   make                  build ./ferry
#   make SANITIZE=1       the same with AddressSanitizer + UBSan (own build dir)
#   make deps             install missing Debian packages (root), else nothing
#   make test             deps + unit + integration tests against throwaway
#                         PostgreSQL 15 and MariaDB servers; last line
#                         "N passed, N failed"
#   make check            unit tests only (no servers)
#   make bench            benchmarks (prints figures, asserts nothing)
#   make demo             live DolphinScheduler 1.3 -> 3.2 migration to watch
#   make fuzz             build the libFuzzer targets (clang) and run each
#   make cppcheck | valgrind | check-headers | install | clean

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS := libpq libmariadb yaml-0.1 jansson libsystemd

ifeq ($(SANITIZE),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
OPT := -O1 -g
else
BUILD := build/rel
SANFLAGS :=
OPT := -O2 -g
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-declarations \
	-Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith -Wvla \
	-Wformat=2 -Wno-format-nonliteral -Wundef -Wcast-align \
	-Wold-style-definition -Wimplicit-fallthrough
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# Debian's liblmdb-dev ships lmdb.pc, older ones do not
LMDB_LIBS := $(shell $(PKG_CONFIG) --libs lmdb 2>/dev/null || echo -llmdb)

CPPFLAGS += -Iinclude -D_GNU_SOURCE -DFERRY_VERSION='"$(VERSION)"'
CFLAGS ?= $(OPT)
CFLAGS += -std=c11 $(WARN) $(SANFLAGS) $(PKG_CFLAGS) -pthread -MMD -MP
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS += $(PKG_LIBS) $(LMDB_LIBS) -lm

SRC := $(sort $(wildcard src/*.c src/*/*.c))
MAIN_OBJ := $(BUILD)/src/main.o
OBJ := $(SRC:%.c=$(BUILD)/%.o)
LIB_OBJ := $(filter-out $(MAIN_OBJ),$(OBJ))

# tests/unit/test_*.c: one program each, no servers
# tests/integration/t_*.c: programs that talk to the throwaway servers
# tests/helpers/*.c: programs the tests exec (crash children, generators)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
INTEG_SRC := $(sort $(wildcard tests/integration/t_*.c))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
HARNESS_OBJ := $(BUILD)/tests/harness.o
# test programs run registered TESTs through the harness's main();
# helpers and benchmarks have their own main()
HARNESSED_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%) \
	$(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
PLAIN_BINS := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%) \
	$(BENCH_SRC:tests/bench/%.c=$(BUILD)/tests/bench/%)
TEST_BINS := $(HARNESSED_BINS) $(PLAIN_BINS)

.PHONY: all deps test check check-integration bench demo fuzz cppcheck valgrind \
	check-headers install clean test-bins FORCE

all: ferry

# ./ferry always points at the flavour just built
ferry: $(BUILD)/ferry FORCE
	@ln -sf $(BUILD)/ferry ferry

# V=1 shows the full commands
ifeq ($(V),1)
Q :=
SAY := @true
else
Q := @
SAY := @echo
endif

$(BUILD)/ferry: $(OBJ)
	$(SAY) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(SAY) "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(SAY) "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -c -o $@ $<

$(HARNESSED_BINS): %: %.o $(HARNESS_OBJ) $(LIB_OBJ)
	$(SAY) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(PLAIN_BINS): %: %.o $(LIB_OBJ)
	$(SAY) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# keep the .o files of test programs (make would delete them as intermediate)
.SECONDARY:

test-bins: $(TEST_BINS)

deps:
	@bash packaging/deps.sh

check: ferry test-bins
	@bash tests/run.sh --unit-only $(BUILD)

test: deps
	@$(MAKE) --no-print-directory ferry test-bins
	@bash tests/run.sh $(BUILD)

check-integration: ferry test-bins
	@bash tests/run.sh --integration-only $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory ferry test-bins
	@bash tests/bench/run.sh $(BUILD)

# the live DolphinScheduler 1.3 -> 3.2 demo on throwaway servers
demo: deps
	@$(MAKE) --no-print-directory ferry test-bins
	@bash tests/demo/run.sh $(BUILD)

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 60
build/fuzz/%: tests/fuzz/%.c $(filter-out src/main.c,$(SRC))
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		$(PKG_CFLAGS) -o $@ $< $(filter-out src/main.c,$(SRC)) \
		$(LDLIBS) -pthread
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
		mkdir -p build/fuzz/corpus-$$(basename $$f); \
		echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz/corpus-$$(basename $$f) \
			$$( [ -d tests/fuzz/seeds/$$(basename $$f) ] && \
			    echo tests/fuzz/seeds/$$(basename $$f) ) || exit 1; \
	done

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --std=c11 -Iinclude -D_GNU_SOURCE \
		--suppress=missingIncludeSystem src tests

valgrind: ferry test-bins
	@VALGRIND=1 bash tests/run.sh --unit-only $(BUILD)

# every public header compiles on its own
check-headers:
	@for h in include/ferry/*.h; do \
		echo "#include \"$${h#include/}\"" | \
		$(CC) $(CPPFLAGS) -std=c11 $(WARN) -x c -fsyntax-only - || exit 1; \
	done; echo "headers ok"

install: ferry
	install -D -m 0755 $(BUILD)/ferry $(DESTDIR)$(PREFIX)/bin/ferry
	install -D -m 0644 conf/ferry.yaml $(DESTDIR)/etc/ferry/ferry.yaml.example
	install -d $(DESTDIR)$(PREFIX)/share/ferry/mappings
	cp -r mappings/. $(DESTDIR)$(PREFIX)/share/ferry/mappings/

clean:
	rm -rf build ferry

-include $(OBJ:.o=.d) $(wildcard $(BUILD)/tests/*/*.d $(BUILD)/tests/*.d)
