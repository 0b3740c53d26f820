# engine: inventory unit tests, end-to-end suites against flexnet-sim
# (ports 22000-27999), valgrind memcheck on a 50-device run.
set(FN_ENGINE_TDIR ${CMAKE_CURRENT_LIST_DIR})
set(FN_SIM_SRC ${CMAKE_CURRENT_LIST_DIR}/../sim)

fn_check_test(test_inventory
  SOURCES ${FN_ENGINE_TDIR}/test_inventory.c
  LIBS fn_engine fn_vendors TIMEOUT 60)

# The oracle reuses the simulator's pure CLI code (no I/O) to compute
# the expected transcripts: see test_engine_oracle.c.
set(FN_ORACLE_SRC ${FN_SIM_SRC}/cli.c ${FN_SIM_SRC}/transcript.c
                  ${FN_SIM_SRC}/faults.c)
fn_check_test(test_engine
  SOURCES ${FN_ENGINE_TDIR}/test_engine.c ${FN_ORACLE_SRC}
  LIBS fn_engine fn_vendors fn_store TIMEOUT 300)
target_include_directories(test_engine PRIVATE ${FN_SIM_SRC})
add_dependencies(test_engine flexnet-sim)

# regressions, each with its failing-before test (ports 25000-25999)
fn_check_test(test_engine_regress
  SOURCES ${FN_ENGINE_TDIR}/test_engine_regress.c
  LIBS fn_engine fn_vendors TIMEOUT 120)
add_dependencies(test_engine_regress flexnet-sim)

# config steps stop at a failing line (ports 26000-26099)
fn_check_test(test_engine_config
  SOURCES ${FN_ENGINE_TDIR}/test_engine_config.c
  LIBS fn_engine fn_vendors TIMEOUT 120)
add_dependencies(test_engine_config flexnet-sim)

# valgrind cannot run under ASan: label no_asan. CK_FORK=no so
# valgrind sees the test body.
fn_check_test(test_engine_vg
  SOURCES ${FN_ENGINE_TDIR}/test_engine_vg.c
  LIBS fn_engine fn_vendors TIMEOUT 300)
add_dependencies(test_engine_vg flexnet-sim)
# both runs of this suite use ports 24000-24052: never at once
set_tests_properties(test_engine_vg PROPERTIES
                     RESOURCE_LOCK fn_engine_ports_24000)
find_program(FN_VALGRIND valgrind)
if(FN_VALGRIND AND NOT FLEXNET_SANITIZE)
  add_test(NAME test_engine_valgrind
    COMMAND ${FN_VALGRIND} --tool=memcheck --error-exitcode=9
            --leak-check=full --errors-for-leak-kinds=definite
            --show-leak-kinds=definite --track-fds=no
            $<TARGET_FILE:test_engine_vg>)
  set(FN_VG_ENV CK_FORK=no FN_TEST_SRC=${FN_ENGINE_TDIR}/..
                FN_TEST_BIN=${CMAKE_BINARY_DIR})
  set_tests_properties(test_engine_valgrind PROPERTIES TIMEOUT 300
    LABELS no_asan ENVIRONMENT "${FN_VG_ENV}"
    RESOURCE_LOCK fn_engine_ports_24000)
endif()

# libFuzzer targets for the inventory readers: INI and YAML, one source
# built twice (fn_fuzz_target in tests/CMakeLists.txt). Fuzz by hand:
#   build/tests/fuzz_inventory_ini -max_total_time=60 NEWDIR \
#       tests/fuzz/inventory_ini
foreach(kind ini yaml)
  string(COMPARE EQUAL ${kind} yaml _yaml)
  fn_fuzz_target(fuzz_inventory_${kind}
    CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/inventory_${kind}
    DEFS -DFUZZ_YAML=${_yaml} -DINV_RANGE_MAX=2000
    INCLUDES ${PROJECT_SOURCE_DIR}/common ${PROJECT_SOURCE_DIR}/vendors
             ${PROJECT_SOURCE_DIR}/engine
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_inventory.c
            ${PROJECT_SOURCE_DIR}/engine/inventory.c
            ${PROJECT_SOURCE_DIR}/engine/inventory_ini.c
            ${PROJECT_SOURCE_DIR}/engine/inventory_yaml.c
            ${PROJECT_SOURCE_DIR}/vendors/vendor.c
            ${PROJECT_SOURCE_DIR}/vendors/vendor_builtin.c
            ${PROJECT_SOURCE_DIR}/vendors/vendor_ac.c
            ${PROJECT_SOURCE_DIR}/vendors/vendor_glob.c
            ${PROJECT_SOURCE_DIR}/vendors/vendor_strip.c
            ${PROJECT_SOURCE_DIR}/vendors/matcher.c
            ${PROJECT_SOURCE_DIR}/common/fn_buf.c
            ${PROJECT_SOURCE_DIR}/common/fn_err.c
            ${PROJECT_SOURCE_DIR}/common/fn_str.c
            ${PROJECT_SOURCE_DIR}/common/fn_utf8.c
            ${PROJECT_SOURCE_DIR}/common/fn_lines.c
    DEPENDS ${PROJECT_SOURCE_DIR}/engine/inventory_int.h
            ${PROJECT_SOURCE_DIR}/engine/fn_inventory.h
            ${PROJECT_SOURCE_DIR}/common/fn_lines.h
    LIBS -lyaml)
endforeach()
