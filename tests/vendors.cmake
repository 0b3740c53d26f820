# vendors: matcher and profile suites (tests/test_vendors*.c).
fn_check_test(test_vendors SOURCES test_vendors.c test_vendors_samples.c
              LIBS fn_vendors TIMEOUT 300)
fn_check_test(test_vendors_profiles SOURCES test_vendors_profiles.c
              LIBS fn_vendors TIMEOUT 120)

# libFuzzer target for the matcher's feed path. Compiled with clang
# directly (a custom command), so the default gcc build has it too; ctest
# only replays the committed corpus (-runs=0), it never fuzzes.
# Fuzz by hand: build/tests/fuzz_matcher -max_total_time=60 NEWDIR
#               ${FN_TEST_SRC}/tests/fuzz/corpus
find_program(FN_CLANG NAMES clang clang-14)
if(FN_CLANG AND NOT DEFINED FN_CLANG_FUZZER_OK)
  # libFuzzer's runtime is package libclang-rt-14-dev (scripts/bootstrap).
  set(_probe ${CMAKE_CURRENT_BINARY_DIR}/fn_fuzz_probe.c)
  file(WRITE ${_probe} "#include <stddef.h>\n#include <stdint.h>\n"
       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
       "{ (void)d; (void)n; return 0; }\n")
  execute_process(
    COMMAND ${FN_CLANG} -fsanitize=fuzzer,address ${_probe}
            -o ${CMAKE_CURRENT_BINARY_DIR}/fn_fuzz_probe
    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(_rc EQUAL 0)
    set(FN_CLANG_FUZZER_OK ON CACHE INTERNAL "clang links libFuzzer")
  else()
    set(FN_CLANG_FUZZER_OK OFF CACHE INTERNAL "clang links libFuzzer")
  endif()
endif()
if(FN_CLANG AND NOT FN_CLANG_FUZZER_OK)
  # A missing fuzz test must not pass unnoticed: scripts/bootstrap
  # installs the runtime, so its absence is a set-up error.
  message(FATAL_ERROR "clang cannot link -fsanitize=fuzzer: run "
                      "scripts/bootstrap (libclang-rt-14-dev)")
endif()
if(FN_CLANG AND FN_CLANG_FUZZER_OK)
  set(FN_FUZZ_SRCS
      ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_matcher.c
      ${PROJECT_SOURCE_DIR}/vendors/vendor.c
      ${PROJECT_SOURCE_DIR}/vendors/vendor_builtin.c
      ${PROJECT_SOURCE_DIR}/vendors/vendor_ac.c
      ${PROJECT_SOURCE_DIR}/vendors/vendor_glob.c
      ${PROJECT_SOURCE_DIR}/vendors/matcher.c
      ${PROJECT_SOURCE_DIR}/common/fn_buf.c
      ${PROJECT_SOURCE_DIR}/common/fn_err.c
      ${PROJECT_SOURCE_DIR}/common/fn_str.c)
  add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/fuzz_matcher
    COMMAND ${FN_CLANG} -std=c11 -D_GNU_SOURCE -g -O1
            -fsanitize=fuzzer,address,undefined
            -fno-sanitize-recover=undefined -Wall -Wextra -Werror
            -Wno-unused-parameter
            -I${PROJECT_SOURCE_DIR}/common -I${PROJECT_SOURCE_DIR}/vendors
            ${FN_FUZZ_SRCS} -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_matcher
    DEPENDS ${FN_FUZZ_SRCS} ${PROJECT_SOURCE_DIR}/vendors/vendors_int.h
            ${PROJECT_SOURCE_DIR}/vendors/fn_matcher.h
            ${PROJECT_SOURCE_DIR}/vendors/fn_vendor.h
    COMMENT "Building libFuzzer target fuzz_matcher with clang"
    VERBATIM)
  add_custom_target(fuzz_matcher ALL
                    DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/fuzz_matcher)
  add_test(NAME fuzz_matcher_corpus
           COMMAND ${CMAKE_CURRENT_BINARY_DIR}/fuzz_matcher -runs=0
                   ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus)
  set_tests_properties(fuzz_matcher_corpus PROPERTIES TIMEOUT 120
                       LABELS fuzz)
endif()

# Writes the sample seeds of the corpus (run by hand: see its top comment).
add_executable(fn-fuzz-make-corpus fuzz/make_corpus.c test_vendors_samples.c)
target_include_directories(fn-fuzz-make-corpus PRIVATE
                           ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(fn-fuzz-make-corpus PRIVATE fn_vendors)
fn_target_warnings(fn-fuzz-make-corpus)
