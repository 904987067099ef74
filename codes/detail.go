package codes

// Detail is an exception detail, sent as exception_details beside a code.
// The zero Detail means "no detail".
type Detail struct{ id uint8 }

// The exception details of the contract.
var (
	// ClientIDNotFound: the client id is wrong or does not exist.
	ClientIDNotFound = Detail{1}
	// RedirectURINotSet: the client is misconfigured and has no redirect URI.
	RedirectURINotSet = Detail{2}
	// InvalidRedirectURI: the redirect URI is not one the client allows.
	InvalidRedirectURI = Detail{3}
	// TooManyRedirects: a redirect loop was detected. Its wire name is the
	// contract's own spelling, "to_many_redirects"; the newer spelling
	// "too_many_redirects" is accepted by [ParseDetail] and can be emitted
	// by the renderer on request (render.Config.TooManyRedirectsNewSpelling).
	TooManyRedirects = Detail{4}
)

type detailInfo struct {
	name        string
	description string
}

// detailTable is indexed by Detail.id; entry 0 is the zero Detail.
var detailTable = [...]detailInfo{
	{},
	{"client_id_not_found", "The client id is wrong or no such client exists."},
	{"redirect_uri_not_set", "The client is misconfigured: it has no redirect URI."},
	{"invalid_redirect_uri", "The redirect URI is not one of the client's allowed redirect URIs."},
	{"to_many_redirects", "A redirect loop was detected: the client sent the browser back here too many times in a short while."},
}

// Valid reports whether d is one of the four details (the zero Detail is not).
func (d Detail) Valid() bool { return d.id != 0 && int(d.id) < len(detailTable) }

// Name is the wire name of d, or "" for the zero Detail.
func (d Detail) Name() string { return d.info().name }

// String is the wire name of d, or "none" for the zero Detail.
func (d Detail) String() string {
	if !d.Valid() {
		return "none"
	}
	return d.Name()
}

// Description explains d in a sentence; "" for the zero Detail.
func (d Detail) Description() string { return d.info().description }

func (d Detail) info() *detailInfo {
	if !d.Valid() {
		return &detailTable[0]
	}
	return &detailTable[d.id]
}

// Details returns the four details in the contract's order. The slice is new
// on every call.
func Details() []Detail { return list(len(detailTable), func(id uint8) Detail { return Detail{id} }) }
