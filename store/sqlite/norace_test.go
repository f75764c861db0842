//go:build !race

package sqlite

// raceEnabled tells the tests that measure stacks, which the race detector
// makes larger, whether it is on.
const raceEnabled = false
