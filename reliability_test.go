package authredirect_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/loopguard"
	"github.com/authredirect/authredirect/middleware"
)

// loadServer serves every kind of request the load test mixes, each answer
// naming its request so that crossed responses show.
func loadServer(t *testing.T, obs *observed, slow *atomic.Int64) http.Handler {
	rc := newRecoverer(t, obs.observe)
	authz, authn := rc.Authorization, rc.Authentication
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}})
	require.NoError(t, err)
	guard, err := loopguard.New(loopguard.Config{Counter: counter})
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.Handle("/ok/{id}", alice.New(authz).Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		_, err := io.WriteString(w, "ok-"+r.PathValue("id"))
		return err
	})))
	mux.Handle("/typed/{id}", alice.New(authn).Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return nil
	})))
	mux.Handle("/typed/{id}/fail", alice.New(authn).Then(middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
		return codes.Unauthorized.WithEntityID("u-" + r.PathValue("id"))
	})))
	mux.Handle("/plain/{id}", alice.New(authz).Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return errors.New("plain failure " + secret)
	})))
	mux.Handle("/panic/{id}", alice.New(authz).Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		panic(secret)
	})))
	mux.Handle("/partial/{id}", alice.New(authz).Then(middleware.Wrap(func(w http.ResponseWriter, r *http.Request) error {
		_, _ = io.WriteString(w, "partial-"+r.PathValue("id"))
		http.NewResponseController(w).Flush()
		panic(secret)
	})))
	mux.Handle("/slow/{id}", alice.New(authz).Then(middleware.Wrap(func(_ http.ResponseWriter, r *http.Request) error {
		slow.Add(1) // a client may give up before its request reaches here
		<-r.Context().Done()
		return r.Context().Err()
	})))
	mux.Handle("/guard", alice.New(authz, guard.Middleware).Then(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})))
	return mux
}

// TestLoad_MixedFaults sends thousands of concurrent requests mixing every
// kind of success and failure; each answer must be its own request's.
func TestLoad_MixedFaults(t *testing.T) {
	obs := newObserved()
	var slow atomic.Int64
	srv := httptest.NewUnstartedServer(loadServer(t, obs, &slow))
	srv.Config.ErrorLog = quietLog()
	srv.Start()

	// Clients that give up get a transport of their own. net/http's
	// Transport returns a connection to its idle pool before it hands the
	// response to the request that used it; a request whose deadline has
	// already passed can take that connection and cancel it, and the first
	// request may then fail with the other one's "context deadline
	// exceeded" (seen about once in 24 runs on a loaded machine, traced
	// with httptrace: two requests on one connection). Apart, the requests
	// that must succeed never share a connection with one that gives up.
	giveUp := &http.Client{Transport: srv.Client().Transport.(*http.Transport).Clone()}
	defer giveUp.CloseIdleConnections()

	const workers, perWorker = 16, 150
	var partial, guardTrips atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar, Transport: srv.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			}}
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			guardArrivals := 0
			for i := 0; i < perWorker; i++ {
				id := fmt.Sprintf("%d-%d", w, i)
				switch kind := rnd.IntN(8); kind {
				case 0:
					res, body := fetch(t, client, srv.URL+"/ok/"+id)
					assert.Equal(t, http.StatusOK, res.StatusCode)
					assert.Equal(t, "ok-"+id, body)
				case 1:
					res, _ := fetch(t, client, srv.URL+"/typed/"+id+"/fail")
					assert.Equal(t, http.StatusSeeOther, res.StatusCode)
					assert.Equal(t, loginPage+"&identity_exception=unauthorized&entity_id=u-"+id, res.Header.Get("Location"))
				case 2:
					res, body := fetch(t, client, srv.URL+"/plain/"+id)
					assert.Equal(t, errorPage+"?oauth_exception=server_error", res.Header.Get("Location"))
					assert.NotContains(t, body, secret)
				case 3:
					res, body := fetch(t, client, srv.URL+"/panic/"+id)
					assert.Equal(t, errorPage+"?oauth_exception=server_error", res.Header.Get("Location"))
					assert.NotContains(t, body, secret)
				case 4:
					res, err := client.Get(srv.URL + "/partial/" + id)
					if assert.NoError(t, err) {
						body, readErr := io.ReadAll(res.Body)
						res.Body.Close()
						assert.Error(t, readErr, "the connection is cut after a partial write")
						assert.Equal(t, "partial-"+id, string(body), "nothing written after the start")
						assert.Empty(t, res.Header.Get("Location"))
					}
					partial.Add(1)
				case 5:
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/slow/"+id, nil)
					_, err := giveUp.Do(req)
					cancel()
					assert.ErrorIs(t, err, context.DeadlineExceeded)
				default:
					guardArrivals++
					res, _ := fetch(t, client, srv.URL+"/guard?client_id=c-"+fmt.Sprint(w))
					if guardArrivals <= 3 {
						assert.Equal(t, http.StatusNoContent, res.StatusCode, "arrival %d", guardArrivals)
					} else {
						assert.Equal(t, errorPage+"?oauth_exception=invalid_request&exception_details=to_many_redirects", res.Header.Get("Location"))
						guardTrips.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	// Once, after every worker: on a shared Transport, CloseIdleConnections
	// also cancels dials in progress, which other workers may be waiting for.
	srv.Client().CloseIdleConnections()
	require.Eventually(t, func() bool { return obs.count(middleware.ClientGone) == int(slow.Load()) }, 5*time.Second, 10*time.Millisecond,
		"every client that went away is observed as gone (%d of %d)", obs.count(middleware.ClientGone), slow.Load())
	assert.Equal(t, int(partial.Load()), obs.count(middleware.Aborted), "every partial write is aborted, once")
	assert.Positive(t, guardTrips.Load())
	srv.Close() // returns once every handler has
}

func fetch(t *testing.T, client *http.Client, target string) (*http.Response, string) {
	t.Helper()
	res, err := client.Get(target)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

// HTTP/2: the redirect arrives whole, and Hijack is refused cleanly.
func TestHTTP2(t *testing.T) {
	rec := newRecoverer(t, middleware.Quiet).Authorization
	var hijackErr error
	var isHijacker bool
	mux := http.NewServeMux()
	mux.Handle("/fail", alice.New(rec).Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.UnauthorizedClient.With(codes.InvalidRedirectURI)
	})))
	mux.Handle("/hijack", alice.New(rec).Then(middleware.Wrap(func(w http.ResponseWriter, _ *http.Request) error {
		_, isHijacker = w.(http.Hijacker)
		_, _, hijackErr = http.NewResponseController(w).Hijack()
		return codes.ServerError.WithCause(hijackErr)
	})))
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	res, err := client.Get(srv.URL + "/fail")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 2, res.ProtoMajor)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, errorPage+"?oauth_exception=unauthorized_client&exception_details=invalid_redirect_uri", res.Header.Get("Location"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, "no-cache", res.Header.Get("Pragma"))
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))

	res, err = client.Get(srv.URL + "/hijack")
	require.NoError(t, err)
	res.Body.Close()
	assert.False(t, isHijacker, "an HTTP/2 writer offers no Hijack")
	assert.ErrorIs(t, hijackErr, http.ErrNotSupported)
	assert.Equal(t, errorPage+"?oauth_exception=server_error", res.Header.Get("Location"))
	require.NotNil(t, res.TLS)
	assert.Equal(t, uint16(tls.VersionTLS13), res.TLS.Version, "HTTP/2 as browsers speak it: over TLS 1.3")
}

// Oversized input gets the contract's answer, and memory stays bounded.
func TestOversizedInput(t *testing.T) {
	authn := newRecoverer(t, middleware.Quiet).Authentication
	counter, err := loopguard.NewCookieCounter(loopguard.CookieConfig{Keys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")}})
	require.NoError(t, err)
	guard, err := loopguard.New(loopguard.Config{Counter: counter})
	require.NoError(t, err)
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	mux := http.NewServeMux()
	mux.Handle("/signin", alice.New(authn, middleware.ParseForm(1024), middleware.UniqueParams()).ThenFunc(ok)) // not the login page itself
	mux.Handle("/guard", alice.New(authn, guard.Middleware).ThenFunc(ok))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	invalid := loginPage + "&identity_exception=invalid_request"

	many := url.Values{}
	for i := 0; i < 5000; i++ {
		many.Set(fmt.Sprintf("p%d", i), "v")
	}
	res, _ := fetch(t, client, srv.URL+"/signin?"+many.Encode())
	assert.Equal(t, http.StatusNoContent, res.StatusCode, "5000 distinct parameters are fine")
	res, _ = fetch(t, client, srv.URL+"/signin?"+many.Encode()+"&p1=again")
	assert.Equal(t, invalid, res.Header.Get("Location"), "one repeated among thousands")

	huge := strings.Repeat("a", 600<<10)
	res, _ = fetch(t, client, srv.URL+"/signin?q="+huge)
	assert.Equal(t, http.StatusNoContent, res.StatusCode, "a 600 KiB query within net/http's header limit")

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/guard?client_id=demo", nil)
	req.Header.Set("Cookie", "authredirect_loop="+strings.Repeat("A", 64<<10))
	res, err = client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNoContent, res.StatusCode, "a huge loop cookie counts as nothing")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const bodies, size = 10, 8 << 20
	for i := 0; i < bodies; i++ {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/signin", io.LimitReader(endlessA{}, size))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
			assert.Equal(t, invalid, res.Header.Get("Location"), "a body over the form limit")
		}
	}
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(bodies*size/4), "the server read far less than the %d MiB sent", bodies*size>>20)
}

// endlessA is an endless form body of 'a'.
type endlessA struct{}

func (endlessA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// Security: whatever the request says, redirects go only to the configured
// pages, and carry none of the request's own values.
func TestSecurity_NoOpenRedirectNoReflection(t *testing.T) {
	rc := newRecoverer(t, middleware.Quiet)
	for _, mode := range []middleware.Mode{middleware.ModeRedirect, middleware.ModeNegotiate} {
		rec := rc.Route(codes.Authorization, mode)
		srv := httptest.NewServer(alice.New(rec).Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
			return codes.InvalidScope
		})))
		client := srv.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		query := url.Values{
			"redirect_uri": {"https://evil.example/cb"}, "next": {"//evil.example/"},
			"oauth_exception": {"access_denied"}, "exception_details": {"client_id_not_found"},
			"client_secret": {"hunter2"}, "code": {"c0de-123"}, "refresh_token": {"rt-secret"},
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/oauth/authorize?"+query.Encode(), nil)
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("Forwarded", "host=evil.example")
		req.Header.Set("Referer", "https://evil.example/")
		res, err := client.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		srv.Close()
		assert.Equal(t, errorPage+"?oauth_exception=invalid_scope", res.Header.Get("Location"))
		for _, v := range []string{"evil", "hunter2", "c0de", "rt-secret", "access_denied", "client_id_not_found"} {
			assert.NotContains(t, fmt.Sprint(res.Header)+string(body), v)
		}
	}
}
