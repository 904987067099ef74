// Package authredirect is the home of a net/http middleware library that
// answers every failure of an accounts or OAuth 2.0 service with the
// accounts error contract's redirect.
//
// The library lives in three packages, each importing only those before it:
//
//   - [github.com/authredirect/authredirect/codes]: the error vocabulary;
//   - [github.com/authredirect/authredirect/render]: the wire format;
//   - [github.com/authredirect/authredirect/middleware]: Wrap, Recover and
//     the guards.
//
// This root package holds no code; its tests are the end-to-end conformance
// suite of the whole contract.
package authredirect
