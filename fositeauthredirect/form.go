package fositeauthredirect

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/middleware"
)

// ParseForm is [middleware.ParseForm] for fosite's endpoints, shaped like
// alice.Constructor: it fails a request whose body is multipart (a
// Content-Type of multipart/*), on every method, with invalid_request
// ("invalid HTTP body encoding") before reading any of it; then it bounds
// the body to maxBytes (middleware.DefaultMaxFormBytes when 0) and parses
// the form, as middleware.ParseForm does.
//
// fosite's NewAuthorizeRequest and NewAccessRequest parse a multipart
// body themselves, on GET too, and keep what exceeds 1 MiB in temporary
// files; a body refused here never reaches them. Put it before
// middleware.UniqueParams, which then sees the body's parameters as well
// as the query's.
func ParseForm(maxBytes int64) func(http.Handler) http.Handler {
	refuse, parse := middleware.Guard(refuseMultipart), middleware.ParseForm(maxBytes)
	return func(next http.Handler) http.Handler { return refuse(parse(next)) }
}

var errMultipart = errors.New("fositeauthredirect: multipart body refused")

// refuseMultipart reads the Content-Type as net/http's multipart reader
// does (the first header, its media type).
func refuseMultipart(_ http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && strings.HasPrefix(mt, "multipart/") {
		return codes.InvalidRequest.WithCause(errMultipart)
	}
	return nil
}
