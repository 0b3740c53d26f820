/*
 * fn_time.h — clocks in microseconds. Thread-safe.
 */
#ifndef FN_TIME_H
#define FN_TIME_H

#include <stdint.h>

/* Monotonic clock, µs: for durations and timeouts. */
int64_t fn_time_mono_us(void);
/* Wall clock, µs since the Unix epoch: for records on disk and wire. */
int64_t fn_time_wall_us(void);
/* Formats a wall time as "YYYY-MM-DD HH:MM:SS" UTC into out (>= 20 bytes). */
void fn_time_format(int64_t wall_us, char *out, unsigned long outlen);

#endif /* FN_TIME_H */
