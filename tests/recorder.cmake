# recorder: a Check suite for fn_recorder.h, in process (a store in a
# scratch directory, engine events fed to its sink). Network: only a
# refused connect to 127.0.0.1:32699 (never listened on).
fn_check_test(test_recorder
  SOURCES test_recorder.c ${CMAKE_CURRENT_LIST_DIR}/test_store_util.c
  LIBS fn_recorder TIMEOUT 60)
