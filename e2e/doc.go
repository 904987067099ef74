// Package e2e tests the example accounts server the way its users meet it:
// the built binary, a standard OAuth 2.0 client library and a real browser
// (headless Chromium), with axe-core checking the pages' accessibility and
// screenshots in testdata/artifacts. It is a module of its own so that the library's
// go.mod does not carry the browser driver.
package e2e
