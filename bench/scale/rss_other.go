//go:build !unix

package main

import "os"

// maxRSSMiB is 0 where the peak memory of a process is not measured.
func maxRSSMiB(*os.ProcessState) float64 { return 0 }
