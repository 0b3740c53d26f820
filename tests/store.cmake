# store/ suites: the API in one process, and crash / multi-process cases.
fn_check_test(test_store
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store.c
          ${CMAKE_CURRENT_LIST_DIR}/test_store_util.c
  LIBS fn_store TIMEOUT 240)
fn_check_test(test_store_crash
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store_crash.c
          ${CMAKE_CURRENT_LIST_DIR}/test_store_util.c
  LIBS fn_store TIMEOUT 240)
fn_check_test(test_store_merge
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store_merge.c
          ${CMAKE_CURRENT_LIST_DIR}/test_store_util.c
  LIBS fn_store TIMEOUT 120)
