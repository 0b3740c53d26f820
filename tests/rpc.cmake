# rpc: flexnetd. A Check suite for the request validator and the server
# core (in process), and end-to-end Python clients (Debian's python3-grpcio
# under /usr/bin/python3, stubs generated at build time into build/rpc/py)
# against flexnet-sim. Ports: 30000-31999, one sub-range per test
# (ops 31600-31699, package 31700-31719, clients 31720-31779, utf8
# 31800-31809, redact 31810-31819).
fn_check_test(test_rpc SOURCES test_rpc.c LIBS fn_rpc TIMEOUT 60)

set(FN_RPC_TESTS_ENV "FN_TEST_SRC=${PROJECT_SOURCE_DIR}"
    "FN_TEST_BIN=${PROJECT_BINARY_DIR}")
# name, timeout (s), labels. ops: reflection (a client without
# flexnet.proto), health Watch, GetTaskLog follow, /metrics parsed, JSON
# logs. package: the install layout, the embeddable library, the .deb
# installed under a private root and its unit's ExecStart run. clients:
# the Python, Node.js and Go examples on 50 devices. package and clients
# run on the release build only (they test what ships; the Go build is
# slow under ASan's load).
foreach(spec "api;120;-" "cancel;120;-" "auth;60;-" "load;180;-"
             "malformed;120;-" "valgrind;300;no_asan" "ops;180;-"
             "package;600;no_asan" "clients;900;no_asan" "utf8;120;-" "redact;120;-")
  list(GET spec 0 name)
  list(GET spec 1 timeout)
  list(GET spec 2 labels)
  add_test(NAME test_rpc_${name}
           COMMAND /usr/bin/python3
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_rpc_${name}.py)
  set_tests_properties(test_rpc_${name} PROPERTIES TIMEOUT ${timeout}
                       ENVIRONMENT "${FN_RPC_TESTS_ENV}")
  if(NOT labels STREQUAL "-")
    set_tests_properties(test_rpc_${name} PROPERTIES LABELS ${labels})
  endif()
endforeach()
