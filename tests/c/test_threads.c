/* Eight threads share one encoding, rendering and parsing at once; every result must equal
 * the single-threaded one. */
#include "harmony.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 8
#define ROUNDS 200

static const harmony_encoding *enc;
static const char *CONV =
    "{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"system_content\",\"reasoning_effort\":\"High\"}]},"
    "{\"role\":\"user\",\"content\":\"Tell me about 日本 and 🎉 please.\"}]}";
static harmony_tokens expected;
static harmony_string expected_json;

static void *worker(void *arg) {
  long bad = 0;
  for (int i = 0; i < ROUNDS; i++) {
    harmony_tokens t;
    if (harmony_render(enc, HARMONY_RENDER_COMPLETION, CONV, strlen(CONV), HARMONY_ROLE_ASSISTANT, 0, &t, NULL) != HARMONY_OK ||
        t.len != expected.len || memcmp(t.data, expected.data, t.len * sizeof(uint32_t)) != 0)
      bad++;
    harmony_tokens_free(&t);
    harmony_string s;
    if (harmony_parse(enc, expected.data, expected.len, HARMONY_ROLE_NONE, HARMONY_PARSE_LENIENT, &s, NULL) == HARMONY_OK) {
      if (strcmp(s.data, expected_json.data) != 0) bad++;
      harmony_string_free(&s);
    }
  }
  *(long *)arg = bad;
  return NULL;
}

int main(void) {
  if (harmony_encoding_new(NULL, &enc, NULL) != HARMONY_OK) return 1;
  if (harmony_render(enc, HARMONY_RENDER_CONVERSATION, CONV, strlen(CONV), 0, 0, &expected, NULL) != HARMONY_OK) return 1;
  if (harmony_parse(enc, expected.data, expected.len, HARMONY_ROLE_NONE, 0, &expected_json, NULL) != HARMONY_OK) return 1;
  /* compare completion renders against the single-threaded completion render */
  harmony_tokens_free(&expected);
  if (harmony_render(enc, HARMONY_RENDER_COMPLETION, CONV, strlen(CONV), HARMONY_ROLE_ASSISTANT, 0, &expected, NULL) != HARMONY_OK) return 1;
  pthread_t th[THREADS];
  long bad[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, &bad[i]);
  long total = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(th[i], NULL);
    total += bad[i];
  }
  harmony_tokens_free(&expected);
  harmony_string_free(&expected_json);
  harmony_encoding_free(enc);
  if (total) {
    fprintf(stderr, "%ld mismatches across threads\n", total);
    return 1;
  }
  printf("%d threads x %d rounds: identical results\n", THREADS, ROUNDS);
  return 0;
}
