// Package zitadel holds the browser test of zitadelauthredirect: headless
// Chromium against the adapter's example server. It is a module of its own
// so that chromedp does not enter the adapter's go.mod.
package zitadel
