package main

import "syscall"

// childAttr makes the kernel kill the relay if the benchmark dies without
// stopping it (kill -9, a crash), so no relay outlives its benchmark.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
