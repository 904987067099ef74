// Package authredirect is the home of a net/http middleware library that
// answers every failure of an accounts or OAuth 2.0 service with the
// accounts error contract's redirect.
//
// The library lives in five packages, each importing only those before it:
//
//   - [github.com/authredirect/authredirect/codes]: the error vocabulary;
//   - [github.com/authredirect/authredirect/render]: the wire format;
//   - [github.com/authredirect/authredirect/middleware]: the error flow
//     (New and its Recoverer routes, Wrap, Guard, the request guards, the
//     observer);
//   - [github.com/authredirect/authredirect/loopguard]: the loop guard and
//     its cookie and memory counters;
//   - [github.com/authredirect/authredirect/authredirecttest]: a test kit
//     for your own handlers.
//
// Modules of their own keep their dependencies out of the library's go.mod:
// loopguard/redisguard (the loop guard's counter on Redis),
// otelauthredirect (OpenTelemetry metrics and traces), and the adapters
// zitadelauthredirect and fositeauthredirect (zitadel/oidc's op and fosite
// answering with the contract).
//
// This root package holds no code; its tests are the end-to-end conformance
// suite of the whole contract.
package authredirect
