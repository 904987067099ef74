// Package conformance checks a running accounts service against the
// accounts error contract from the outside, over HTTP, row by row: the
// authorization, token and login endpoints, each failure the contract
// names, the loop guard and open redirects. It is what
// cmd/authredirect-check runs, and runs as well inside go test against an
// httptest server or any URL.
//
// Every row names the contract's reason it checks and is PASS, FAIL
// (with what was expected and what came back, one line each) or SKIP
// (with why). Contract rows check what the contract and RFC 6749 say;
// with Config.Strict, a strict row beside each also checks authredirect's
// hardening policy, which a service built on this library passes.
//
// The package spells and parses the contract with codes and render, so
// what it expects is what the library itself sends.
package conformance
