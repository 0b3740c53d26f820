# cli: a Check suite for the manifest parser and the JSON writer, and
# end-to-end tests that drive the real `flexnet` against flexnet-sim.
# Ports (cli range 28000-29999), one sub-range per test so ctest -j is safe:
#   test_cli_run      28000-28099
#   test_cli_errors   28100-28199 (28190-28199 are never listened on)
#   test_cli_secrets  28200-28299
#   test_cli_tty      28300-28399 (28390 is never listened on)
#   test_cli_integrations 28400-28499 (28499 is never listened on)
#   test_cli_metrics  28500-28599 (28599 is never listened on)
#   test_real_sshd    28600-28619 (Debian's sshd, tests/sshd_fixture.py)
#   test_cli_trickle  28650 (a paramiko device, tests/devices/)
#   test_cli_parse    28700-28799
#   test_cli_hostkeys 28800-28839
#   test_cli_redact   28840-28879
fn_check_test(test_cli SOURCES test_cli.c LIBS fn_cli_core TIMEOUT 60)

foreach(t run errors secrets tty integrations metrics trickle parse
         redact hostkeys)
  add_test(NAME test_cli_${t}
           COMMAND /usr/bin/python3
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_${t}.py)
  set_tests_properties(test_cli_${t} PROPERTIES
    TIMEOUT 120
    LABELS "cli;e2e"
    ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR};FN_CLI=$<TARGET_FILE:flexnet>;FN_SIM=$<TARGET_FILE:flexnet-sim>")
endforeach()

add_test(NAME test_real_sshd
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_real_sshd.py)
set_tests_properties(test_real_sshd PROPERTIES
  TIMEOUT 180
  LABELS "cli;e2e"
  ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR};FN_CLI=$<TARGET_FILE:flexnet>;FN_SIM=$<TARGET_FILE:flexnet-sim>")
