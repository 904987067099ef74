// Package render turns a contract error ([*codes.Error]) into the answer the
// accounts error contract prescribes, and reads such an answer back.
//
// A [Renderer] is built once from a [Config] and is then immutable and safe
// for concurrent use. It writes three kinds of answer:
//
//   - [Renderer.Redirect]: 303 See Other to the error page
//     (?oauth_exception=CODE[&exception_details=DETAIL]) or to the login page
//     (?identity_exception=CODE[&exception_details=DETAIL][&entity_id=ID]);
//   - [Renderer.JSON]: an RFC 6749 §5.2 style body with the code's status,
//     for back-channel endpoints;
//   - [Renderer.Page]: a terminal HTML page that never redirects.
//
// The page speaks to the person, not the developer: what happened and what
// to do next, in words from a catalog (English, German, Spanish, French,
// Polish, Brazilian Portuguese and Japanese built in; [PageConfig] adds
// or overrides), in the language negotiated from
// Accept-Language, with the ways forward of [PageConfig]. Applications
// render their own pages, such as a login form, from [Renderer.PageData].
// Only the page is localized: the redirect and the JSON never change with
// the language.
//
// [Config.Carry] lets an authentication redirect carry the request's own
// flow parameters back to the login page, so that a failed sign-in keeps
// its place.
//
// [ParseQuery] and [ParseLocation] read a redirect's query back into a
// [*codes.Error], refusing anything outside the contract.
//
// Nothing render writes ever holds an error's cause: only the code, the
// detail and a validated entity id reach the client.
package render
