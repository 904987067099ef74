package codes

// Detail is an exception detail, sent as exception_details beside a code.
// The zero Detail means "no detail".
type Detail struct{ id uint8 }

// NumDetails is how many exception details the contract has; [Detail.Index]
// is at most NumDetails.
const NumDetails = 4

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
	// by the renderer on request.
	TooManyRedirects = Detail{4}
)

// TooManyRedirectsNewSpelling is the newer public spelling of the loop detail.
const TooManyRedirectsNewSpelling = "too_many_redirects"

var detailTable = [...]struct {
	name        string
	description string
}{
	{},
	{"client_id_not_found", "The client id is wrong or no such client exists."},
	{"redirect_uri_not_set", "The client is misconfigured: it has no redirect URI."},
	{"invalid_redirect_uri", "The redirect URI is not one of the client's allowed redirect URIs."},
	{"to_many_redirects", "A redirect loop was detected: the client sent the browser back here too many times in a short while."},
}

// Index is 0 for the zero Detail (no detail) and d's position in [Details]
// plus one for the others, from 1 to 4: a table indexed by Index has room
// for "no detail". It is -1 for an invalid Detail.
func (d Detail) Index() int {
	if int(d.id) >= len(detailTable) {
		return -1
	}
	return int(d.id)
}

// Valid reports whether d is one of the four details (the zero Detail is not).
func (d Detail) Valid() bool { return d.id != 0 && int(d.id) < len(detailTable) }

// Name is the wire name of d, or "" for the zero Detail.
func (d Detail) Name() string {
	if int(d.id) >= len(detailTable) {
		return ""
	}
	return detailTable[d.id].name
}

// String is the wire name of d, or "none" for the zero Detail.
func (d Detail) String() string {
	if !d.Valid() {
		return "none"
	}
	return d.Name()
}

// Description explains d in a sentence; "" for the zero Detail.
func (d Detail) Description() string {
	if int(d.id) >= len(detailTable) {
		return ""
	}
	return detailTable[d.id].description
}

// Details returns the four details in the contract's order. The slice is new
// on every call.
func Details() []Detail {
	all := make([]Detail, 0, len(detailTable)-1)
	for id := 1; id < len(detailTable); id++ {
		all = append(all, Detail{uint8(id)})
	}
	return all
}

// LookupDetail returns the detail with the given wire name. Both spellings of
// the loop detail are accepted.
func LookupDetail(name string) (Detail, bool) {
	if name == TooManyRedirectsNewSpelling {
		return TooManyRedirects, true
	}
	for id := 1; id < len(detailTable); id++ {
		if detailTable[id].name == name {
			return Detail{uint8(id)}, true
		}
	}
	return Detail{}, false
}
