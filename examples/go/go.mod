module github.com/libharmony/libharmony/examples/go

go 1.22

require github.com/libharmony/libharmony/bindings/go v0.0.0

replace github.com/libharmony/libharmony/bindings/go => ../../bindings/go
