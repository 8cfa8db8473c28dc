package harmony_test

import (
	"errors"
	"fmt"

	harmony "github.com/libharmony/libharmony/bindings/go"
)

func ExampleEncoding_RenderCompletion() {
	enc, err := harmony.NewEncoding()
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	conv := &harmony.Conversation{Messages: []harmony.Message{
		harmony.NewTextMessage(harmony.RoleUser, "What is 2+2?"),
	}}
	prompt, err := enc.RenderCompletion(conv, harmony.RoleAssistant)
	if err != nil {
		panic(err)
	}
	text, _ := enc.Decode(prompt, false)
	fmt.Println(prompt)
	fmt.Println(text)
	// Output:
	// [200006 1428 200008 4827 382 220 17 10 17 30 200007 200006 173781]
	// <|start|>user<|message|>What is 2+2?<|end|><|start|>assistant
}

func ExampleStreamParser() {
	enc, err := harmony.NewEncoding()
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	// Tokens as a model samples them after the prompt above.
	completion, _ := enc.Encode("<|channel|>final<|message|>2+2 is 4.<|return|>", true)

	p, err := harmony.NewStreamParser(enc, harmony.RoleAssistant)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	var deltas []string
	for _, tok := range completion {
		if err := p.Process(tok); err != nil {
			panic(err)
		}
		if delta, ok := p.LastDelta(); ok {
			deltas = append(deltas, delta)
		}
	}
	if err := p.ProcessEOS(); err != nil {
		panic(err)
	}
	msgs, _ := p.Messages()
	fmt.Printf("%q\n", deltas)
	fmt.Printf("%s on %s: %s\n", msgs[0].Role, *msgs[0].Channel, msgs[0].Text())
	// Output:
	// ["2" "+" "2" " is" " " "4" "."]
	// assistant on final: 2+2 is 4.
}

func ExampleError() {
	enc, _ := harmony.NewEncoding()
	defer enc.Close()
	_, err := enc.RenderCompletionJSON([]byte(`{"messages": [`), harmony.RoleAssistant)
	var herr *harmony.Error
	if errors.As(err, &herr) {
		fmt.Println(herr.Status)
	}
	fmt.Println(errors.Is(err, harmony.StatusInvalidJSON))
	// Output:
	// HARMONY_ERROR_INVALID_JSON
	// true
}
