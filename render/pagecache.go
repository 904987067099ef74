package render

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/authredirect/authredirect/codes"
)

// maxCachedPages bounds the pages kept (a page is about 4 KiB): every
// code × detail × language of the built-in catalogs fits, and a storm of
// errors is one or a few pages.
const maxCachedPages = 1024

// tryAgainMark stands for the carried query in a page rendered for the
// cache: plain letters, which html/template writes into the link as they
// are, and which no message holds.
const tryAgainMark = "AuthredirectCarriedQueryMark"

// pageCache keeps the built-in template's page per code, detail and
// language, split where the per-request part goes: the "try again" link's
// carried query. The rest of a page depends on the configuration alone,
// so html/template runs once per page kept, not once per request.
type pageCache struct {
	sep string // what joins the login page and a carried query ("?" or "&")
	max int    // maxCachedPages; tests lower it

	mu    sync.RWMutex
	pages map[pageKey]pageParts
}

type pageKey struct {
	pair
	lang int
}

// pageParts is a page: head, then the carried query (if any, after sep)
// escaped as the link's attribute, then tail. A page without a "try again"
// link is all head.
type pageParts struct {
	head, tail []byte
	sep        string // escaped as the attribute
}

func newPageCache(loginPage string) *pageCache {
	sep := strings.TrimPrefix(joinQuery(loginPage, ""), loginPage)
	return &pageCache{sep: strings.ReplaceAll(sep, "&", "&amp;"), max: maxCachedPages, pages: map[pageKey]pageParts{}}
}

// get returns the page for e in language i, rendering it on first use; ok
// is false when the page cannot be split (which the built-in template
// never gives: a test renders every page).
func (c *pageCache) get(r *Renderer, i int, e *codes.Error) (pageParts, bool) {
	key := pageKey{lang: i}
	if e != nil && e.Code().Valid() {
		key.pair = pair{e.Code(), e.Detail()} // the built-in page shows no entity id
	}
	c.mu.RLock()
	p, ok := c.pages[key]
	c.mu.RUnlock()
	if ok {
		return p, true
	}
	p, ok = c.render(r, i, key)
	if !ok {
		return p, false
	}
	c.mu.Lock()
	if len(c.pages) >= c.max {
		for k := range c.pages { // full: drop any page, a map's order is random
			delete(c.pages, k)
			break
		}
	}
	c.pages[key] = p
	c.mu.Unlock()
	return p, true
}

// render executes the built-in template for key with the mark in place of
// the carried query and splits the page at the mark.
func (c *pageCache) render(r *Renderer, i int, key pageKey) (pageParts, bool) {
	var e *codes.Error
	if key.code.Valid() {
		e = key.code.With(key.detail)
	}
	d := r.pageData(i, e, "")
	var b bytes.Buffer
	if d.TryAgain == "" {
		if err := pageTemplate.Execute(&b, d); err != nil {
			return pageParts{}, false
		}
		return pageParts{head: b.Bytes()}, true // all head: nothing per request
	}
	d.TryAgain += tryAgainMark
	if err := pageTemplate.Execute(&b, d); err != nil || bytes.Count(b.Bytes(), []byte(tryAgainMark)) != 1 {
		return pageParts{}, false
	}
	head, tail, _ := bytes.Cut(b.Bytes(), []byte(tryAgainMark))
	// Capped, so that nothing appended to one part can reach the other.
	return pageParts{head: head[:len(head):len(head)], tail: tail, sep: c.sep}, true
}

// write writes the page with the carried query of req. The kept parts
// are written as they are, so that only the escaped query is allocated.
func (p pageParts) write(w http.ResponseWriter, r *Renderer, req *http.Request) {
	_, _ = w.Write(p.head)
	if p.tail == nil {
		return
	}
	if q := r.withCarried("", p.sep, req, true); q != "" {
		_, _ = io.WriteString(w, q)
	}
	_, _ = w.Write(p.tail)
}
