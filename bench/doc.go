// Package bench measures authredirect against what its users would pick
// instead: go-chi's Recoverer, gorilla/handlers' RecoveryHandler, a
// context-slot error carrier, the naive url.Values redirect and ory/fosite's
// WriteAuthorizeError; and the observers: none, slog's and the
// OpenTelemetry one of module otelauthredirect. It is a module of its own so that the library's
// go.mod keeps only what the library needs.
//
//	cd bench && go test -bench . -benchmem
//
// BENCHMARKS.md at the repository root holds the figures of one run.
package bench
