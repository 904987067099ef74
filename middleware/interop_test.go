package middleware_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
	"github.com/authredirect/authredirect/render"
)

// A 401 answer must carry WWW-Authenticate (RFC 9110 §15.5.2), also when
// the loop guard answers the login page itself with the terminal page.
func TestRecoverer_LoginPageFailingInPlaceStillChallenges(t *testing.T) {
	rec, _ := newRecover(t, testRoute{Kind: codes.Authentication})
	res := serve(rec(failing(codes.IdentityLost)), http.MethodGet, "/") // the login page itself
	require.Equal(t, http.StatusUnauthorized, res.Code)
	assert.Equal(t, []string{`Bearer realm="accounts"`}, res.Header().Values("WWW-Authenticate"), "a 401 challenges (RFC 9110 §15.5.2)")
}

// A foreign middleware above the route whose writer has only Unwrap (what
// Go 1.20+ recommends): the handler flushes with http.ResponseController,
// which reaches net/http's writer through the Unwrap chain, bypassing the
// route's writer. The route then believes nothing was written.
func TestWriter_ResponseControllerFlushBeneathAForeignWrapperStarts(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	cw := newCountingWriter()
	fw := &flushCounting{countingWriter: cw}
	h := unwrapping(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		if err := http.NewResponseController(w).Flush(); err != nil {
			return err
		}
		return codes.InvalidScope
	})))
	aborts(t, h, fw, httptest.NewRequest(http.MethodGet, "/x", nil))
	require.Equal(t, 1, fw.flushes, "the flush reached the real writer")
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.Aborted, ev.list()[0].Outcome, "the response had started (flushed)")
	assert.Equal(t, 1, cw.writeHeaders, "no WriteHeader after the response started")
}

type flushCounting struct {
	*countingWriter
	flushes int
}

func (f *flushCounting) Flush() {
	f.flushes++
	if f.code == 0 {
		f.WriteHeader(http.StatusOK)
	}
}

// The same on a real server: after a flush through ResponseController the
// client got 200, and a panic is not cut: the client takes the partial
// response for a whole one.
func TestWriter_PanicAfterResponseControllerFlushIsCut(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	srv := httptest.NewUnstartedServer(unwrapping(rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = http.NewResponseController(w).Flush()
		panic("boom")
	}))))
	var logs syncBuffer
	srv.Config.ErrorLog = newLogger(&logs)
	srv.Start()
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	require.NoError(t, err)
	_, err = io.ReadAll(res.Body)
	res.Body.Close()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "status %d: the response must be cut after a panic", res.StatusCode)
	assert.NotContains(t, logs.String(), "superfluous")
}

// http.StripPrefix in front of the authentication routes: the login page
// "/auth/login" fails on GET; the route sees r.URL.Path "/login" and
// redirects to /auth/login: a loop.
func TestRecoverer_LoginPageBehindStripPrefixIsAnsweredInPlace(t *testing.T) {
	rec, ev := newRecover(t, testRoute{Kind: codes.Authentication,
		Render: pagesOf("https://accounts.example.com/ooops", "/auth/login")})
	inner := http.NewServeMux()
	inner.Handle("/login", rec(failing(codes.ServerError)))
	h := http.StripPrefix("/auth", inner)
	res := serve(h, http.MethodGet, "/auth/login")
	assert.Equal(t, http.StatusInternalServerError, res.Code, "Location %q redirects to the page itself", res.Header().Get("Location"))
	assert.Empty(t, res.Header().Values("Location"))
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.LoopStopped, ev.list()[0].Outcome)
}

// RFC 9110 §5.3: a field sent on several lines is one comma-separated list.
func TestRecoverer_NegotiateReadsEveryAcceptLine(t *testing.T) {
	neg, _ := newRecover(t, testRoute{Mode: middleware.ModeNegotiate})
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header["Accept"] = []string{"text/html;q=0.1", "application/json"}
	res := httptest.NewRecorder()
	neg(failing(codes.InvalidScope)).ServeHTTP(res, req)
	assert.Equal(t, http.StatusBadRequest, res.Code, "Location %q", res.Header().Get("Location"))
	assert.JSONEq(t, `{"error":"invalid_scope","error_description":"`+codes.InvalidScope.Description()+`"}`, res.Body.String())
}

// A server-side deadline set above the route (a per-request timeout
// middleware): the client is still there, but it gets an empty 200.
func TestRecoverer_ServerDeadlineIsNoClientGone(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	timeout := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), 10*time.Millisecond)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	srv := httptest.NewServer(timeout(rec(middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
		<-r.Context().Done() // a slow database query
		return r.Context().Err()
	}))))
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Get(srv.URL + "/oauth/authorize")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "body %q", body)
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=server_error", res.Header.Get("Location"))
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.Redirected, ev.list()[0].Outcome)
}

func pagesOf(errorPage, loginPage string) render.Config {
	return render.Config{ErrorPage: errorPage, LoginPage: loginPage}
}

// io.Copy of an empty body through net/http's writer (ReaderFrom) writes
// nothing, so net/http has not started the response; the route's writer marks it
// started anyway, and the failure is suppressed: the client gets an empty
// 200 instead of the redirect.
func TestWriter_EmptyReadFromDoesNotStart(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	srv := httptest.NewServer(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		if _, err := io.Copy(w, struct{ io.Reader }{strings.NewReader("")}); err != nil {
			return err
		}
		return codes.InvalidScope
	})))
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Get(srv.URL + "/x")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=invalid_scope", res.Header.Get("Location"))
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.Redirected, ev.list()[0].Outcome)
}

// hijackable is a writer whose Hijack succeeds, as net/http's HTTP/1 one
// does; after it, nothing may be written.
type hijackable struct {
	*countingWriter
	hijacks int
}

func (h *hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacks++
	return nil, nil, nil
}

// TestWriter_ResponseControllerHijackBeneathAForeignWrapperIsSeen: a
// foreign middleware above the route whose writer only has Unwrap hides
// Hijack from the route's writer; a handler that hijacks with
// http.ResponseController (as websocket libraries do) walks Unwrap. The
// route must still see the hijack, and write nothing after it.
func TestWriter_ResponseControllerHijackBeneathAForeignWrapperIsSeen(t *testing.T) {
	rec, ev := newRecover(t, testRoute{})
	hw := &hijackable{countingWriter: newCountingWriter()}
	h := unwrapping(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		_, ok := w.(http.Hijacker)
		require.False(t, ok, "the route's writer keeps the shape above it")
		if _, _, err := http.NewResponseController(w).Hijack(); err != nil {
			return err
		}
		return codes.InvalidScope // a handshake that failed after the hijack
	})))
	h.ServeHTTP(hw, httptest.NewRequest(http.MethodGet, "/x", nil))
	require.Equal(t, 1, hw.hijacks)
	require.Len(t, ev.list(), 1)
	assert.Equal(t, middleware.Suppressed, ev.list()[0].Outcome, "the connection was hijacked")
	assert.Zero(t, hw.writeHeaders, "nothing written after the hijack")
	assert.Empty(t, hw.Header().Values("Location"))
}

// headerFirst is a writer whose ReadFrom sends the header before it copies
// anything, as chi's WrapResponseWriter does, unlike net/http's.
type headerFirst struct{ *countingWriter }

func (h headerFirst) ReadFrom(r io.Reader) (int64, error) {
	if h.code == 0 {
		h.WriteHeader(http.StatusOK)
	}
	return io.Copy(h.countingWriter, r)
}

// TestWriter_EmptyCopyStartsNothingWhateverTheWriterBeneath: an empty copy
// must leave the response unstarted on every writer, so the route's answer
// is the one the client gets and the one the observer is told.
func TestWriter_EmptyCopyStartsNothingWhateverTheWriterBeneath(t *testing.T) {
	for name, newWriter := range map[string]func() (http.ResponseWriter, *countingWriter){
		"header first": func() (http.ResponseWriter, *countingWriter) {
			cw := newCountingWriter()
			return headerFirst{cw}, cw
		},
		"no ReaderFrom": func() (http.ResponseWriter, *countingWriter) {
			cw := newCountingWriter()
			return cw, cw
		},
	} {
		for _, body := range []string{"", "hello"} {
			rec, ev := newRecover(t, testRoute{})
			w, cw := newWriter()
			aborted := serveAborting(rec(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
				n, err := io.Copy(w, struct{ io.Reader }{strings.NewReader(body)})
				require.NoError(t, err)
				require.Equal(t, int64(len(body)), n)
				return codes.InvalidScope
			})), w, httptest.NewRequest(http.MethodGet, "/x", nil))
			require.Len(t, ev.list(), 1)
			assert.Equal(t, body != "", aborted, "%s %q: a started response is aborted", name, body)
			assert.Equal(t, 1, cw.writeHeaders, "%s %q: one WriteHeader", name, body)
			if body == "" {
				assert.Equal(t, middleware.Redirected, ev.list()[0].Outcome, name)
				assert.Equal(t, http.StatusSeeOther, cw.code, name)
			} else {
				assert.Equal(t, middleware.Aborted, ev.list()[0].Outcome, name)
				assert.Equal(t, http.StatusOK, cw.code, name)
				assert.Equal(t, body, string(cw.body), name)
			}
		}
	}
}

// TestWriter_UnwrapOffersHijackOnlyWhereAWriterBeneathHasIt: over writers
// none of which can hijack (HTTP/2's), Unwrap is the writer beneath itself,
// so no type check finds a Hijacker that is not there.
func TestWriter_UnwrapOffersHijackOnlyWhereAWriterBeneathHasIt(t *testing.T) {
	for name, tc := range map[string]struct {
		beneath    http.ResponseWriter
		wantHijack bool
	}{
		"nothing can hijack":        {unwrappingWrapper{fW{baseW{newCountingWriter()}}}, false},
		"a writer beneath can":      {unwrappingWrapper{&hijackable{countingWriter: newCountingWriter()}}, true},
		"the writer itself can, so": {&hijackable{countingWriter: newCountingWriter()}, false},
	} {
		rec, _ := newRecover(t, testRoute{})
		rec(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			u := w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
			_, hijacker := u.(http.Hijacker)
			if tc.wantHijack {
				assert.True(t, hijacker, name)
				assert.Equal(t, tc.beneath, u.(interface{ Unwrap() http.ResponseWriter }).Unwrap(), "%s: walking on reaches the writer", name)
			} else {
				assert.Equal(t, tc.beneath, u, "%s: the writer beneath itself", name)
			}
		})).ServeHTTP(tc.beneath, httptest.NewRequest(http.MethodGet, "/", nil))
	}
}
