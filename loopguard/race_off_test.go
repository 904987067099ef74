//go:build !race

package loopguard_test

const raceEnabled = false
