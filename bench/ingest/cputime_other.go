//go:build !unix

package main

// cpuTime returns 0 where the process's CPU time is not measured.
func cpuTime() float64 { return 0 }
