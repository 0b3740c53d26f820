fn_check_test(test_proto SOURCES test_proto.c LIBS fn_proto)
