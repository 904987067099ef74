package middleware_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/middleware"
)

// A multipart/form-data body is refused with invalid_request on a route
// guarded by UniqueParams, before it is read: UniqueParams could not see
// a parameter it repeats (client_id given twice, the handler reading one).
func TestUniqueParams_RefusesMultipartBody(t *testing.T) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("client_id", "demo"))
	require.NoError(t, mw.WriteField("client_id", "other"))
	require.NoError(t, mw.Close())

	rec, ev := newRecover(t, testRoute{})
	served := false
	h := rec(alice.New(middleware.ParseForm(0), middleware.UniqueParams()).Then(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served = true
		_, _ = io.WriteString(w, r.FormValue("client_id"))
	})))
	unread := bytes.NewReader(body.Bytes())
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", unread)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res := httptest.NewRecorder()
	h.ServeHTTP(res, req)
	assert.False(t, served, "the handler is not served")
	assert.Equal(t, http.StatusSeeOther, res.Code)
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=invalid_request", res.Header().Get("Location"))
	require.Len(t, ev.list(), 1)
	assert.Contains(t, ev.list()[0].Cause.Error(), "multipart")
	assert.Equal(t, body.Len(), unread.Len(), "the body was not read")
}
