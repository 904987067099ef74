package middleware

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/internal/query"
)

// The request guards turn the contract's "possible reasons" into checks
// that run before a handler, each a middleware shaped like
// alice.Constructor (AllowMethods, ParseForm, UniqueParams,
// AllowResponseTypes, AllowGrantTypes); Guard makes one of any other
// check. A malformed request fails with codes.InvalidRequest, which the
// route's family decides: on an authentication route it is the
// identity_exception invalid_request.

// Guard makes a middleware shaped like alice.Constructor of a check that
// runs before a handler: Guard(check)(next) calls check and, when it
// returns an error, hands that error to the Recoverer above exactly as
// [Wrap] would (next is not served); when it returns nil, it serves next.
// Every check-then-fail middleware of authredirect, the loop guard's
// included, is built with it.
func Guard(check func(http.ResponseWriter, *http.Request) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := check(w, r); err != nil {
				handUp(w, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// DefaultMaxFormBytes bounds a form body when ParseForm is given 0.
const DefaultMaxFormBytes = 64 << 10

// AllowMethods fails a request whose method is not one of methods with
// invalid_request ("wrong HTTP method"). Use it instead of a method in a
// ServeMux pattern ("GET /oauth/authorize"), for which ServeMux answers
// other methods with its own plain 405 instead of the contract's
// invalid_request.
func AllowMethods(methods ...string) func(http.Handler) http.Handler {
	methods = slices.Clone(methods)
	return Guard(func(_ http.ResponseWriter, r *http.Request) error {
		if slices.Contains(methods, r.Method) {
			return nil
		}
		return codes.InvalidRequest.WithCause(errors.New("wrong HTTP method " + r.Method))
	})
}

// ParseForm parses a form body of at most maxBytes (DefaultMaxFormBytes
// when 0) into r.PostForm and r.Form, failing with invalid_request
// ("invalid HTTP body encoding") when it is too large or does not parse,
// or when the query does not. A multipart body fails, on any method,
// before a byte of it is read: the contract's endpoints take none, and a
// library below that parses one itself (fosite does, on GET too) keeps it
// in memory and temporary files. The handler finds the form parsed.
func ParseForm(maxBytes int64) func(http.Handler) http.Handler {
	return Guard(func(w http.ResponseWriter, r *http.Request) error { return parseForm(w, r, maxBytes) })
}

func parseForm(w http.ResponseWriter, r *http.Request, maxBytes int64) error {
	if err := refuseMultipart(r); err != nil {
		return err
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxFormBytes
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	}
	if err := r.ParseForm(); err != nil {
		return codes.InvalidRequest.WithCause(err)
	}
	return nil
}

// UniqueParams fails with invalid_request when the query is malformed
// (bad escaping, a ';', more parameters than net/url accepts: anything
// r.URL.Query() would silently drop), or when one of names (every
// parameter when none are named) is given more than once in the query or,
// once the form is parsed (put [ParseForm] first), in the body, or in both.
// A multipart body (Content-Type multipart/...) fails with invalid_request
// before it is read: ParseForm leaves it unparsed, and a handler's
// r.FormValue would read a parameter repeated in it unseen.
func UniqueParams(names ...string) func(http.Handler) http.Handler {
	names = slices.Clone(names)
	return Guard(func(_ http.ResponseWriter, r *http.Request) error {
		if err := refuseMultipart(r); err != nil {
			return err
		}
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return codes.InvalidRequest.WithCause(err)
		}
		watched := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }
		for _, pair := range [2][2]url.Values{{query, r.PostForm}, {r.PostForm, query}} {
			for name, values := range pair[0] {
				if watched(name) && len(values)+len(pair[1][name]) > 1 {
					return codes.InvalidRequest.WithCause(errors.New("parameter given more than once: " + name))
				}
			}
		}
		return nil
	})
}

// AllowResponseTypes fails with unsupported_response_type when the
// response_type query parameter is not one of allowed (default "code" and
// "token"), and with invalid_request when it is missing. It reads the
// parameter as r.URL.Query().Get does.
func AllowResponseTypes(allowed ...string) func(http.Handler) http.Handler {
	allowed = slices.Clone(allowed)
	if len(allowed) == 0 {
		allowed = []string{"code", "token"}
	}
	return Guard(func(_ http.ResponseWriter, r *http.Request) error {
		switch rt := query.Get(r.URL.RawQuery, "response_type"); {
		case rt == "":
			return codes.InvalidRequest.WithCause(errors.New("response_type is missing"))
		case !slices.Contains(allowed, rt):
			return codes.UnsupportedResponseType
		}
		return nil
	})
}

// AllowGrantTypes fails with unsupported_grant_type when the grant_type
// form parameter is not exactly one of enabled, and with invalid_request
// when it is missing or the form does not parse. It reads the parameter as
// r.PostForm.Get does, untrimmed, so that what it accepts is what the
// handler reads; it parses the form (as [ParseForm] with 0) if no guard
// before it has.
func AllowGrantTypes(enabled ...string) func(http.Handler) http.Handler {
	enabled = slices.Clone(enabled)
	return Guard(func(w http.ResponseWriter, r *http.Request) error {
		if r.PostForm == nil {
			if err := parseForm(w, r, 0); err != nil {
				return err
			}
		}
		switch gt := r.PostForm.Get("grant_type"); {
		case gt == "":
			return codes.InvalidRequest.WithCause(errors.New("grant_type is missing"))
		case !slices.Contains(enabled, gt):
			return codes.UnsupportedGrantType
		}
		return nil
	})
}

// refuseMultipart fails a request whose body is multipart (its
// Content-Type read as net/http's multipart reader reads it) with
// invalid_request, before anything reads the body: r.ParseForm leaves such
// a body unparsed, so a parameter repeated in it would go unseen.
func refuseMultipart(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && strings.HasPrefix(mt, "multipart/") {
		return codes.InvalidRequest.WithCause(errors.New("a multipart body is not accepted"))
	}
	return nil
}
