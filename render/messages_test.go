package render_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/render"
)

// builtinLanguages are the languages the library promises.
var builtinLanguages = []string{"en", "de", "es", "fr", "pl", "pt-BR", "ja"}

// TestCatalog_EveryLanguageIsComplete: each built-in catalog has exactly the
// keys of MessageKeys (a code, detail or page word without a message in any
// language fails here), none empty, none left in English.
func TestCatalog_EveryLanguageIsComplete(t *testing.T) {
	keys := render.MessageKeys()
	require.Len(t, keys, 10+3*len(codes.All())+2*len(codes.Details()), "every code has a title, text and action; every detail a text and action")
	files, err := filepath.Glob("catalog/*.json")
	require.NoError(t, err)
	var langs []string
	for _, f := range files {
		langs = append(langs, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	assert.ElementsMatch(t, builtinLanguages, langs)

	english := readCatalog(t, "en")
	for _, lang := range builtinLanguages {
		t.Run(lang, func(t *testing.T) {
			m := readCatalog(t, lang)
			got := slices.Sorted(func(yield func(string) bool) {
				for k := range m {
					if !yield(k) {
						return
					}
				}
			})
			assert.Equal(t, keys, got, "the catalog's keys are exactly MessageKeys")
			for k, v := range m {
				assert.NotEmpty(t, strings.TrimSpace(v), k)
				if lang != "en" && strings.HasSuffix(k, ".title") {
					assert.NotEqual(t, english[k], v, "%s is not translated", k)
				}
			}
			assert.Contains(t, m["page.home_named"], "{name}")
		})
	}
}

func readCatalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("catalog", lang+".json"))
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestRenderer_Languages(t *testing.T) {
	r := newRenderer(t, render.Config{})
	got := r.Languages()
	assert.Equal(t, "en", got[0], "the default language comes first")
	assert.ElementsMatch(t, builtinLanguages, got)
}

// TestLanguage_Negotiated: Accept-Language picks the closest served
// language with its quality values; anything else is English.
func TestLanguage_Negotiated(t *testing.T) {
	r := newRenderer(t, render.Config{})
	for accept, want := range map[string]string{
		"":                          "en",
		"de":                        "de",
		"de-AT, de;q=0.9, en;q=0.5": "de",
		"fr-CA":                     "fr",
		"es-419":                    "es",
		"pl-PL":                     "pl",
		"pt-BR":                     "pt-BR",
		"pt":                        "pt-BR",
		"ja-JP":                     "ja",
		"en-GB":                     "en",
		"zh-CN":                     "en",
		"zh-CN, ja;q=0.4":           "ja",
		"de;q=0.2, fr;q=0.9":        "fr",
		"*":                         "en",
		"%%%garbage, ;;; q=":        "en",
		strings.Repeat("de,", 1000): "en", // longer than any browser sends: not read
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", accept)
		assert.Equal(t, want, r.Language(req), "Accept-Language %q", accept)
	}
	assert.Equal(t, "en", r.Language(nil))
}

// TestLanguage_QueryAndCookieOverride: the configured query parameter wins,
// then the configured cookie, then the header; an unserved or malformed
// value is ignored, and nothing is read unless configured.
func TestLanguage_QueryAndCookieOverride(t *testing.T) {
	plain := newRenderer(t, render.Config{})
	r := newRenderer(t, render.Config{Page: render.PageConfig{LanguageQuery: "lang", LanguageCookie: "ui_lang"}})
	for _, tc := range []struct {
		query, cookie, accept string
		want, plainWant       string
	}{
		{"lang=pl", "", "de", "pl", "de"},
		{"lang=pl", "ja", "de", "pl", "de"},
		{"", "ja", "de", "ja", "de"},
		{"lang=zz", "ja", "de", "ja", "de"},
		{"lang=%3Cscript%3E", "", "de", "de", "de"},
		{"lang=fr-BE", "", "", "fr", "en"},
		{"lang=pt", "", "", "pt-BR", "en"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/ooops?"+tc.query, nil)
		req.Header.Set("Accept-Language", tc.accept)
		if tc.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "ui_lang", Value: tc.cookie})
		}
		assert.Equal(t, tc.want, r.Language(req), "%+v", tc)
		assert.Equal(t, tc.plainWant, plain.Language(req), "not configured: %+v", tc)
	}
}

// An adopter adds Italian from files and overrides one English message by
// value; the Italian file must be complete.
func TestPageConfig_AddAndOverride(t *testing.T) {
	italian := map[string]string{}
	for _, k := range render.MessageKeys() {
		italian[k] = "it:" + k
	}
	italian["login.email"] = "Indirizzo e-mail"
	b, err := json.Marshal(italian)
	require.NoError(t, err)
	r := newRenderer(t, render.Config{Page: render.PageConfig{
		Files: fstest.MapFS{
			"it.json": {Data: b},
			"en.json": {Data: []byte(`{"login.email": "E-mail address"}`)},
		},
		Overrides: map[string]map[string]string{"en": {"authentication.unauthorized.title": "That did not work"}},
	}})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "it-IT")
	assert.Equal(t, "it", r.Language(req))
	d := r.PageData(req, codes.Unauthorized.Err())
	assert.Equal(t, "it:authentication.unauthorized.title", d.Title)
	assert.Equal(t, "Indirizzo e-mail", d.T("login.email"))

	req.Header.Set("Accept-Language", "en")
	d = r.PageData(req, codes.Unauthorized.Err())
	assert.Equal(t, "That did not work", d.Title)
	assert.Equal(t, "E-mail address", d.T("login.email"))
	req.Header.Set("Accept-Language", "de")
	d = r.PageData(req, codes.Unauthorized.Err())
	assert.Equal(t, "E-mail address", d.T("login.email"), "a key of the application's own falls back to the default language")
	assert.Equal(t, "E-Mail-Adresse oder Passwort falsch", d.Title)
	assert.Equal(t, "", d.T("no.such.key"))

	text, ok := r.Message("de", "login.email")
	assert.True(t, ok)
	assert.Equal(t, "E-mail address", text)
	_, ok = r.Message("de", "no.such.key")
	assert.False(t, ok)
}

// TestPageConfig_DefaultLanguage: an adopter may serve another language
// when nothing matches.
func TestPageConfig_DefaultLanguage(t *testing.T) {
	r := newRenderer(t, render.Config{Page: render.PageConfig{DefaultLanguage: "de"}})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "zh")
	assert.Equal(t, "de", r.Language(req))
	assert.Equal(t, "de", r.Languages()[0])
	req.Header.Set("Accept-Language", "en-US")
	assert.Equal(t, "en", r.Language(req))
}

func TestPageConfig_Refused(t *testing.T) {
	partial := fstest.MapFS{"it.json": {Data: []byte(`{"page.try_again": "Riprova"}`)}}
	for name, pc := range map[string]render.PageConfig{
		"incomplete new language":       {Files: partial},
		"incomplete new language value": {Overrides: map[string]map[string]string{"it": {"page.try_again": "Riprova"}}},
		"not a tag file":                {Files: fstest.MapFS{"english.json": {Data: []byte(`{}`)}}},
		"not a tag value":               {Overrides: map[string]map[string]string{"not a tag": {}}},
		"not JSON":                      {Files: fstest.MapFS{"en.json": {Data: []byte(`{"page.try_again": 1}`)}}},
		"own key the default lacks":     {Overrides: map[string]map[string]string{"de": {"login.email": "E-Mail"}}},
		"key with a space":              {Overrides: map[string]map[string]string{"en": {"login email": "E-mail"}}},
		"default language unserved":     {DefaultLanguage: "it"},
		"default language not a tag":    {DefaultLanguage: "??"},
		"home javascript":               {Home: "javascript:alert(1)"},
		"home scheme-relative":          {Home: "//evil.example/"},
		"home relative":                 {Home: "home"},
		"home userinfo":                 {Home: "https://a@b.example/"},
		"home mailto":                   {Home: "mailto:a@b.example"},
		"home with space":               {Home: "https://a.example/x y"},
		"home name control":             {Home: "/", HomeName: "Acme\n"},
		"home name long":                {Home: "/", HomeName: strings.Repeat("a", 101)},
		"support javascript":            {Support: "javascript:alert(1)"},
		"support ftp":                   {Support: "ftp://a.example/"},
		"language query":                {LanguageQuery: "la ng"},
		"language cookie":               {LanguageCookie: "a;b"},
		"page.html does not parse":      {Files: fstest.MapFS{"page.html": {Data: []byte(`{{if}}`)}}},
	} {
		_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login", Page: pc})
		assert.ErrorIs(t, err, render.ErrConfig, name)
	}
	for name, pc := range map[string]render.PageConfig{
		"home path":      {Home: "/", HomeName: "Acme"},
		"home https":     {Home: "https://client.example/"},
		"support mailto": {Support: "mailto:help@example.com"},
		"support https":  {Support: "https://help.example.com/contact"},
	} {
		_, err := render.New(render.Config{ErrorPage: "/ooops", LoginPage: "/login", Page: pc})
		assert.NoError(t, err, name)
	}
}
