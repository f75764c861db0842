//go:build !race

package bot_test

// raceEnabled tells the tests that measure stacks, which the race detector
// makes larger, whether it is on.
const raceEnabled = false
