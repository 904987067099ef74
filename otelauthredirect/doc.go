// Package otelauthredirect records the failures that authredirect's
// Recoverer answers on OpenTelemetry metrics and traces: a counter of failed
// requests by family, code, detail, outcome, route and method, and an error
// status plus an event on the request's span. Its observer composes with the
// slog one through middleware.Observers. It is a module of its own, so that
// the library depends on no OpenTelemetry package. Causes (error texts,
// panic values, stacks) are recorded only with [WithRecordCauses]; request
// queries never.
package otelauthredirect
