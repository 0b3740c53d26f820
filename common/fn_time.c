/*
 * fn_time.c — clocks. See fn_time.h.
 */
#include "fn_time.h"

#include <stdio.h>
#include <time.h>

static int64_t time_read(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fn_time_mono_us(void)
{
    return time_read(CLOCK_MONOTONIC);
}

int64_t fn_time_wall_us(void)
{
    return time_read(CLOCK_REALTIME);
}

void fn_time_format(int64_t wall_us, char *out, unsigned long outlen)
{
    time_t t = (time_t)(wall_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm);
}
