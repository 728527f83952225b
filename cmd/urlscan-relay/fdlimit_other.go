//go:build !unix

package main

// openFileLimit is unknown here: MAX_CONNECTIONS alone bounds connections.
func openFileLimit() uint64 { return 0 }
