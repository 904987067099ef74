//go:build !race

package otelauthredirect_test

const raceEnabled = false
