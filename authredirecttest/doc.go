// Package authredirecttest tests an app against the accounts error
// contract, as net/http/httptest tests handlers: without a server, one line
// per expectation, and strictly: every check compares the answer on the
// wire (status, headers, Location, body) with what the library's renderer
// sends for the expected error, and lists each deviation. A [Kit], built
// for the app's pages ([New]), serves a handler behind its Recoverer
// ([Kit.Serve], [Kit.Authorization], [Kit.Authentication], [Kit.JSON]);
// [Kit.Check] compares the [Result] with the expected error;
// [Kit.CheckLocation], [Kit.CheckJSON] and [Kit.CheckRedirect] (an
// http.Client redirect policy) check answers a real client received; a
// [Browser] keeps cookies between requests, as a loop guard's count needs.
package authredirecttest
