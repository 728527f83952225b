//go:build unix

package main

import "syscall"

// openFileLimit is the process's limit on open files (0: unknown). The Go
// runtime has already raised the soft limit to the hard one.
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return rl.Cur
}
