// Package otelauthredirect records the failures that authredirect's
// Recover answers on OpenTelemetry metrics and traces: a counter of failed
// requests by family, code, detail, outcome, route and method, and an error
// status plus an event on the request's span.
//
// It is a module of its own, so that the library itself depends on no
// OpenTelemetry package. Its observer composes with the slog one: give
// Recover a function that calls both.
//
//	otelObs, err := otelauthredirect.New() // the global providers
//	if err != nil { ... }
//	logObs := middleware.LogObserver(logger)
//	rec, err := middleware.Recover(middleware.Config{
//		Renderer: r,
//		Observer: func(ev middleware.Event) { otelObs(ev); logObs(ev) },
//	})
//
// Causes (error texts, panic values and stacks) and request queries can
// hold secrets and are never recorded unless [WithRecordCauses] is given;
// queries are never recorded at all.
package otelauthredirect
