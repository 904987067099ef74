// Package loopguard breaks redirect loops the way the accounts error
// contract prescribes: past a limit of arrivals per client within a window
// (3 in 30 seconds by default, "per client per user account" where the
// application names the account), a request fails with invalid_request and
// exception_details=to_many_redirects.
//
// A [Guard] is middleware shaped like alice.Constructor that hands its error
// to the Recoverer route above it. A count belongs to one browser
// ([Config.Counter], by default a [CookieCounter]: a signed cookie, so
// instances sharing its keys agree) or to one signed-in account
// ([Config.AccountCounter], a store the fleet shares such as Redis), never
// to a client alone, so strangers cannot spend each other's. A counter that
// fails lets the request through uncounted and is reported, never a 500.
// docs/guide.md has the details.
package loopguard
