package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"

	"github.com/authredirect/authredirect/render"
)

// ErrStopped is wrapped by the error Run returns when a request could not
// be made or answered (connection refused, timeout, the request budget
// spent): the run stopped and its report is incomplete.
var ErrStopped = errors.New("conformance: run stopped")

// maxBody bounds how much of an answer's body is read.
const maxBody = 64 << 10

// Run probes the service cfg names, row by row, and returns the report.
// An error wrapping ErrConfig means nothing was sent; one wrapping
// ErrStopped comes with the rows that ran before the run stopped. A
// failing row is not an error: it is in the report.
//
// Run sends requests only to cfg.BaseURL's scheme and host, never follows
// a redirect, sends at most MaxRequests requests, each within cfg.Timeout,
// and never puts cfg.ClientSecret or cfg.Password in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	page := func(p string) string {
		if strings.HasPrefix(p, "/") {
			return cfg.BaseURL + p
		}
		return p
	}
	// The renderer spells the contract: what a redirect for an error must
	// say is what authredirect itself would say.
	spell, err := render.New(render.Config{ErrorPage: page(cfg.ErrorPage), LoginPage: page(cfg.LoginPage)})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	for _, p := range []string{cfg.ErrorPage, cfg.LoginPage} {
		if u, _ := url.Parse(page(p)); u.Scheme+"://"+u.Host != cfg.BaseURL {
			return nil, fmt.Errorf("%w: page %q is not on %s", ErrConfig, p, cfg.BaseURL)
		}
	}
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		client.Transport = cfg.HTTPClient.Transport
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &checker{cfg: cfg, ctx: ctx, client: client, spell: spell, report: &Report{}}
	c.base, _ = url.Parse(cfg.BaseURL)
	err = c.run()
	c.redact()
	return c.report, err
}

// checker is one run.
type checker struct {
	cfg    Config
	ctx    context.Context
	base   *url.URL
	client *http.Client
	spell  *render.Renderer
	report *Report

	authorize, token string // the endpoints' paths
	discovered       bool
	flow             *string // the login flow's query, once started
}

func (c *checker) run() error {
	done := 0
	for _, r := range c.rows() {
		if c.cfg.Run != nil && !c.cfg.Run.MatchString(r.name) {
			continue
		}
		if c.cfg.Progress != nil {
			c.cfg.Progress(done, r.name)
		}
		done++
		o, err := c.probe(r)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrStopped, r.name, err)
		}
		c.add(r.name, o)
	}
	return nil
}

// probe runs one row, after finding the endpoints if it is the first.
func (c *checker) probe(r row) (outcome, error) {
	if why := c.missing(r.needs); why != "" {
		return outcome{skip: why, strict: r.strict}, nil
	}
	if !c.discovered {
		c.discovered = true
		if err := c.discover(); err != nil {
			return outcome{}, err
		}
	}
	o, err := r.check(c)
	o.strict = o.strict && r.strict
	return o, err
}

// add appends the row's contract row and, when strict, its strict row.
func (c *checker) add(name string, o outcome) {
	row := Row{Name: name, Level: Contract, Expected: o.expected, Wire: o.wire}
	switch {
	case o.skip != "":
		row.Status, row.Expected, row.SkipReason = Skip, "", o.skip
	case len(o.problems) > 0:
		row.Status, row.Received = Fail, o.received+" ("+strings.Join(o.problems, "; ")+")"
	default:
		row.Status, row.Received = Pass, o.received
	}
	c.report.Rows = append(c.report.Rows, row)
	if !c.cfg.Strict || !o.strict {
		return
	}
	s := Row{Name: name, Level: Strict, Expected: o.strictExpected}
	switch {
	case o.skip != "":
		s.Status, s.Expected, s.SkipReason = Skip, "", o.skip
	case o.strictSkip != "":
		s.Status, s.Expected, s.SkipReason = Skip, "", o.strictSkip
	case len(o.strictProblems) > 0:
		s.Status, s.Received = Fail, strings.Join(o.strictProblems, "; ")
	default:
		s.Status, s.Received = Pass, "as expected"
	}
	c.report.Rows = append(c.report.Rows, s)
}

// missing says why a row that needs these settings cannot run, or "".
func (c *checker) missing(needs string) string {
	for _, n := range strings.Fields(needs) {
		switch {
		case n == "client" && c.cfg.ClientID == "":
			return "needs a registered client (-client)"
		case n == "secret" && (c.cfg.ClientID == "" || c.cfg.ClientSecret == ""):
			return "needs a registered client and its secret (-client, -secret)"
		case n == "redirect" && c.cfg.RedirectURI == "":
			return "needs the client's registered redirect URI (-redirect-uri)"
		case n == "openid" && !slices.Contains(strings.Fields(c.cfg.Scope), "openid"):
			return "runs only when the scope asked for includes openid (-scope): prompt=none is OpenID Connect's"
		case n == "user" && c.cfg.User == "":
			return "needs a known account (-user, -password)"
		case n == "user" && c.cfg.ClientID == "":
			return "needs a registered client to start a sign-in (-client)"
		}
	}
	return ""
}

// redact removes the secret and the password from every row.
func (c *checker) redact() {
	var pairs []string
	for _, s := range []string{c.cfg.ClientSecret, c.cfg.Password} {
		if s != "" {
			pairs = append(pairs, s, "[redacted]", url.QueryEscape(s), "[redacted]")
		}
	}
	if len(pairs) == 0 {
		return
	}
	r := strings.NewReplacer(pairs...)
	for i := range c.report.Rows {
		row := &c.report.Rows[i]
		row.Expected, row.Received, row.Wire = r.Replace(row.Expected), r.Replace(row.Received), r.Replace(row.Wire)
	}
}

// answer is a response as the rows read it.
type answer struct {
	req    *http.Request
	status int
	header http.Header
	body   []byte
}

// request is one request of a row.
type request struct {
	method, path, rawQuery string
	body                   string // sent as a form when not ""
	header                 http.Header
	host                   string // a Host header other than the base's
	basic                  *[2]string
	jar                    http.CookieJar
}

// do sends rq to the service; an error stops the run.
func (c *checker) do(rq request) (*answer, error) {
	if c.report.Requests >= MaxRequests {
		return nil, fmt.Errorf("the budget of %d requests is spent", MaxRequests)
	}
	u := *c.base
	u.Path, u.RawQuery = rq.path, rq.rawQuery
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme+"://"+req.URL.Host != c.cfg.BaseURL {
		return nil, fmt.Errorf("refused to send a request to %s", req.URL.Host) // cannot happen: paths only
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	if rq.body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if rq.host != "" {
		req.Host = rq.host
	}
	if rq.basic != nil {
		req.SetBasicAuth(url.QueryEscape(rq.basic[0]), url.QueryEscape(rq.basic[1]))
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	client := c.client
	if rq.jar != nil {
		cc := *c.client
		cc.Jar = rq.jar
		client = &cc
	}
	c.report.Requests++
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &answer{req: req, status: res.StatusCode, header: res.Header, body: b}, nil
}

// discover sets the endpoints: the configured ones, else those of the
// OpenID discovery document when it is served on the base's host, else
// the defaults.
func (c *checker) discover() error {
	c.authorize, c.token = c.cfg.AuthorizePath, c.cfg.TokenPath
	if c.authorize == "" || c.token == "" {
		a, err := c.do(request{method: http.MethodGet, path: "/.well-known/openid-configuration"})
		if err != nil {
			return err
		}
		var doc struct {
			Authorize string `json:"authorization_endpoint"`
			Token     string `json:"token_endpoint"`
		}
		if a.status == http.StatusOK && json.Unmarshal(a.body, &doc) == nil {
			c.authorize = c.fromDiscovery(c.authorize, doc.Authorize)
			c.token = c.fromDiscovery(c.token, doc.Token)
		}
	}
	if c.authorize == "" {
		c.authorize = "/oauth/authorize"
	}
	if c.token == "" {
		c.token = "/oauth/token"
	}
	return nil
}

// fromDiscovery is the path of an endpoint the discovery document names,
// when it is on the base's host and the path was not configured.
func (c *checker) fromDiscovery(configured, endpoint string) string {
	if configured != "" {
		return configured
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme+"://"+u.Host != c.cfg.BaseURL || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return u.Path
}

// loginFlow starts a sign-in as a browser would: a valid authorization
// request, answered with a redirect to a sign-in screen on the service.
// The query of that screen's URL is the flow a login form posts back
// with (the service's own request id, or the authorization request
// itself); "" when the service sends none.
func (c *checker) loginFlow() (string, error) {
	if c.flow != nil {
		return *c.flow, nil
	}
	flow := ""
	a, err := c.do(request{method: http.MethodGet, path: c.authorize, rawQuery: c.authorizeQuery(nil)})
	if err != nil {
		return "", err
	}
	if loc, err := a.req.URL.Parse(a.header.Get("Location")); err == nil && isRedirect(a.status) &&
		loc.Scheme+"://"+loc.Host == c.cfg.BaseURL && !c.loopStopped(a) {
		if _, err := render.ParseQuery(loc.RawQuery); err == render.ErrNoException {
			flow = loc.RawQuery // a sign-in screen, not an error
		}
	}
	c.flow = &flow
	return flow, nil
}

// loopJar is a cookie jar for the loop row only.
func loopJar() http.CookieJar {
	jar, _ := cookiejar.New(nil) // cannot fail without options
	return jar
}
