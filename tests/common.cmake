fn_check_test(test_common SOURCES test_common.c LIBS fn_common)
