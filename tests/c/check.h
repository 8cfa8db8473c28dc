/* Minimal check macros shared by the C test programs: a failed check prints where and what,
 * counts in `failures`, and the test goes on. */
#ifndef HARMONY_TEST_CHECK_H
#define HARMONY_TEST_CHECK_H

#include "harmony.h"

#include <stdio.h>

static int failures = 0;
#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
      failures++;                                                               \
    }                                                                           \
  } while (0)
#define CHECK_STATUS(expr, want)                                                          \
  do {                                                                                    \
    harmony_status got_ = (expr);                                                         \
    if (got_ != (want)) {                                                                 \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__, #expr, \
              harmony_status_name(got_), harmony_status_name(want));                      \
      failures++;                                                                         \
    }                                                                                     \
  } while (0)

#endif
