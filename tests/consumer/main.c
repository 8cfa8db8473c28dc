/* A first C program against an installed libharmony (tests/consumer: built by the README's
 * pkg-config commands, shared and static). Prints "ok <version>" when the library works. */
#include <harmony.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  const harmony_encoding *enc = NULL;
  if (harmony_encoding_new(NULL, &enc, NULL) != HARMONY_OK) return 1;
  const char *conv = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  harmony_tokens t;
  harmony_status s = harmony_render(enc, HARMONY_RENDER_COMPLETION, conv, strlen(conv), HARMONY_ROLE_ASSISTANT, 0, &t, NULL);
  /* <|start|>user<|message|>hi<|end|><|start|>assistant */
  int good = s == HARMONY_OK && t.len == 7 && t.data[0] == HARMONY_TOKEN_START && t.data[6] == 173781;
  if (s == HARMONY_OK) harmony_tokens_free(&t);
  harmony_encoding_free(enc);
  printf(good ? "ok %s\n" : "bad %s\n", harmony_version());
  return good ? 0 : 1;
}
