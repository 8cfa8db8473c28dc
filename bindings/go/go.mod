module github.com/libharmony/libharmony/bindings/go

go 1.22
