package render

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/language"

	"github.com/authredirect/authredirect/codes"
	"github.com/authredirect/authredirect/internal/query"
)

// The built-in catalogs: one flat JSON object of key → text per language,
// named by its BCP 47 tag. Each is complete for every key (a test checks).
//
//go:embed catalog/*.json
var builtinCatalogs embed.FS

// defaultLanguage is the language served when nothing the request asks for
// is available, unless [PageConfig.DefaultLanguage] names another.
const defaultLanguage = "en"

// messageKeys lists, sorted, the keys every language of the page's catalog
// has: for each code "<kind>.<code>.title", ".text" and ".action" (kind
// "authorization" or "authentication"), for each detail
// "detail.<detail>.text" and ".action", and the page's own words
// ("page.try_again", ...). A language added through [PageConfig] must have
// them all; an override may replace any of them.
func messageKeys() []string {
	keys := make([]string, 0, len(pageKeys)+3*len(codes.All())+2*len(codes.Details()))
	keys = append(keys, pageKeys[:]...)
	for _, c := range codes.All() {
		p := codeKey(c)
		keys = append(keys, p+".title", p+".text", p+".action")
	}
	for _, d := range codes.Details() {
		p := detailKey(d)
		keys = append(keys, p+".text", p+".action")
	}
	slices.Sort(keys)
	return keys
}

// pageKeys are the page's own words.
var pageKeys = [...]string{
	"page.try_again", "page.home", "page.home_named", "page.support", "page.support_text",
	"page.error_code", "page.next_steps", "page.none.title", "page.none.text", "page.unreadable.text",
}

func codeKey(c codes.Code) string     { return c.Kind().String() + "." + c.Name() }
func detailKey(d codes.Detail) string { return "detail." + d.Name() }

// catalog holds every language's messages and the matcher that picks one.
// It is immutable after newCatalog but for the bounded record of the
// languages matched to Accept-Language values.
type catalog struct {
	tags     []language.Tag      // tags[0] is the default language
	names    []string            // tags[i].String(), for <html lang>
	msgs     []map[string]string // by tag index
	matcher  language.Matcher    // built once, over tags
	byName   map[string]int      // names[i] → i
	fallback map[string]string   // the default language's messages

	mu       sync.RWMutex
	accepted map[string]int // Accept-Language value → match, at most maxAcceptedLanguages
}

// newCatalog merges the built-in catalogs, then fsys's "<tag>.json" files,
// then the override values, and checks that every language is complete.
func newCatalog(fsys fs.FS, overrides map[string]map[string]string, def string) (*catalog, error) {
	c := &catalog{byName: map[string]int{}, accepted: map[string]int{}}
	byTag := map[language.Tag]map[string]string{}
	var order []language.Tag
	add := func(where, tagName string, values map[string]string) error {
		tag, err := language.Parse(tagName)
		if err != nil {
			return fmt.Errorf("%w: %s: %q is not a BCP 47 language tag", ErrConfig, where, tagName)
		}
		m, ok := byTag[tag]
		if !ok {
			m = map[string]string{}
			byTag[tag] = m
			order = append(order, tag)
		}
		for k, v := range values {
			if k == "" || strings.ContainsAny(k, " \t\r\n") {
				return fmt.Errorf("%w: %s: message key %q is empty or has a space", ErrConfig, where, k)
			}
			m[k] = v
		}
		return nil
	}
	if err := addFS(builtinCatalogs, "catalog", "built-in catalog", add); err != nil {
		return nil, err // cannot happen: a test reads them all
	}
	if fsys != nil {
		if err := addFS(fsys, ".", "PageConfig.Messages", add); err != nil {
			return nil, err
		}
	}
	// Sorted, so that an error names the same language every time.
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if err := add("PageConfig.Overrides", name, overrides[name]); err != nil {
			return nil, err
		}
	}

	defTag, err := language.Parse(def)
	if err != nil {
		return nil, fmt.Errorf("%w: default language %q is not a BCP 47 language tag", ErrConfig, def)
	}
	if _, ok := byTag[defTag]; !ok {
		return nil, fmt.Errorf("%w: default language %q has no messages", ErrConfig, def)
	}
	// The default language first: the matcher falls back to its first tag.
	order = slices.DeleteFunc(order, func(t language.Tag) bool { return t == defTag })
	c.tags = append([]language.Tag{defTag}, order...)
	c.fallback = byTag[defTag]

	required := messageKeys()
	for _, tag := range c.tags {
		m := byTag[tag]
		for _, k := range required {
			if _, ok := m[k]; !ok {
				return nil, fmt.Errorf("%w: language %s has no message %q (a language needs every key the built-in en.json has)", ErrConfig, tag, k)
			}
		}
		for k := range m {
			if _, ok := slices.BinarySearch(required, k); ok {
				continue
			}
			if _, ok := c.fallback[k]; !ok {
				return nil, fmt.Errorf("%w: language %s has message %q, which the default language %s lacks", ErrConfig, tag, k, defTag)
			}
		}
		c.byName[tag.String()] = len(c.names)
		c.names = append(c.names, tag.String())
		c.msgs = append(c.msgs, m)
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// addFS reads every "*.json" file in dir of fsys as one language's
// messages, the file's name less ".json" being its tag.
func addFS(fsys fs.FS, dir, where string, add func(where, tag string, values map[string]string) error) error {
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrConfig, where, err)
	}
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrConfig, where, err)
		}
		var values map[string]string
		if err := json.Unmarshal(b, &values); err != nil {
			return fmt.Errorf("%w: %s: %s is not a JSON object of strings: %v", ErrConfig, where, name, err)
		}
		if err := add(where+" "+name, strings.TrimSuffix(path.Base(name), ".json"), values); err != nil {
			return err
		}
	}
	return nil
}

// maxLanguageHeader bounds the Accept-Language value read; a browser sends
// a few dozen bytes.
const maxLanguageHeader = 512

// match returns the index of the language to serve for the named tags, in
// the order given (the first that parses and is served wins), then for
// Accept-Language; the default language's index (0) when none is served.
func (c *catalog) match(overrides []string, acceptLanguage string) int {
	for _, s := range overrides {
		if s == "" || len(s) > 35 { // the longest useful tag is far shorter
			continue
		}
		tag, err := language.Parse(s)
		if err != nil {
			continue
		}
		if _, i, conf := c.matcher.Match(tag); conf != language.No {
			return i
		}
	}
	if acceptLanguage == "" || len(acceptLanguage) > maxLanguageHeader {
		return 0
	}
	c.mu.RLock()
	i, ok := c.accepted[acceptLanguage]
	c.mu.RUnlock()
	if ok {
		return i
	}
	i = c.matchAccept(acceptLanguage)
	c.mu.Lock()
	if len(c.accepted) >= maxAcceptedLanguages {
		for k := range c.accepted { // full: drop any, a map's order is random
			delete(c.accepted, k)
			break
		}
	}
	c.accepted[acceptLanguage] = i
	c.mu.Unlock()
	return i
}

// maxAcceptedLanguages bounds the Accept-Language values whose match is
// kept: browsers send a few dozen distinct ones, and parsing one costs a
// page most of its allocations.
const maxAcceptedLanguages = 256

// matchAccept is the index of the language to serve for an Accept-Language
// value, or 0.
func (c *catalog) matchAccept(acceptLanguage string) int {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return 0
	}
	if _, i, conf := c.matcher.Match(tags...); conf != language.No {
		return i
	}
	return 0
}

// text is key's message in language i, else in the default language, else "".
func (c *catalog) text(i int, key string) string {
	if s, ok := c.msgs[i][key]; ok {
		return s
	}
	return c.fallback[key]
}

// language is the language a page for req is served in, as its BCP 47 tag
// (the one <html lang> and Content-Language carry): the language named by
// the [PageConfig.LanguageQuery] parameter, else by the
// [PageConfig.LanguageCookie] cookie (each only when configured and when
// that language is served), else the best match for the Accept-Language
// header, else the default language.
func (r *Renderer) language(req *http.Request) string {
	return r.catalog.names[r.languageIndex(req)]
}

func (r *Renderer) languageIndex(req *http.Request) int {
	if req == nil {
		return 0
	}
	var picks [2]string
	n := 0
	if q := r.cfg.Page.LanguageQuery; q != "" && req.URL != nil {
		picks[n] = query.Get(req.URL.RawQuery, q)
		n++
	}
	if name := r.cfg.Page.LanguageCookie; name != "" {
		if ck, err := req.Cookie(name); err == nil {
			picks[n] = ck.Value
			n++
		}
	}
	return r.catalog.match(picks[:n], req.Header.Get("Accept-Language"))
}

// languages lists the BCP 47 tags of the languages pages are served in,
// the default language first.
func (r *Renderer) languages() []string { return slices.Clone(r.catalog.names) }

// message returns the text of key in the language tag (as
// [Renderer.language] returns it), falling back to the default language; ok is false when
// neither has key. Keys are those of [messageKeys] and those an adopter
// added.
func (r *Renderer) message(tag, key string) (text string, ok bool) {
	i, found := r.catalog.byName[tag]
	if !found {
		i = 0
	}
	if s, ok := r.catalog.msgs[i][key]; ok {
		return s, true
	}
	s, ok := r.catalog.fallback[key]
	return s, ok
}
