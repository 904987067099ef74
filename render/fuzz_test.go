package render_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// FuzzParseQuery: parsing never panics, and whatever it accepts renders back
// to a Location that parses to the same error and renders the same again.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"oauth_exception=invalid_request",
		"oauth_exception=unauthorized_client&exception_details=client_id_not_found",
		"identity_exception=unauthorized&entity_id=u-jane",
		"identity_exception=invalid_request&exception_details=too_many_redirects&entity_id=a.b",
		"oauth_exception=invalid_scope&oauth_exception=invalid_scope",
		"oauth_exception=x&identity_exception=y", "lang=en&oauth_exception=server_error",
		"%zz", "entity_id=%00", "identity_exception=unauthorized&entity_id=%3Cscript%3E", "",
	} {
		f.Add(seed)
	}
	renderers := []*render.Renderer{newRenderer(f, render.Config{}), newRenderer(f, render.Config{TooManyRedirectsNewSpelling: true, ErrorPage: "/ooops?lang=en"})}
	f.Fuzz(func(t *testing.T, query string) {
		e, err := render.ParseQuery(query)
		if err != nil {
			return
		}
		for _, r := range renderers {
			loc := r.Location(e)
			back, err := render.ParseLocation(loc)
			if err != nil {
				t.Fatalf("%q rendered to %q, which does not parse: %v", query, loc, err)
			}
			if back.Code() != e.Code() || back.Detail() != e.Detail() || back.EntityID() != e.EntityID() {
				t.Fatalf("%q: round trip through %q changed the error", query, loc)
			}
			if again := r.Location(back); again != loc {
				t.Fatalf("%q: %q rendered again as %q", query, loc, again)
			}
		}
	})
}

// FuzzLocation: for any target the configuration accepts and any entity id,
// the Location is the target (scheme, host, path and own query kept) plus
// exactly the expected parameters, with no CR, LF or NUL anywhere.
func FuzzLocation(f *testing.F) {
	f.Add("https://accounts.livechatinc.com/ooops", "u-jane", uint8(12), uint8(1))
	f.Add("/login?lang=en", "x\r\nSet-Cookie: a=b", uint8(13), uint8(4))
	f.Add("http://127.0.0.1:8080/", "", uint8(0), uint8(0))
	f.Add("https://example.com/a%20b?x=%2F", "a.b_c-", uint8(16), uint8(3))
	f.Fuzz(func(t *testing.T, target, entityID string, codeIdx, detailIdx uint8) {
		r, err := render.New(render.Config{ErrorPage: target, LoginPage: target})
		if err != nil {
			return
		}
		all := codes.All()
		details := allDetails()
		c, d := all[int(codeIdx)%len(all)], details[int(detailIdx)%len(details)]
		loc := r.Location(c.With(d).WithEntityID(entityID))
		if strings.ContainsAny(loc, "\r\n\x00") {
			t.Fatalf("control character in %q", loc)
		}
		want, _ := url.Parse(target)
		got, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("%q does not parse: %v", loc, err)
		}
		if got.Scheme != want.Scheme || got.Host != want.Host || got.Path != want.Path || got.User != nil || got.Fragment != "" {
			t.Fatalf("%q is not at target %q", loc, target)
		}
		q := got.Query()
		own, _ := url.ParseQuery(want.RawQuery)
		for k, v := range own {
			if strings.Join(q[k], "\x00") != strings.Join(v, "\x00") {
				t.Fatalf("%q lost the target's own %s", loc, k)
			}
		}
		expect := map[string]string{c.Kind().Param(): c.Name()}
		if d.Valid() {
			expect["exception_details"] = d.Name()
		}
		if c == codes.Unauthorized && codes.Unauthorized.WithEntityID(entityID).EntityID() != "" {
			expect["entity_id"] = entityID
		}
		for _, p := range []string{"oauth_exception", "identity_exception", "exception_details", "entity_id"} {
			if want, ok := expect[p]; ok {
				if len(q[p]) != 1 || q[p][0] != want {
					t.Fatalf("%q: %s is %q, want %q", loc, p, q[p], want)
				}
			} else if q.Has(p) {
				t.Fatalf("%q has an unexpected %s", loc, p)
			}
		}
	})
}

// validTarget is render.New's verdict on raw as the error page.
func validTarget(raw string) error {
	_, err := render.New(render.Config{ErrorPage: raw, LoginPage: "/"})
	return err
}

// FuzzValidateTarget: a target is accepted only as an absolute http(s) URL
// with a host, or an absolute path; no userinfo, no fragment, no space or
// control character.
func FuzzValidateTarget(f *testing.F) {
	for _, seed := range []string{"/", "/ooops", "https://a.example/x?y=1", "//evil", "javascript:x", "https://u@h/", "/#f", "http:///", "ooops", "HTTP://H/"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if validTarget(raw) != nil {
			return
		}
		if strings.ContainsAny(raw, "#\\ \t\r\n\x00") || strings.HasPrefix(raw, "//") {
			t.Fatalf("accepted %q with a fragment, backslash, space, control character or leading //", raw)
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse", raw)
		}
		switch {
		case u.User != nil:
			t.Fatalf("accepted userinfo in %q", raw)
		case u.Scheme == "" && (u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(raw, "//")):
			t.Fatalf("accepted %q: not an absolute path", raw)
		case u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https":
			t.Fatalf("accepted scheme %q", u.Scheme)
		case u.Scheme != "" && u.Hostname() == "":
			t.Fatalf("accepted %q without a host", raw)
		}
	})
}
