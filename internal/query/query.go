// Package query reads parameters out of a raw URL query as net/url's
// ParseQuery reads them, without building a url.Values: the library's
// readers of one request (the loop guard's client, the carried flow, the
// page's language) each want a few names, and a map of every parameter,
// built again by each of them, cost a large query one allocation per
// parameter per reader.
package query

import (
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"sync"
)

// fewParams is the most parameters read pair by pair: a substring search
// per name costs more on a short query, whose letters start many false
// matches (BenchmarkPick).
const fewParams = 16

// defaultMaxParams is net/url's own bound on the parameters of a query
// unless GODEBUG urlmaxqueryparams sets another.
const defaultMaxParams = 10000

// Pick reads names out of raw: first[i] gets the first value of names[i]
// and count[i] how many values it has, exactly as url.ParseQuery(raw)
// would give them (first and count must be as long as names). ok is false
// when url.ParseQuery would report an error (a ';', bad escaping, more
// parameters than net/url accepts); the values read are then those that
// url.URL.Query would still return.
func Pick(raw string, names, first []string, count []int) (ok bool) {
	n := strings.Count(raw, "&") + 1
	if !withinMax(n) {
		return false // url.ParseQuery returns no values at all
	}
	// Most queries have no ';' and only good escapes: then no pair needs
	// checking, and only a key with an escape needs unescaping, which the
	// next '%' and '+' in raw tell without looking at every key.
	checked := strings.IndexByte(raw, ';') < 0 && validEscapes(raw)
	if checked && n > fewParams && plain(names) && plainKeys(raw) {
		// No key to unescape: each name is found where it stands, which
		// skips the parameters between at the speed of a substring search.
		for i, name := range names {
			find(raw, name, &first[i], &count[i])
		}
		return true
	}
	pct, plus := next(raw, 0, '%'), next(raw, 0, '+')
	ok = true
	for start := 0; start < len(raw); {
		end := next(raw, start, '&')
		pair := raw[start:end]
		at := start
		start = end + 1
		if !checked && strings.IndexByte(pair, ';') >= 0 {
			ok = false
			continue
		}
		if pair == "" {
			continue
		}
		for pct < at {
			pct = next(raw, pct+1, '%')
		}
		for plus < at {
			plus = next(raw, plus+1, '+')
		}
		if checked && min(pct, plus) >= end {
			// Nothing to unescape: the key is the pair up to '=', compared
			// as it is, without looking for the '=' first.
			for i, name := range names {
				if len(pair) < len(name) || len(name) > 0 && pair[0] != name[0] || pair[:len(name)] != name || len(pair) > len(name) && pair[len(name)] != '=' {
					continue
				}
				if count[i]++; count[i] == 1 {
					first[i] = pair[min(len(name)+1, len(pair)):]
				}
			}
			continue
		}
		key, value := pair, ""
		if i := strings.IndexByte(pair, '='); i >= 0 {
			key, value = pair[:i], pair[i+1:]
		}
		if !checked && (!validEscapes(key) || !validEscapes(value)) {
			ok = false
			continue
		}
		escaped := min(pct, plus) < at+len(key)
		for i, name := range names {
			if key != name && (!escaped || unescape(key) != name) {
				continue
			}
			if count[i]++; count[i] == 1 {
				first[i] = unescape(value)
			}
		}
	}
	return ok
}

// plain reports whether every name is non-empty and has nothing that
// unescapes ('%', '+').
func plain(names []string) bool {
	for _, name := range names {
		if name == "" || strings.IndexByte(name, '%') >= 0 || strings.IndexByte(name, '+') >= 0 {
			return false
		}
	}
	return true
}

// plainKeys reports whether no key of raw has a '%' or a '+': each of
// them is in a value.
func plainKeys(raw string) bool {
	pct, plus := next(raw, 0, '%'), next(raw, 0, '+')
	for {
		q := min(pct, plus)
		if q == len(raw) {
			return true
		}
		start := strings.LastIndexByte(raw[:q], '&') + 1
		if strings.IndexByte(raw[start:q], '=') < 0 {
			return false // no '=' before it in its pair: it is in the key
		}
		end := next(raw, q, '&') // the rest of the pair is value
		if pct < end {
			pct = next(raw, end, '%')
		}
		if plus < end {
			plus = next(raw, end, '+')
		}
	}
}

// find adds to count the parameters of raw named name and sets first to
// the first one's value, for a raw with no ';', good escapes and plain
// keys, and a plain name: a key is then name exactly where name starts a
// pair and ends at its '=' or end.
func find(raw, name string, first *string, count *int) {
	for off := 0; off < len(raw); {
		j := strings.Index(raw[off:], name)
		if j < 0 {
			return
		}
		at, end := off+j, off+j+len(name)
		off = at + 1
		if at > 0 && raw[at-1] != '&' || end < len(raw) && raw[end] != '=' && raw[end] != '&' {
			continue
		}
		if *count++; *count == 1 {
			if end < len(raw) && raw[end] == '=' {
				*first = unescape(raw[end+1 : next(raw, end+1, '&')])
			} else {
				*first = ""
			}
		}
	}
}

// next is the index of the first c in raw from i on, or len(raw).
func next(raw string, i int, c byte) int {
	if j := strings.IndexByte(raw[i:], c); j >= 0 {
		return i + j
	}
	return len(raw)
}

// Get is the first value of name in raw, as url.URL.Query().Get(name)
// returns it.
func Get(raw, name string) string {
	if raw == "" {
		return "" // whatever the bound on parameters: nothing to read
	}
	var first [1]string
	var count [1]int
	Pick(raw, []string{name}, first[:], count[:])
	return first[0]
}

// withinMax reports whether net/url parses a query of n parameters. Only
// a count past its default bound, or a bound that GODEBUG sets, needs
// net/url's own answer, which an empty query of as many parameters gives
// (a bound of 1 refuses even one parameter, and the empty query).
func withinMax(n int) bool {
	if n <= defaultMaxParams && !maxParamsSet() {
		return true
	}
	return netURLParses(n)
}

// maxParamsSet reports whether GODEBUG sets urlmaxqueryparams: in the
// environment, read on every call as net/url reads it, or built into the
// program by go.mod's godebug lines or //go:debug directives (a limit of
// 0, none, is what an older go line builds in, and needs no answer).
func maxParamsSet() bool {
	return strings.Contains(os.Getenv("GODEBUG"), "urlmaxqueryparams") || builtInMaxParams()
}

var builtInMaxParams = sync.OnceValue(func() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "DefaultGODEBUG" {
			for setting := range strings.SplitSeq(s.Value, ",") {
				if v, ok := strings.CutPrefix(setting, "urlmaxqueryparams="); ok && v != "0" {
					return true
				}
			}
		}
	}
	return false
})

// netURLParses reports whether url.ParseQuery parses a query of n
// parameters.
func netURLParses(n int) bool {
	_, err := url.ParseQuery(strings.Repeat("&", n-1))
	return err == nil
}

// validEscapes reports whether url.QueryUnescape accepts s: every '%'
// followed by two hexadecimal digits.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		j := strings.IndexByte(s[i+3:], '%')
		if j < 0 {
			break
		}
		i += 3 + j
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unescape is url.QueryUnescape of a string validEscapes accepted.
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	u, _ := url.QueryUnescape(s)
	return u
}
