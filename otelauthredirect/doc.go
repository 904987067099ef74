// Package otelauthredirect records the failures that authredirect's
// Recoverer answers on OpenTelemetry metrics and traces: a counter of failed
// requests by family, code, detail, outcome, route and method, and an error
// status plus an event on the request's span.
//
// It is a module of its own, so that the library itself depends on no
// OpenTelemetry package. Its observer composes with the slog one through
// middleware.Observers:
//
//	otelObs, err := otelauthredirect.New() // the global providers
//	if err != nil { ... }
//	rc, err := middleware.New(middleware.Config{
//		Pages:    render.Config{ErrorPage: "/ooops", LoginPage: "/login"},
//		Observer: middleware.Observers(otelObs, middleware.LogObserver(logger)),
//	})
//
// Causes (error texts, panic values and stacks) and request queries can
// hold secrets and are never recorded unless [WithRecordCauses] is given;
// queries are never recorded at all.
package otelauthredirect
