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
#   test_cli_stall    28660 (a paramiko device that stops reading)
#   test_cli_parse    28700-28799
#   test_inventory_formats 28800-28899
#   test_inventory_ansible (no ports: ansible-inventory is the oracle)
#   test_cli_hostkeys 28900-28939
#   test_cli_redact   28940-28979
fn_check_test(test_cli SOURCES test_cli.c LIBS fn_cli_core TIMEOUT 60)

foreach(t cli_run cli_errors cli_secrets cli_tty cli_integrations cli_metrics
        cli_stall
        cli_trickle cli_parse cli_redact cli_hostkeys inventory_formats
        inventory_ansible)
  add_test(NAME test_${t}
           COMMAND /usr/bin/python3
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.py)
  set_tests_properties(test_${t} PROPERTIES
    TIMEOUT 120
    LABELS "cli;e2e"
    ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR};FN_CLI=$<TARGET_FILE:flexnet>;FN_SIM=$<TARGET_FILE:flexnet-sim>")
endforeach()
# ansible-inventory (the oracle) takes a second or more per call
set_tests_properties(test_inventory_ansible PROPERTIES TIMEOUT 300)

add_test(NAME test_real_sshd
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_real_sshd.py)
set_tests_properties(test_real_sshd PROPERTIES
  TIMEOUT 180
  LABELS "cli;e2e"
  ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR};FN_CLI=$<TARGET_FILE:flexnet>;FN_SIM=$<TARGET_FILE:flexnet-sim>")
