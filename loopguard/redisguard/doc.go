// Package redisguard counts the loop guard's arrivals in Redis, so that
// the contract's limit, "3 redirects in 30 seconds per client per user
// account", holds across every instance of a fleet.
//
// A [Counter] has the loop guard's Counter method set: plug it into the
// guard's configuration, with a key function that returns the client id
// plus the signed-in account where the application knows it. Each counted
// request costs one atomic round trip to Redis (a Lua script: INCR, and
// PEXPIRE on the first arrival of a window). When Redis is slow or down,
// the counter fails open within a short timeout: the request goes on
// uncounted and the failure is reported, never a 500 and never a wait of
// seconds.
//
// The package is a module of its own, so that the library itself does not
// depend on a Redis client.
package redisguard
