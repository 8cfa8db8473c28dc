// A first Go program against libharmony (tests/consumer: built in its own module from a module
// cache copy of bindings/go, shared and static). Prints "ok <version>" when the library works.
package main

import (
	"fmt"
	"os"

	harmony "github.com/libharmony/libharmony/bindings/go"
)

func main() {
	enc, err := harmony.NewEncoding()
	if err != nil {
		fmt.Println("bad:", err)
		os.Exit(1)
	}
	defer enc.Close()
	conv := &harmony.Conversation{Messages: []harmony.Message{harmony.NewTextMessage(harmony.RoleUser, "What is 2+2?")}}
	prompt, err := enc.RenderCompletion(conv, harmony.RoleAssistant)
	if err != nil {
		fmt.Println("bad:", err)
		os.Exit(1)
	}
	reply, _ := enc.Encode("<|channel|>final<|message|>4<|return|>", true)
	msgs, err := enc.Parse(reply, harmony.RoleAssistant)
	if err != nil || len(prompt) < 4 || len(msgs) != 1 || msgs[0].Text() != "4" {
		fmt.Println("bad:", err, prompt, msgs)
		os.Exit(1)
	}
	fmt.Println("ok", harmony.Version())
}
