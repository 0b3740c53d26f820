# parse: the Check suite, the differential test against python3-textfsm
# (Debian's package, the oracle) through `flexnet parse`, and the libFuzzer
# target over template + input, its corpus replayed. No ports.
fn_check_test(test_parse SOURCES test_parse.c LIBS fn_parse TIMEOUT 120)

if(TARGET flexnet)
  add_test(NAME test_parse_diff
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_parse_diff.py
                   $<TARGET_FILE:flexnet>)
  set_tests_properties(test_parse_diff PROPERTIES TIMEOUT 300 LABELS parse
    ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR}")
endif()

# Fuzz by hand:
#   build/tests/fuzz_parse -max_total_time=60 NEWDIR tests/fuzz/parse_corpus
fn_fuzz_target(fuzz_parse CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/parse_corpus
  INCLUDES ${PROJECT_SOURCE_DIR}/common ${PROJECT_SOURCE_DIR}/parse
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_parse.c
          ${PROJECT_SOURCE_DIR}/parse/template.c
          ${PROJECT_SOURCE_DIR}/parse/fsm.c
          ${PROJECT_SOURCE_DIR}/common/fn_buf.c
          ${PROJECT_SOURCE_DIR}/common/fn_err.c
          ${PROJECT_SOURCE_DIR}/common/fn_str.c
          ${PROJECT_SOURCE_DIR}/common/fn_utf8.c
  DEPENDS ${PROJECT_SOURCE_DIR}/parse/fn_parse.h
          ${PROJECT_SOURCE_DIR}/parse/parse_int.h
  LIBS -lpcre2-8)
