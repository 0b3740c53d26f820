# vendors: matcher and profile suites (tests/test_vendors*.c).
fn_check_test(test_vendors SOURCES test_vendors.c test_vendors_samples.c
              LIBS fn_vendors TIMEOUT 300)
fn_check_test(test_vendors_profiles SOURCES test_vendors_profiles.c
              LIBS fn_vendors TIMEOUT 120)

# libFuzzer target for the matcher's feed path (fn_fuzz_target in
# tests/CMakeLists.txt). Fuzz by hand:
#   build/tests/fuzz_matcher -max_total_time=60 NEWDIR tests/fuzz/corpus
fn_fuzz_target(fuzz_matcher CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus
  INCLUDES ${PROJECT_SOURCE_DIR}/common ${PROJECT_SOURCE_DIR}/vendors
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_matcher.c
          ${PROJECT_SOURCE_DIR}/vendors/vendor.c
          ${PROJECT_SOURCE_DIR}/vendors/vendor_builtin.c
          ${PROJECT_SOURCE_DIR}/vendors/vendor_ac.c
          ${PROJECT_SOURCE_DIR}/vendors/vendor_glob.c
          ${PROJECT_SOURCE_DIR}/vendors/matcher.c
          ${PROJECT_SOURCE_DIR}/common/fn_buf.c
          ${PROJECT_SOURCE_DIR}/common/fn_err.c
          ${PROJECT_SOURCE_DIR}/common/fn_lines.c
          ${PROJECT_SOURCE_DIR}/common/fn_str.c
          ${PROJECT_SOURCE_DIR}/common/fn_utf8.c
  DEPENDS ${PROJECT_SOURCE_DIR}/vendors/vendors_int.h
          ${PROJECT_SOURCE_DIR}/vendors/fn_matcher.h
          ${PROJECT_SOURCE_DIR}/vendors/fn_vendor.h)

# Writes the sample seeds of the corpus (run by hand: see its top comment).
add_executable(fn-fuzz-make-corpus fuzz/make_corpus.c test_vendors_samples.c)
target_include_directories(fn-fuzz-make-corpus PRIVATE
                           ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(fn-fuzz-make-corpus PRIVATE fn_vendors)
fn_target_warnings(fn-fuzz-make-corpus)
