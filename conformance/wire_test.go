package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"a","error_description":"b"}`:                    "",
		`{"error":"a","error":"a"}`:                                "error",
		`{"a":{"b":1,"c":[{"b":2}]},"b":"a"}`:                      "",
		`{"a":{"b":1,"b":2}}`:                                      "b",
		`{"a":["a","a"],"b":{"a":"a"},"c":"c"}`:                    "",
		`{"a":[{"x":1},{"x":1}],"a":1}`:                            "a",
		`not json`:                                                 "",
		`{"e":"x","d":{"e":"y"},"f":[1,2,{"e":3,"f":4}],"g":null}`: "",
	} {
		assert.Equal(t, want, duplicateKey([]byte(body)), body)
	}
}
