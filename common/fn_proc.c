/*
 * fn_proc.c — see fn_proc.h. Linux-specific (prctl).
 */
#include "fn_proc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int fn_proc_protect_secrets(void)
{
    const char *keep = getenv("FLEXNET_CORE_DUMPS");
    if (keep && !strcmp(keep, "1"))
        return 0;
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) < 0)
        return -errno;
#ifndef __SANITIZE_ADDRESS__
    /* LeakSanitizer ptraces its own process at exit, which a non-root
     * user cannot do once the process is not dumpable: sanitizer builds
     * keep only the core limit. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return -errno;
#endif
    return 0;
}
