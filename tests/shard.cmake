# Sharded runs: `flexnet run --shard` as a Slurm job array (deploy/slurm/)
# on a real slurmctld + slurmd + munged started by the test, merged with
# `flexnet store merge` and compared with one unsharded run. The test
# runs in a network namespace of its own (ports 12000-16999 there).
# Exit 77 (skipped, with the reason) only when Slurm cannot start.
add_test(NAME test_shard_slurm
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_shard_slurm.py)
set_tests_properties(test_shard_slurm PROPERTIES
  TIMEOUT 420
  SKIP_RETURN_CODE 77
  LABELS "shard;e2e"
  ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR};FN_CLI=$<TARGET_FILE:flexnet>;FN_SIM=$<TARGET_FILE:flexnet-sim>")

# The same without a scheduler: shard assignment against an FNV-1a oracle,
# environment defaults, readers over several stores, merging, a shard
# killed mid-run. Ports 17000-17099.
add_test(NAME test_shard_cli
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_shard_cli.py)
set_tests_properties(test_shard_cli PROPERTIES
  TIMEOUT 180
  LABELS "shard;e2e"
  ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR};FN_CLI=$<TARGET_FILE:flexnet>;FN_SIM=$<TARGET_FILE:flexnet-sim>")

# flexnetd runs only its shard of a TaskSpec's targets. Ports 17200-17299.
if(TARGET flexnetd AND TARGET fn_rpc_pystubs)
  add_test(NAME test_shard_rpc
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/test_shard_rpc.py)
  set_tests_properties(test_shard_rpc PROPERTIES
    TIMEOUT 120
    LABELS "shard;e2e"
    ENVIRONMENT "FN_TEST_SRC=${PROJECT_SOURCE_DIR};FN_TEST_BIN=${PROJECT_BINARY_DIR};FN_CLI=$<TARGET_FILE:flexnet>;FN_SIM=$<TARGET_FILE:flexnet-sim>")
endif()
