/* The header is C89: this file is compiled with -std=c89 -pedantic -Werror (issue 14, defect
 * 10: harmony.h used `//` comments). It also runs the per-token event loop in C89 style. */
#include "harmony.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  const harmony_encoding *enc = NULL;
  harmony_parser *p = NULL;
  harmony_parser_event ev;
  harmony_message_view m;
  static const uint32_t reply[] = {200005, 17196, 200008, 19, 200002};
  size_t i;
  int ended = 0;
  if (harmony_encoding_new(NULL, &enc, NULL) != HARMONY_OK) return 1;
  if (harmony_parser_new(enc, HARMONY_ROLE_ASSISTANT, 0, &p, NULL) != HARMONY_OK) return 1;
  for (i = 0; i < sizeof reply / sizeof *reply; i++) {
    if (harmony_parser_step(p, reply[i], &ev, NULL) != HARMONY_OK) return 1;
    if (ev.flags & HARMONY_EVENT_MESSAGE_ENDED) ended++;
  }
  if (ended != 1 || harmony_parser_message(p, 0, &m, NULL) != HARMONY_OK) return 1;
  if (m.content.len != 1 || memcmp(m.content.data, "4", 1) != 0) return 1;
  harmony_parser_free(p);
  harmony_encoding_free(enc);
  printf("C89 header check passed\n");
  return 0;
}
