package loopguard

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// hmacSHA256 is the counter's HMAC of data under key.
func hmacSHA256(key, data []byte) []byte {
	k := newHMACKey(key)
	sum := k.sum(data)
	return sum[:]
}

// TestHMAC_RFC4231: the counter's MAC is HMAC-SHA256, by the test vectors
// of RFC 4231 §4.2-4.8 (§4.6's output is truncated to 128 bits there).
func TestHMAC_RFC4231(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	long := bytes.Repeat([]byte{0xaa}, 131)
	for _, c := range []struct {
		name      string
		key, data []byte
		want      string
	}{
		{"4.2", bytes.Repeat([]byte{0x0b}, 20), []byte("Hi There"),
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"4.3", []byte("Jefe"), []byte("what do ya want for nothing?"),
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"4.4", bytes.Repeat([]byte{0xaa}, 20), bytes.Repeat([]byte{0xdd}, 50),
			"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
		{"4.5", h("0102030405060708090a0b0c0d0e0f10111213141516171819"), bytes.Repeat([]byte{0xcd}, 50),
			"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
		{"4.6", bytes.Repeat([]byte{0x0c}, 20), []byte("Test With Truncation"),
			"a3b6167473100ee06e0c796c2955552b"},
		{"4.7", long, []byte("Test Using Larger Than Block-Size Key - Hash Key First"),
			"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{"4.8", long, []byte("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
			"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
	} {
		got := hex.EncodeToString(hmacSHA256(c.key, c.data))
		assert.Equal(t, c.want, got[:len(c.want)], c.name)
	}
}

// TestHMAC_AsCryptoHMAC: on keys and messages of every length around the
// block size and its padding (56 bytes), the counter's MAC is crypto/hmac's;
// one key MACs many messages, as the counter's keys do.
func TestHMAC_AsCryptoHMAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(b []byte) []byte {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for _, keyLen := range []int{0, 1, 20, 32, 55, 56, 63, 64, 65, 100, 128, 129, 150, 1000} {
		key := fill(make([]byte, keyLen))
		k := newHMACKey(key)
		for n := range 300 {
			data := fill(make([]byte, n))
			m := hmac.New(sha256.New, key)
			m.Write(data)
			sum := k.sum(data)
			if !bytes.Equal(m.Sum(nil), sum[:]) {
				t.Fatalf("key %d bytes, data %d bytes: not crypto/hmac's", keyLen, n)
			}
		}
	}
}

// TestHMAC_CookieSignature: a cookie value's last 32 bytes are crypto/hmac's
// HMAC-SHA256, under the first key, of the name, a zero byte and the rest.
func TestHMAC_CookieSignature(t *testing.T) {
	first, second := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 100)
	c, err := NewCookieCounter(CookieConfig{Keys: [][]byte{first, second}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	var buckets []bucket
	for i := range 8 { // 0 to 7 buckets: messages of one to four blocks
		raw, err := base64.RawURLEncoding.DecodeString(c.encode(cookieName, buckets, now))
		if err != nil {
			t.Fatal(err)
		}
		payload, sig := raw[:len(raw)-macSize], raw[len(raw)-macSize:]
		m := hmac.New(sha256.New, first)
		m.Write(append([]byte(cookieName+"\x00"), payload...))
		assert.Equal(t, m.Sum(nil), sig, "%d buckets", i)
		buckets = append(buckets, bucket{hash: uint64(i), start: now.UnixNano(), window: 30000, count: 1})
	}
}
