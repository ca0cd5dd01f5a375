# The libFuzzer targets and the library sources they run, all compiled by
# clang with the fuzzer's coverage and the sanitizers. scripts/fuzz runs
# this with SRC (the source tree), BUILD (the build directory), FUZZ_CC,
# FUZZ_CFLAGS and FUZZ_LIBS; BUILD/flags holds the compile command, so that
# a change of flags rebuilds everything. Each target fuzz/fuzz_NAME.c links
# the library and the sources of its "FUZZ_SOURCES: a.c b.c" line (paths in
# the tree).
# reduce.c is left out: it is written with gcc's vector builtins
# (__builtin_shuffle), which clang lacks, and no target reaches it (the
# archive gives each target only the objects it calls).
LIB_OBJS := $(patsubst $(SRC)/%.c,$(BUILD)/obj/%.o,\
	$(filter-out $(SRC)/src/reduce.c,$(wildcard $(SRC)/src/*.c)))
NAMES := $(patsubst $(SRC)/fuzz/fuzz_%.c,%,$(wildcard $(SRC)/fuzz/fuzz_*.c))

all: $(NAMES:%=$(BUILD)/fuzz_%)

$(BUILD)/obj/%.o: $(SRC)/%.c $(BUILD)/flags
	@mkdir -p $(@D)
	@echo "fuzz: cc $*.c"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/libparray_fuzz.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

define target_rule
$(BUILD)/fuzz_$(1): $(BUILD)/obj/fuzz/fuzz_$(1).o \
		$(patsubst %.c,$(BUILD)/obj/%.o,$(shell sed -n 's/.*FUZZ_SOURCES:\([^*]*\).*/\1/p' $(SRC)/fuzz/fuzz_$(1).c)) \
		$(BUILD)/libparray_fuzz.a
	@echo "fuzz: link fuzz_$(1)"
	@$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer $$^ $$(FUZZ_LIBS) -o $$@
endef
$(foreach n,$(NAMES),$(eval $(call target_rule,$(n))))

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
