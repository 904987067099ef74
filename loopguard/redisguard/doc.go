// Package redisguard counts the loop guard's arrivals of signed-in
// accounts in Redis, so that "3 redirects in 30 seconds per client per
// user account" holds across every instance of a fleet and every browser
// of the account. A [Counter] counts per key alone: plug it in as the
// guard's Config.AccountCounter, with Config.AccountOf naming the account;
// the guard hands it only keys holding an account and counts signed-out
// browsers in their cookie, so no count belongs to a whole client. Each
// counted request is one atomic round trip; when Redis is slow or down,
// Arrive returns an error within a short timeout and the guard lets the
// request through and reports it, never a 500. [NewLogger] keeps go-redis'
// own log lines about an outage to one record a second. A module of its
// own, so that the library needs no Redis client.
package redisguard
