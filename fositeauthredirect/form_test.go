package fositeauthredirect_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/fositeauthredirect"
	"github.com/authredirect/authredirect/middleware"
)

// counting is a request body that counts the bytes read from it.
type counting struct {
	r    io.Reader
	read int64
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	return n, err
}

func (c *counting) Close() error { return nil }

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// multipartBody is a multipart/form-data body with the authorization
// request's fields and a file of size bytes, made as it is read.
func multipartBody(size int64) (*counting, string) {
	head := "--b0undary\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\ndemo\r\n" +
		"--b0undary\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--b0undary--\r\n"
	return &counting{r: io.MultiReader(strings.NewReader(head), io.LimitReader(zeros{}, size), strings.NewReader(tail))},
		"multipart/form-data; boundary=b0undary"
}

// serveBody serves a request of method to path with body through srv's
// handler in process, so that the test sees how much of the body was read.
func serveBody(srv *testServer, method, path string, body *counting, contentType string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, body)
	r.Header.Set("Content-Type", contentType)
	r.SetBasicAuth("demo", demoSecret)
	w := httptest.NewRecorder()
	srv.Config.Handler.ServeHTTP(w, r)
	return w
}

// tempFiles lists the temporary directory the test set as TMPDIR.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// checkRefused asserts the contract's invalid_request: on the error page
// for the authorize endpoint, as JSON for the token endpoint.
func checkRefused(t *testing.T, w *httptest.ResponseRecorder, token bool) {
	t.Helper()
	if !token {
		assert.Equal(t, http.StatusSeeOther, w.Code)
		assert.Equal(t, "/ooops?oauth_exception=invalid_request", w.Header().Get("Location"))
		return
	}
	assert.Equal(t, http.StatusBadRequest, w.Code)
	var body map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
	assert.Equal(t, map[string]string{"error": "invalid_request", "error_description": codes.InvalidRequest.Description()}, body)
}

// TestParseForm_MultipartIsRefusedBeforeFositeReadsIt: fosite alone reads
// a multipart body whole, on GET too, and writes its file to a temporary
// file; through the adapter's wiring the request is invalid_request
// ("invalid HTTP body encoding") with not a byte of it read.
func TestParseForm_MultipartIsRefusedBeforeFositeReadsIt(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	srv := newServer(t, fositeauthredirect.Config{})
	const size = 3 << 20 // above fosite's 1 MiB in memory
	for _, tc := range []struct {
		method, endpoint string
		token            bool
	}{
		{http.MethodGet, "authorize", false},
		{http.MethodPost, "authorize", false},
		{http.MethodPost, "token", true},
	} {
		t.Run(tc.method+" "+tc.endpoint, func(t *testing.T) {
			query := ""
			if !tc.token {
				query = "?" + authorizeQuery()
			}
			body, ct := multipartBody(size)
			w := serveBody(srv, tc.method, "/oauth/"+tc.endpoint+query, body, ct)
			checkRefused(t, w, tc.token)
			assert.Zero(t, body.read, "bytes read before the refusal")
			assert.Empty(t, tempFiles(t, tmp))

			body, ct = multipartBody(size)
			serveBody(srv, tc.method, "/fosite/"+tc.endpoint+query, body, ct)
			assert.Greater(t, body.read, int64(size), "fosite alone reads it whole")
			if !tc.token {
				// A request served in process keeps its files: net/http's
				// server removes them after the handler, the disk filled first.
				assert.NotEmpty(t, tempFiles(t, tmp), "fosite alone writes the file to disk")
			}
			require.NoError(t, os.RemoveAll(tmp))
			require.NoError(t, os.Mkdir(tmp, 0o700))
		})
	}
}

// TestParseForm_LargeBodyIsRefused: an urlencoded body beyond the route's
// limit (middleware.DefaultMaxFormBytes) is invalid_request, read no
// further than the limit; fosite alone reads it whole.
func TestParseForm_LargeBodyIsRefused(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	pad := strings.Repeat("a", 1<<20)
	for _, tc := range []struct {
		endpoint, form string
		token          bool
	}{
		{"authorize", authorizeQuery() + "&pad=" + pad, false},
		{"token", "grant_type=authorization_code&code=x&pad=" + pad, true},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			body := &counting{r: strings.NewReader(tc.form)}
			w := serveBody(srv, http.MethodPost, "/oauth/"+tc.endpoint, body, "application/x-www-form-urlencoded")
			checkRefused(t, w, tc.token)
			assert.LessOrEqual(t, body.read, int64(middleware.DefaultMaxFormBytes+1))

			body = &counting{r: strings.NewReader(tc.form)}
			serveBody(srv, http.MethodPost, "/fosite/"+tc.endpoint, body, "application/x-www-form-urlencoded")
			assert.Equal(t, int64(len(tc.form)), body.read, "fosite alone reads it whole")
		})
	}
}

// TestParseForm_RepeatedAndWrong: a parameter repeated in the body, or
// given in the query and the body, and a method the authorize endpoint
// does not take (PUT) are invalid_request before fosite reads the request.
func TestParseForm_RepeatedAndWrong(t *testing.T) {
	srv := newServer(t, fositeauthredirect.Config{})
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, path, body string
		token                    bool
	}{
		{"authorize: repeated in the body", http.MethodPost, "/oauth/authorize", authorizeQuery() + "&client_id=nope", false},
		{"authorize: in the query and the body", http.MethodPost, "/oauth/authorize?client_id=demo", authorizeQuery(), false},
		{"authorize: PUT", http.MethodPut, "/oauth/authorize", authorizeQuery(), false},
		{"token: repeated in the body", http.MethodPost, "/oauth/token", "grant_type=refresh_token&refresh_token=a&refresh_token=b", true},
		{"token: in the query and the body", http.MethodPost, "/oauth/token?grant_type=refresh_token", "grant_type=refresh_token&refresh_token=a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serveBody(srv, tc.method, tc.path, &counting{r: strings.NewReader(tc.body)}, form)
			checkRefused(t, w, tc.token)
		})
	}
}
