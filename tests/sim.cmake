# flexnet-sim tests. test_sim_cli: Check suite over the simulator's pure
# parts (transcripts, command line, fault plan). test_sim, test_sim_faults:
# /usr/bin/python3 + paramiko drive the real binary
# ($FN_TEST_BIN/sim/flexnet-sim) on ports 20000-21999 (sim's range); each
# uses its own sub-range, see the test files. test_sim_auth also needs
# ssh-keygen (openssh-client).
set(FN_SIM_DIR ${PROJECT_SOURCE_DIR}/sim)
fn_check_test(test_sim_cli
  SOURCES test_sim_cli.c ${FN_SIM_DIR}/cli.c ${FN_SIM_DIR}/transcript.c
          ${FN_SIM_DIR}/faults.c
  LIBS fn_common LABELS sim TIMEOUT 60)
target_include_directories(test_sim_cli PRIVATE ${FN_SIM_DIR})
foreach(t test_sim test_sim_faults test_sim_auth)
  add_test(NAME ${t}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/${t}.py)
  set_tests_properties(${t} PROPERTIES TIMEOUT 180 LABELS sim ENVIRONMENT
    "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR}")
endforeach()
