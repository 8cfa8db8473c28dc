// Renders a conversation for completion, then streams a completion through the parser token
// by token, printing each content delta as it arrives.
//
//	usage: go run . [conversation.json]   (default: ../conversation.json)
package main

import (
	"fmt"
	"os"

	harmony "github.com/libharmony/libharmony/bindings/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	path := "../conversation.json"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	conv, err := os.ReadFile(path)
	if err != nil {
		return err
	}

	enc, err := harmony.NewEncoding()
	if err != nil {
		return err
	}
	defer enc.Close()

	prompt, err := enc.RenderCompletionJSON(conv, harmony.RoleAssistant)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	fmt.Printf("prompt: %d tokens: %v\n", len(prompt), prompt)
	stop, err := enc.StopTokensForAssistantActions()
	if err != nil {
		return err
	}
	fmt.Printf("stop tokens: %v\n", stop)

	// A completion as a model would sample it (here: encoded text with special tokens).
	reply := "<|channel|>analysis<|message|>The tool says 21°C and clear.<|end|>" +
		"<|start|>assistant<|channel|>final<|message|>It is 21 °C and sunny in Tokyo ☀️.<|return|>"
	completion, err := enc.Encode(reply, true)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}

	parser, err := harmony.NewStreamParser(enc, harmony.RoleAssistant)
	if err != nil {
		return err
	}
	defer parser.Close()
	for _, tok := range completion {
		if err := parser.Process(tok); err != nil {
			return fmt.Errorf("process: %w", err)
		}
		if delta, ok := parser.LastDelta(); ok {
			channel, _ := parser.Channel()
			fmt.Printf("[%s] %s\n", channel, delta)
		}
	}
	if err := parser.ProcessEOS(); err != nil {
		return fmt.Errorf("eos: %w", err)
	}

	messages, err := parser.Messages()
	if err != nil {
		return err
	}
	for _, m := range messages {
		channel := "-"
		if m.Channel != nil {
			channel = *m.Channel
		}
		fmt.Printf("%s/%s: %s\n", m.Role, channel, m.Text())
	}
	js, err := parser.MessagesJSON()
	if err != nil {
		return err
	}
	fmt.Printf("messages: %s\n", js)
	return nil
}
