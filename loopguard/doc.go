// Package loopguard breaks redirect loops the way the accounts error
// contract prescribes: past a limit of arrivals per client within a window
// (3 in 30 seconds by default, "per client per user account" where the
// application names the account), a request fails with invalid_request and
// exception_details=to_many_redirects.
//
// A [Guard] is middleware shaped like alice.Constructor, built with
// middleware.Guard: it hands its error to the Recoverer route above it,
// which renders it like any handler's error. The counting is a [Counter]:
//
//   - [CookieCounter] (the default) keeps the counts in a signed cookie:
//     stateless, per browser, and any number of instances sharing its keys
//     agree.
//   - [MemoryCounter] keeps them in this process, per remote address, for
//     clients without cookies on a single instance.
//   - A store shared by a fleet (such as the Redis counter, a module of its
//     own) implements Counter.
//
// A request without a key is not counted; when its query has no '%' (which
// makes the guard parse the query in full, as the handler will) it costs
// no allocation.
package loopguard
