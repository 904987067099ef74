// Package fosite drives fositeauthredirect's example server with headless
// Chromium: an unknown client ends on the error page with the contract's
// parameters, and a successful sign-in reaches the client with a code. It
// is a module of its own, so that chromedp stays out of the adapter's
// go.mod.
package fosite
