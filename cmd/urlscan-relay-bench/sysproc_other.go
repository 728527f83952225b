//go:build !linux

package main

import "syscall"

// childAttr has nothing to add where the kernel cannot tie the relay's life
// to the benchmark's; stop and the context still end it.
func childAttr() *syscall.SysProcAttr { return nil }
