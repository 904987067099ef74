// Package redisguard counts the loop guard's arrivals of signed-in
// accounts in Redis, so that the contract's limit, "3 redirects in 30
// seconds per client per user account", holds across every instance of a
// fleet and every browser of the account.
//
// A [Counter] is a loop guard Counter that counts per key alone. Plug it in
// as the guard's Config.AccountCounter, with Config.AccountOf naming the signed-in
// account: the guard hands it only keys made of the client and an account,
// and counts signed-out browsers per browser with its Counter (a cookie
// counter whose keys the fleet shares), so no count ever belongs to a
// whole client. Each counted request costs one atomic round trip (a Lua
// script: INCR, and PEXPIRE on the first arrival of a window). When Redis
// is slow or down, Arrive returns an error within a short timeout and the
// guard lets the request through and reports it: never a 500, never a wait
// of seconds. [NewLogger] keeps go-redis' own log lines about such an
// outage to one record a second.
//
// The package is a module of its own, so that the library itself does not
// depend on a Redis client.
package redisguard
