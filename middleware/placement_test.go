package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/justinas/alice"
	"github.com/stretchr/testify/assert"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// statusRecorder is what a logging or metrics middleware does: it wraps the
// writer and notes the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status *int
}

func (s statusRecorder) WriteHeader(code int) {
	*s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func recording(status *int) alice.Constructor {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(statusRecorder{w, status}, r)
		})
	}
}

// docs/guide.md: logging and metrics middlewares go above the route, where
// they see the answer the client got; below it they see only what the
// handler wrote, never the route's answer to its failure.
func TestPlacement_AboveTheRouteSeesTheAnswer(t *testing.T) {
	rec, _ := newRecover(t, testRoute{})
	var above, below int
	h := alice.New(recording(&above), rec, recording(&below)).Then(middleware.Wrap(func(http.ResponseWriter, *http.Request) error {
		return codes.UnauthorizedClient.With(codes.ClientIDNotFound)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/oauth/authorize?client_id=nope", nil))
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Equal(t, "https://accounts.example.com/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found", w.Header().Get("Location"))
	assert.Equal(t, http.StatusSeeOther, above, "a recorder above the route sees the 303 the client got")
	assert.Zero(t, below, "a recorder below the route sees nothing of the answer")
}
