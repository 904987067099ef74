// Package authredirecttest tests an app against the accounts error
// contract, as net/http/httptest tests handlers against HTTP: without a
// server, one line per expectation, and strictly: every check compares the
// answer on the wire (status, headers, Location, body) with what the
// library's own renderer sends for the expected error, and its failure
// lists each deviation, expected and found. It imports only the standard
// library and authredirect's own packages.
//
// A [Kit] is built for the pages the app sends errors to ([New]):
//
//   - [Kit.Serve] (or [Kit.Authorization], [Kit.Authentication],
//     [Kit.JSON]) runs a handler behind the Kit's Recoverer and returns
//     what the client received, with what the Recoverer did;
//   - [Kit.Check] says whether such a [Result] is exactly the contract's
//     answer for an expected error: the 303 redirect, the JSON answer, or
//     the terminal page in place when a redirect would loop;
//   - [Kit.CheckLocation] and [Kit.CheckJSON] check one redirect's
//     Location, or one JSON answer received by an http.Client;
//   - [Kit.CheckRedirect] is an http.Client redirect policy that stops at
//     a contract redirect, for integration tests against a running server;
//   - a [Browser] keeps cookies between the requests it serves, as a
//     browser does, so that a loop guard's count is one loop in a test.
package authredirecttest
