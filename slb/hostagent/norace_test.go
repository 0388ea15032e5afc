//go:build !race

package hostagent_test

const raceEnabled = false
