package harmony

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// goroutines sharing one Encoding in the concurrency tests.
const goroutines = 12

// Many goroutines share one Encoding, each rendering and parsing every golden vector (in a
// different order) and streaming some; every result must equal the reference.
func TestConcurrentEncoding(t *testing.T) {
	enc, err := NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	renders := append(goldenVectors(t, "render"), goldenVectors(t, "render_message")...)
	parses := goldenVectors(t, "parse")
	streams := goldenVectors(t, "stream")

	errs := make(chan error, goroutines)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- concurrentWorker(enc, g, renders, parses, streams)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func concurrentWorker(enc *Encoding, g int, renders, parses, streams []goldenVector) error {
	for i := range renders {
		v := renders[(i+g*len(renders)/goroutines)%len(renders)]
		got, err := renderGoldenJSON(enc, v)
		if (err != nil) != (v.Error != nil) || (err == nil && !slices.Equal(got, v.Tokens)) {
			return fmt.Errorf("goroutine %d: %s: %v, %v", g, v.ID, got, err)
		}
	}
	for i := range parses {
		v := parses[(i+g*len(parses)/goroutines)%len(parses)]
		role, err := roleOf(v.Role)
		if err != nil {
			continue
		}
		js, err := enc.ParseJSON(v.Tokens, role, parseOpts(v.Strict)...)
		if (err != nil) != (v.Messages == nil) || (err == nil && string(js) != *v.Messages) {
			return fmt.Errorf("goroutine %d: %s: %s, %v", g, v.ID, js, err)
		}
	}
	for i := g; i < len(streams); i += goroutines {
		v := streams[i]
		role, _ := roleOf(v.Role)
		p, err := NewStreamParser(enc, role, parseOpts(v.Strict)...)
		if err != nil {
			return err
		}
		for _, tok := range v.Tokens {
			if p.Process(tok) != nil {
				break
			}
		}
		_ = p.ProcessEOS()
		js, err := p.MessagesJSON()
		p.Close()
		if err != nil || string(js) != *v.Messages {
			return fmt.Errorf("goroutine %d: %s: %s, %v", g, v.ID, js, err)
		}
	}
	return nil
}

// Close may race with calls in flight: each call either completes correctly or reports
// ErrClosed, and concurrent Closes release the handle once.
func TestConcurrentClose(t *testing.T) {
	for round := 0; round < 20; round++ {
		enc, err := NewEncoding()
		if err != nil {
			t.Fatal(err)
		}
		start, rendered := make(chan struct{}), make(chan struct{})
		var once sync.Once
		errs := make(chan error, 2*goroutines)
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 50; i++ {
					got, err := enc.RenderCompletionJSON([]byte(twoPlusTwoJSON), RoleAssistant)
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil || !slices.Equal(got, twoPlusTwo) {
						errs <- fmt.Errorf("render during Close: %v, %v", got, err)
						return
					}
					once.Do(func() { close(rendered) })
				}
			}()
			go func() {
				defer wg.Done()
				<-rendered // close while renders are in flight
				if err := enc.Close(); err != nil {
					errs <- err
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if _, err := enc.Encode("x", false); !errors.Is(err, ErrClosed) {
			t.Fatalf("after concurrent Close: %v", err)
		}
	}
}

// A StreamParser may move between goroutines (one at a time).
func TestConcurrentParserHandoff(t *testing.T) {
	enc := testEncoding(t)
	toks, err := enc.Encode("<|channel|>final<|message|>hand over<|return|>", true)
	if err != nil {
		t.Fatal(err)
	}
	p := newParser(t, enc, RoleAssistant)
	var text []byte
	for _, tok := range toks {
		done := make(chan error)
		go func() {
			err := p.Process(tok)
			text, _ = p.AppendLastDelta(text)
			done <- err
		}()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if string(text) != "hand over" {
		t.Errorf("streamed %q", text)
	}
}
