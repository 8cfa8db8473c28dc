package harmony_test

import (
	"encoding/json"
	"fmt"

	harmony "github.com/libharmony/libharmony/bindings/go"
)

// A Chat Completions server: render the request into a prompt, then stream the sampled
// completion back as chat.completion.chunk objects.
func ExampleChatStream() {
	enc, err := harmony.NewEncoding()
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	opts := &harmony.ChatOptions{ConversationStartDate: "2025-06-28", ID: "chatcmpl-42", Model: "gpt-oss-20b"}

	request := []byte(`{"model":"gpt-oss-20b","messages":[{"role":"user","content":"What is 2+2?"}]}`)
	prompt, err := enc.ChatRender(request, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println("prompt ends with <|start|>assistant:", prompt[len(prompt)-2] == harmony.TokenStart)

	// Tokens as a model samples them after the prompt.
	completion, _ := enc.Encode("<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>2+2 is 4.<|return|>", true)
	stream, err := harmony.NewChatStream(enc, opts)
	if err != nil {
		panic(err)
	}
	defer stream.Close()
	var chunk struct {
		Choices []struct {
			Delta        map[string]any `json:"delta"`
			FinishReason *string        `json:"finish_reason"`
		} `json:"choices"`
	}
	for _, tok := range completion {
		js, err := stream.Process(tok)
		if err != nil {
			panic(err)
		}
		if js == nil {
			continue // a header token
		}
		chunk.Choices = nil
		if err := json.Unmarshal(js, &chunk); err != nil {
			panic(err)
		}
		if c, ok := chunk.Choices[0].Delta["content"]; ok {
			fmt.Printf("content %q\n", c)
		}
	}
	last, err := stream.Finish()
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(last, &chunk); err != nil {
		panic(err)
	}
	fmt.Println("finish_reason:", *chunk.Choices[0].FinishReason)

	// The same completion in one piece.
	response, err := enc.ChatParse(completion, opts)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(response))
	// Output:
	// prompt ends with <|start|>assistant: true
	// content "2"
	// content "+"
	// content "2"
	// content " is"
	// content " "
	// content "4"
	// content "."
	// finish_reason: stop
	// {"id":"chatcmpl-42","object":"chat.completion","created":0,"model":"gpt-oss-20b","choices":[{"index":0,"message":{"role":"assistant","content":"2+2 is 4.","reasoning_content":"Easy."},"finish_reason":"stop"}]}
}
