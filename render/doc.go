// Package render turns a contract error ([*codes.Error]) into the answer the
// accounts error contract prescribes, and reads such an answer back. A
// [Renderer], built once from a [Config], is immutable and safe for
// concurrent use; it writes a 303 to the error or login page
// ([Renderer.Redirect]), an RFC 6749 §5.2 JSON body ([Renderer.JSON]), or a
// terminal HTML page for people that never redirects ([Renderer.Page]), in
// the language negotiated from Accept-Language (seven built in;
// [PageConfig] adds or overrides words). [Config.Carry] carries a sign-in's
// own flow parameters back to the login page. [ParseQuery] reads a
// redirect's query back, refusing anything outside the contract. Nothing render writes holds an error's cause.
package render
