package render

import (
	"net/http"
	"net/url"

	"github.com/authredirect/authredirect/codes"
)

// The tests of package render_test read what a Renderer negotiated and
// holds through these.

// Language is the language r serves req's page in.
func (r *Renderer) Language(req *http.Request) string { return r.language(req) }

// Languages lists the languages r serves.
func (r *Renderer) Languages() []string { return r.languages() }

// Message is the text of key in the language tag.
func (r *Renderer) Message(tag, key string) (string, bool) { return r.message(tag, key) }

// MessageKeys lists the keys every language must have.
var MessageKeys = messageKeys

// ErrMalformed is wrapped by ParseQuery's errors for a query that breaks the
// contract.
var ErrMalformed = errMalformed

// ParseLocation is ParseQuery on a URL's query.
func ParseLocation(location string) (*codes.Error, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, err
	}
	return ParseQuery(u.RawQuery)
}
