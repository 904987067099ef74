package middleware

import (
	"strconv"
	"strings"
)

// prefersJSON reports whether the Accept header's lines prefer
// application/json to text/html: a higher quality, or the same quality
// named more specifically (so "application/json, */*" prefers JSON and a
// browser's navigation header does not). A header sent on several lines is
// one list (RFC 9110 §5.3). It does not allocate.
func prefersJSON(accept []string) bool {
	jq, js := quality(accept, "application", "json")
	hq, hs := quality(accept, "text", "html")
	return jq > 0 && (jq > hq || jq == hq && js > hs)
}

// quality returns the quality the Accept header's lines give typ/sub and
// how specifically it was matched (3 exact, 2 typ/*, 1 */*, 0 not at all).
// The most specific range decides, as RFC 9110 §12.5.1 says.
func quality(lines []string, typ, sub string) (q float64, specificity int) {
	for _, accept := range lines {
		for accept != "" {
			var part string
			part, accept, _ = strings.Cut(accept, ",")
			mediaRange, params, _ := strings.Cut(part, ";")
			t, s, _ := strings.Cut(strings.TrimSpace(mediaRange), "/")
			spec := 0
			switch {
			case strings.EqualFold(t, typ) && strings.EqualFold(s, sub):
				spec = 3
			case strings.EqualFold(t, typ) && s == "*":
				spec = 2
			case t == "*" && s == "*":
				spec = 1
			}
			if spec <= specificity {
				continue
			}
			specificity, q = spec, 1
			for params != "" {
				var p string
				p, params, _ = strings.Cut(params, ";")
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
		}
	}
	return q, specificity
}
