# SPDX-License-Identifier: BSD-2-Clause
# vigil build.  `make` builds build/vigil and build/libvigil.a; `make test`
# builds and runs every test; `make SANITIZER=address,undefined test` does the
# same under ASan/UBSan in build-san/; `make fuzz` builds the libFuzzer
# harnesses with clang.  Sources are picked up by folder: a new module needs
# no Makefile edit.

CC       ?= cc
OPT      ?= -O3
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
CPPFLAGS += -Iinclude -Isrc -D_GNU_SOURCE
LDLIBS   := -lisal -lz -lbz2 -lzstd -llzma -lsqlite3 -lmaxminddb \
            -levent_core -levent_pthreads -lmicrohttpd -lcurl -lpthread -lm

ifdef SANITIZER
BUILD    ?= build-san
CFLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZER) \
            -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZER)
else
BUILD    ?= build
endif

LIB_DIRS := $(filter-out src/cli,$(wildcard src/*))
LIB_SRC  := $(filter-out %_test.c,$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRC  := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/unit/*_test.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HDRS     := $(wildcard include/vigil/*.h src/*/*.h tests/unit/*.h)

.PHONY: all test check fuzz bench clean format web
all: $(BUILD)/vigil $(TEST_BIN) web

# The web dashboard (web/src plus the library files it loads, taken from
# web/node_modules, which scripts/setup.sh fills with `npm ci`), into
# $(BUILD)/web, where `vigil serve` looks by default.
WEB_SRC := $(wildcard web/src/*) web/build.sh web/package-lock.json
web: $(BUILD)/web/index.html
$(BUILD)/web/index.html: $(WEB_SRC)
	web/build.sh $(abspath $(BUILD)/web)

$(BUILD)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=c11 -c $< -o $@

$(BUILD)/libvigil.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/vigil: $(CLI_OBJ) $(BUILD)/libvigil.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libvigil.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvigil.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=c11 $(LDFLAGS) -o $@ $< \
	    $(BUILD)/libvigil.a $(LDLIBS)

test: all
	BUILD=$(BUILD) tests/run.sh

# Everything CI runs: the normal build's tests, and the unit tests and the
# regress scripts again under AddressSanitizer + UndefinedBehaviorSanitizer
# (the two builds' tests side by side, one per core: tests/run.sh).
check:
	$(MAKE) -j2 all
	$(MAKE) -j2 SANITIZER=address,undefined all
	BUILDS="build build-san" tests/run.sh

# libFuzzer harnesses (clang only), one per decoder: fuzz/<name>_fuzz.c.
# The library is compiled once with the fuzzer's instrumentation, then
# each harness is linked against it.
FUZZ_SRC := $(wildcard fuzz/*_fuzz.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
FUZZ_CFLAGS := -O1 -g -std=c11 -fno-sanitize-recover=all
fuzz: $(FUZZ_BIN)
build-fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) \
	    -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build-fuzz/libvigil.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^
build-fuzz/%: fuzz/%.c build-fuzz/libvigil.a $(HDRS)
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    -o $@ $< build-fuzz/libvigil.a $(LDLIBS)

bench: all
	bench/run.sh

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(wildcard include/vigil/*.h src/*/*.h fuzz/*.c)

clean:
	rm -rf build build-san build-fuzz
