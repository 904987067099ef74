package authredirecttest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// redirected is the error [Kit.CheckRedirect] stops a client with: the
// server redirected to the contract's answer for an error, which codes.As
// finds through it and through the *url.Error that http.Client wraps it in.
type redirected struct{ err *codes.Error }

func (e *redirected) Error() string { return "redirected to " + wire(e.err) }
func (e *redirected) Unwrap() error { return e.err }

// CheckRedirect is an http.Client CheckRedirect policy for integration
// tests. It follows ordinary redirects (at most 10) and stops at the first
// whose Location names a contract parameter: when that redirect is exactly
// the contract's answer (see [Kit.Check]), the client's call returns that
// redirect's response, its Location the answer, and an error in which
// codes.As finds the contract's error; otherwise (another host or
// page, a 302, no no-store, a malformed query, 10 redirects without the
// contract's answer) an error wrapping [ErrNotContract] that says why.
// For example:
//
//	client.CheckRedirect = kit.CheckRedirect
//	_, err := client.Get(srv.URL + "/oauth/authorize?client_id=nope")
//	e, _ := codes.As(err) // unauthorized_client + client_id_not_found
//
// Called outside an http.Client (req.Response nil), it checks the URL alone.
func (k *Kit) CheckRedirect(req *http.Request, via []*http.Request) error {
	e, err := render.ParseQuery(req.URL.RawQuery)
	switch {
	case err == nil:
	case !namesContractParam(req.URL.RawQuery):
		// An ordinary redirect, perhaps with a query of its own that Go's
		// parser refuses, such as a client's callback with a ';' in its
		// state.
		if len(via) >= 10 {
			return fmt.Errorf("%w: stopped after 10 redirects without the contract's answer", ErrNotContract)
		}
		return nil
	default:
		return fmt.Errorf("%w: the redirect to %s: %w", ErrNotContract, req.URL, err)
	}

	resp := req.Response
	if resp == nil {
		if err := k.CheckLocation(req.URL.String(), e); err != nil {
			return err
		}
		return &redirected{e}
	}
	// The client discards this body after the policy returns; the check
	// reads it (an answer with a body is no contract redirect) and leaves
	// an equal one.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var d deviations
	k.compare(&d, resp.Request, k.expected(resp.Request, redirectForm, e), resp.StatusCode, resp.Header, body, e)
	if err := d.err(resp.Request, e); err != nil {
		return err
	}
	return &redirected{e}
}

// namesContractParam reports whether a raw query has a parameter named as
// one of the contract's, however its name is escaped.
func namesContractParam(rawQuery string) bool {
	for _, pair := range strings.FieldsFunc(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if isContractParam(name) {
			return true
		}
	}
	return false
}
