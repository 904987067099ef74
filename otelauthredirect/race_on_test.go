//go:build race

package otelauthredirect_test

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back, on purpose, so allocation counts say nothing.
const raceEnabled = true
