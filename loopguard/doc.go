// Package loopguard breaks redirect loops the way the accounts error
// contract prescribes: past a limit of arrivals per client within a window
// (3 in 30 seconds by default, "per client per user account" where the
// application names the account), a request fails with invalid_request and
// exception_details=to_many_redirects.
//
// A [Guard] is middleware shaped like alice.Constructor: it hands its error
// to the Recoverer route above it, which renders it like any handler's
// error. A count belongs to one browser or one signed-in account, never to a client alone, so strangers
// cannot spend each other's:
//
//   - [Config.Counter] counts per browser. [CookieCounter] (the default)
//     keeps the counts in a signed cookie: stateless, and any number of
//     instances sharing its keys agree.
//   - [Config.AccountCounter], with [Config.AccountOf], counts signed-in accounts
//     per client and account across browsers and instances, in a store the
//     fleet shares (the Redis counter, a module of its own). It is only
//     ever given keys that name an account.
//
// A counter that fails (its store down or slow) does not stop the request:
// the guard lets it through uncounted, tells [Config.Observer] (outcome
// middleware.Uncounted) and logs at most once a second.
//
// A request without a client is not counted; when its query holds neither
// "client_id" nor a '%' it costs no allocation.
package loopguard
