# integrations: config, JSON reader, S3 (s3rver), SigV4 (botocore), Vault,
# CyberArk, a slow S3 endpoint. Each network suite uses its own slice of
# the 32000-32700 port range: s3 32000-32099, sigv4 32100-32199,
# creds 32200-32299, slow 32300-32399.
set(FN_INT_UTIL ${CMAKE_CURRENT_LIST_DIR}/test_integrations_util.c)
fn_check_test(test_integrations
  SOURCES test_integrations.c ${FN_INT_UTIL}
  LIBS fn_integrations TIMEOUT 60)
foreach(suite s3 sigv4 creds slow)
  fn_check_test(test_integrations_${suite}
    SOURCES test_integrations_${suite}.c ${FN_INT_UTIL}
    LIBS fn_integrations TIMEOUT 180)
endforeach()
