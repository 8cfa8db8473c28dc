/* Per-token cost through the C ABI, timed from C (issue 14): a 32,768-token completion fed
 * with one harmony_parser_step per token, against harmony_parser_process +
 * harmony_parser_last_delta (the two-call loop it replaces). Best of ROUNDS runs, so load from
 * other processes on a shared machine only ever adds time.
 *
 *   cc -O2 -Iinclude benches/c/event_loop.c -Lbuild/cargo/release -lharmony \
 *      -Wl,-rpath,$PWD/build/cargo/release -o /tmp/event_loop && /tmp/event_loop */
#include "harmony.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 15

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(void) {
  const harmony_encoding *enc = NULL;
  if (harmony_encoding_new(NULL, &enc, NULL) != HARMONY_OK) return 1;
  /* <|channel|>final<|message|> + prose + <|return|>, 32,768 tokens in all. */
  const char *unit = "The quick brown fox jumps over the lazy dog, and then it rests in the shade. ";
  size_t ul = strlen(unit), times = 4000, len = ul * times;
  char *text = malloc(len + 1);
  for (size_t i = 0; i < times; i++) memcpy(text + i * ul, unit, ul);
  text[len] = 0;
  harmony_tokens body;
  if (harmony_encode(enc, text, len, 0, &body, NULL) != HARMONY_OK || body.len < 32768) return 1;
  uint32_t *tokens = malloc(32768 * sizeof *tokens);
  const size_t n = 32768;
  tokens[0] = HARMONY_TOKEN_CHANNEL;
  tokens[1] = 17196; /* final */
  tokens[2] = HARMONY_TOKEN_MESSAGE;
  memcpy(tokens + 3, body.data, (n - 4) * sizeof *tokens);
  tokens[n - 1] = HARMONY_TOKEN_RETURN;

  double best_step = 1e30, best_two = 1e30;
  size_t bytes_step = 0, bytes_two = 0;
  for (int r = 0; r < ROUNDS; r++) {
    harmony_parser *p = NULL;
    harmony_parser_event ev;
    harmony_parser_new(enc, HARMONY_ROLE_ASSISTANT, 0, &p, NULL);
    double t0 = now_ns();
    bytes_step = 0;
    for (size_t i = 0; i < n; i++) {
      if (harmony_parser_step(p, tokens[i], &ev, NULL) != HARMONY_OK) return 2;
      bytes_step += ev.delta.len;
    }
    double t1 = now_ns();
    harmony_parser_free(p);
    if (t1 - t0 < best_step) best_step = t1 - t0;

    harmony_parser_new(enc, HARMONY_ROLE_ASSISTANT, 0, &p, NULL);
    t0 = now_ns();
    bytes_two = 0;
    for (size_t i = 0; i < n; i++) {
      const char *d;
      size_t dn = 0;
      if (harmony_parser_process(p, tokens[i], NULL) != HARMONY_OK) return 2;
      harmony_parser_last_delta(p, &d, &dn);
      bytes_two += dn;
    }
    t1 = now_ns();
    harmony_parser_free(p);
    if (t1 - t0 < best_two) best_two = t1 - t0;
  }
  if (bytes_step != bytes_two) return 3;
  printf("harmony_parser_step: %.1f ns/token (%zu tokens, %zu bytes of deltas)\n", best_step / n, n, bytes_step);
  printf("harmony_parser_process + harmony_parser_last_delta: %.1f ns/token\n", best_two / n);
  harmony_tokens_free(&body);
  free(tokens);
  free(text);
  harmony_encoding_free(enc);
  return 0;
}
