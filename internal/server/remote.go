package server

import (
	"net"
	"net/http"
)

// RemoteHost is the client's address without the port, as login
// throttling and the audit log record it.
func RemoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
